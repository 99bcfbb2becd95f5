import { CancelledError, FerryError, InfraError, UserError, isCancelled } from '../util/errors';
import { scrubSecrets } from '../util/logger';

interface SdkErrorLike {
  name?: unknown;
  message?: unknown;
  code?: unknown;
  Code?: unknown;
  $metadata?: { httpStatusCode?: unknown };
}

function fields(err: unknown): { name: string; message: string; status?: number; code?: string } {
  const e = (typeof err === 'object' && err !== null ? err : {}) as SdkErrorLike;
  const status = typeof e.$metadata?.httpStatusCode === 'number' ? e.$metadata.httpStatusCode : undefined;
  const code = typeof e.code === 'string' ? e.code : typeof e.Code === 'string' ? e.Code : undefined;
  const out: { name: string; message: string; status?: number; code?: string } = {
    name: typeof e.name === 'string' ? e.name : 'Error',
    message: typeof e.message === 'string' ? e.message : String(err),
  };
  if (status !== undefined) out.status = status;
  if (code !== undefined) out.code = code;
  return out;
}

const AUTH = new Set(['AccessDenied', 'InvalidAccessKeyId', 'SignatureDoesNotMatch', 'ExpiredToken', 'InvalidToken', 'TokenRefreshRequired', 'Forbidden']);
const NETWORK = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE']);

/** Not worth retrying the rest of a sync after: every other request would fail the same way. */
export function isFatalS3Error(err: unknown): boolean {
  const f = fields(err);
  return AUTH.has(f.name) || f.status === 401 || f.status === 403 || f.name === 'NoSuchBucket' || f.name === 'CredentialsProviderError';
}

/**
 * Turns whatever the SDK (or the network under it) threw into a Ferry error whose message says
 * what failed and never carries a secret: messages are scrubbed, and the SDK error is not kept
 * as `cause` (it holds the raw request and response).
 */
export function toS3Error(err: unknown, what: string): FerryError {
  if (err instanceof FerryError) return err;
  if (isCancelled(err)) return new CancelledError();
  const f = fields(err);
  const detail = scrubSecrets(f.message);
  if (f.name === 'CredentialsProviderError' || /Could not load credentials/i.test(f.message)) {
    return new InfraError(`No AWS credentials found for ${what}`, {
      hint: 'Set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE with ~/.aws/credentials',
    });
  }
  if (AUTH.has(f.name) || f.status === 401 || f.status === 403) {
    return new InfraError(`S3 refused ${what}: ${f.name}${f.status ? ` (HTTP ${f.status})` : ''}: ${detail}`, {
      hint: 'Check the access key, the secret key and the endpoint (AWS_ENDPOINT_URL_S3)',
    });
  }
  if (f.name === 'NoSuchBucket') {
    return new UserError(`S3 bucket not found for ${what}: ${detail}`, { hint: 'Check the bucket name in the s3:// URI and the endpoint' });
  }
  const netCode = f.code ?? (NETWORK.has(f.name) ? f.name : undefined);
  if (netCode !== undefined && NETWORK.has(netCode)) {
    return new InfraError(`Cannot reach the S3 endpoint for ${what}: ${netCode}: ${detail}`, {
      hint: 'Check AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL and the network',
    });
  }
  return new InfraError(`S3 ${what} failed: ${f.name}${f.status ? ` (HTTP ${f.status})` : ''}: ${detail}`);
}
