import { createRequire } from 'node:module';
import * as path from 'node:path';
import { InfraError, errorMessage } from '../util/errors';
import { scrubSecrets } from '../util/logger';
import type { S3ImplModule } from './ops';

let loaded: S3ImplModule | undefined;

/**
 * Where the SDK adapter lives. Bundled (dist/cli.js, dist/extension.js, or any other bundle
 * built from this file): dist/s3.js beside the bundle, a separate esbuild entry, so the ~MBs of
 * AWS SDK are read from disk only when S3 is first used. From source (tsx in tests): impl.ts.
 * The specifier is computed, which also keeps esbuild from pulling impl.ts into the bundle.
 */
export function s3ImplPath(): string {
  return __filename.endsWith('.ts') ? path.join(__dirname, 'impl.ts') : path.join(__dirname, 's3.js');
}

function isImplModule(m: unknown): m is S3ImplModule {
  return typeof m === 'object' && m !== null && typeof (m as { createS3Ops?: unknown }).createS3Ops === 'function';
}

/** Loads the SDK adapter once (synchronous require: the SDK is CommonJS either way). */
export function loadS3Impl(): S3ImplModule {
  if (loaded) return loaded;
  const file = s3ImplPath();
  let mod: unknown;
  try {
    mod = createRequire(__filename)(file);
  } catch (err) {
    throw new InfraError(`Could not load Ferry's S3 support (${file}): ${scrubSecrets(errorMessage(err))}`, {
      hint: 'The installation looks incomplete: dist/s3.js must sit beside the bundle',
    });
  }
  if (!isImplModule(mod)) throw new InfraError(`${file} is not Ferry's S3 support module`);
  loaded = mod;
  return mod;
}

/** Whether the SDK adapter has been loaded in this process (for the lazy-load test). */
export function isS3ImplLoaded(): boolean {
  return loaded !== undefined;
}
