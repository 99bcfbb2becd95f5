import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { openS3 } from '../../../src/core/s3/client';
import { listAll } from '../../../src/core/s3/list';
import type { S3rverHandle } from '../../helpers/s3rver';

export function tempDir(prefix: string): { dir: string; remove(): void } {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Writes files (relative POSIX paths) under root. */
export function writeTree(root: string, files: Record<string, string | Buffer>): void {
  for (const [rel, body] of Object.entries(files)) {
    const abs = path.join(root, ...rel.split('/'));
    mkdirSync(path.dirname(abs), { recursive: true });
    writeFileSync(abs, body);
  }
}

/** Every file under root (hidden ones included) -> sha256 of its content. */
export function readTree(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (dir: string, rel: string): void => {
    for (const d of readdirSync(dir, { withFileTypes: true })) {
      const r = rel ? `${rel}/${d.name}` : d.name;
      const abs = path.join(dir, d.name);
      if (d.isDirectory()) walk(abs, r);
      else out[r] = createHash('sha256').update(readFileSync(abs)).digest('hex');
    }
  };
  if (statSync(root, { throwIfNoEntry: false })) walk(root, '');
  return out;
}

/** Keys under `prefix/` -> size, read through Ferry's own listing. */
export async function remoteKeys(s3rver: S3rverHandle, prefix: string): Promise<Record<string, number>> {
  const s3 = await openS3({ endpoint: s3rver.endpoint });
  try {
    const out: Record<string, number> = {};
    for (const o of await listAll(s3, s3rver.bucket, prefix === '' ? '' : `${prefix}/`, new AbortController().signal)) {
      out[prefix === '' ? o.key : o.key.slice(prefix.length + 1)] = o.size;
    }
    return out;
  } finally {
    s3.close();
  }
}

/** Sets the process up as a client of `s3rver` (env credentials + endpoint) with a temp FERRY_HOME. */
export function useS3rverEnv(s3rver: S3rverHandle, ferryHome: string): void {
  for (const [k, v] of Object.entries(s3rver.env)) process.env[k] = v;
  process.env.FERRY_HOME = ferryHome;
}

/** Incompressible test content. */
export function bytes(n: number): Buffer {
  return randomBytes(n);
}
