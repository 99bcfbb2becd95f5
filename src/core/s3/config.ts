import { UserError } from '../util/errors';
import { registerSecret } from '../util/logger';
import type { ResolvedS3Config, S3Credentials } from './ops';

/** How the caller wants to reach S3; everything is optional and defaults to the AWS conventions. */
export interface S3ClientOptions {
  /** Explicit endpoint; else AWS_ENDPOINT_URL_S3, else AWS_ENDPOINT_URL, else AWS itself. */
  endpoint?: string;
  /** Else AWS_REGION, AWS_DEFAULT_REGION, us-east-1. */
  region?: string;
  /** Path-style addressing; default: on whenever a custom endpoint is set. */
  forcePathStyle?: boolean;
  /** Explicit credentials (the extension's SecretStorage); else the SDK's default chain. */
  credentials?: S3Credentials;
  /** A profile from ~/.aws/config and ~/.aws/credentials; else AWS_PROFILE / default. */
  profile?: string;
  /** Attempts per request including the first (default 4). */
  maxAttempts?: number;
  /** The environment to read; default process.env. */
  env?: NodeJS.ProcessEnv;
}

function nonEmpty(v: string | undefined): string | undefined {
  const t = v?.trim();
  return t ? t : undefined;
}

/** Applies the AWS conventions (DESIGN.md, "Command line contract") to the caller's options. */
export function resolveS3Config(opts: S3ClientOptions = {}, maxSockets = 32): ResolvedS3Config {
  const env = opts.env ?? process.env;
  const endpoint = nonEmpty(opts.endpoint) ?? nonEmpty(env.AWS_ENDPOINT_URL_S3) ?? nonEmpty(env.AWS_ENDPOINT_URL);
  if (endpoint !== undefined) {
    let url: URL;
    try {
      url = new URL(endpoint);
    } catch {
      throw new UserError(`S3 endpoint "${endpoint}" is not a URL`, { hint: 'Set AWS_ENDPOINT_URL_S3 to e.g. http://127.0.0.1:9000' });
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new UserError(`S3 endpoint "${endpoint}" must be an http:// or https:// URL`);
    }
    if (url.username || url.password) {
      throw new UserError('The S3 endpoint URL must not carry credentials; use AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY or a profile');
    }
  }
  const region = nonEmpty(opts.region) ?? nonEmpty(env.AWS_REGION) ?? nonEmpty(env.AWS_DEFAULT_REGION) ?? 'us-east-1';
  const out: ResolvedS3Config = {
    region,
    forcePathStyle: opts.forcePathStyle ?? endpoint !== undefined,
    maxAttempts: opts.maxAttempts ?? 4,
    maxSockets,
  };
  if (endpoint !== undefined) out.endpoint = endpoint;
  const profile = nonEmpty(opts.profile);
  if (profile !== undefined) out.profile = profile;
  if (opts.credentials) {
    const { accessKeyId, secretAccessKey, sessionToken } = opts.credentials;
    if (!accessKeyId || !secretAccessKey) throw new UserError('S3 credentials need both an access key id and a secret access key');
    registerSecret(secretAccessKey);
    registerSecret(sessionToken);
    out.credentials = sessionToken ? { accessKeyId, secretAccessKey, sessionToken } : { accessKeyId, secretAccessKey };
  }
  // Whatever the default chain will find in the environment is a secret from now on.
  registerSecret(env.AWS_SECRET_ACCESS_KEY);
  registerSecret(env.AWS_SESSION_TOKEN);
  return out;
}
