import { InfraError } from '../util/errors';

/**
 * Why a provider call failed, in the terms the job engine acts on: `capacity` and `price`
 * move on to the next offer, `auth` stops and tells the user which key to set, `rate-limit`
 * and `server` were already retried, `not-found` means the thing is gone.
 */
export type ProviderErrorKind =
  | 'auth'
  | 'capacity'
  | 'price'
  | 'rate-limit'
  | 'not-found'
  | 'bad-request'
  | 'server'
  | 'network'
  | 'bad-response';

/** A provider failed. Its message never contains the API key (see registerSecret). */
export class ProviderError extends InfraError {
  readonly provider: string;
  readonly kind: ProviderErrorKind;
  /** HTTP status, when there was an answer. */
  readonly status?: number;
  /** The provider's own error code (`global/invalid-api-key`, `no_such_ask`...). */
  readonly code?: string;
  constructor(
    provider: string,
    kind: ProviderErrorKind,
    message: string,
    opts: { status?: number; code?: string; hint?: string; cause?: unknown } = {},
  ) {
    super(message, { hint: opts.hint, cause: opts.cause });
    this.name = 'ProviderError';
    this.provider = provider;
    this.kind = kind;
    this.status = opts.status;
    this.code = opts.code;
  }
}

/** True when trying another offer could succeed (the failover rule of issue 4). */
export function isLaunchRefusal(err: unknown): boolean {
  return err instanceof ProviderError && (err.kind === 'capacity' || err.kind === 'price');
}
