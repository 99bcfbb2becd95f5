import { throwIfAborted } from '../util/errors';
import { registerSecret } from '../util/logger';
import { resolveS3Config, type S3ClientOptions } from './config';
import { toS3Error } from './errors';
import { loadS3Impl } from './load';
import type { S3Ops } from './ops';

/** An S3 connection: the SDK adapter plus error mapping. Close it when done (it holds sockets). */
export interface S3Handle {
  ops: S3Ops;
  /** The endpoint URL, or `aws` for AWS itself: names the store in resume journals. */
  endpointId: string;
  /** Runs one S3 call, turning what it throws into a scrubbed Ferry error that names `what`. */
  call<T>(what: string, fn: (ops: S3Ops) => Promise<T>): Promise<T>;
  close(): void;
}

/**
 * Opens a connection, loading the SDK on first use. Credentials are resolved here (env, profile
 * files, or the caller's) so that a missing key fails before any work, and their secret parts
 * are registered with the log scrubber whichever source they came from.
 */
export async function openS3(opts: S3ClientOptions = {}, signal?: AbortSignal, maxSockets = 32): Promise<S3Handle> {
  throwIfAborted(signal);
  const config = resolveS3Config(opts, maxSockets);
  const ops = loadS3Impl().createS3Ops(config);
  const call = async <T>(what: string, fn: (o: S3Ops) => Promise<T>): Promise<T> => {
    try {
      return await fn(ops);
    } catch (err) {
      throw toS3Error(err, what);
    }
  };
  try {
    for (const v of await call('loading credentials', (o) => o.secretValues())) registerSecret(v);
  } catch (err) {
    ops.destroy();
    throw err;
  }
  return { ops, endpointId: config.endpoint ?? 'aws', call, close: () => ops.destroy() };
}
