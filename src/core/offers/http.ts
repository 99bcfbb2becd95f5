/**
 * The HTTP client every provider adapter shares: auth header, base URL, per-adapter request
 * spacing, bounded retries of 429 and 5xx (Retry-After when given, jittered backoff
 * otherwise), timeouts, cancellation, and errors that say which key to set without ever
 * showing it.
 */
import { CancelledError, errorMessage } from '../util/errors';
import { nullLogger, registerSecret, scrubSecrets, scrubbingLogger, type Logger } from '../util/logger';
import { ProviderError, type ProviderErrorKind } from './errors';
import { sleep } from '../util/sleep';

export type FetchFn = typeof fetch;

/** What every provider adapter takes; each adds its own knobs. */
export interface AdapterOptions {
  apiKey?: string;
  /** FERRY_<PROVIDER>_API_URL, else the provider's public API. */
  baseUrl?: string;
  fetch?: FetchFn;
  logger?: Logger;
  now?: () => Date;
  retry?: Partial<RetryPolicy>;
  timeoutMs?: number;
}

export interface RetryPolicy {
  /** Tries in all, the first included. */
  attempts: number;
  /** First backoff when the server gives no Retry-After; doubles each try, full jitter. */
  baseDelayMs: number;
  /** No single wait is longer than this, whatever Retry-After says. */
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 4, baseDelayMs: 500, maxDelayMs: 20_000 };

export { sleep };

/**
 * Spaces request starts at least `intervalMs` apart (Lambda: "one request per second").
 * Slots are reserved synchronously, so concurrent callers queue in call order.
 */
export class MinIntervalLimiter {
  private nextAt = 0;
  constructor(
    readonly intervalMs: number,
    private readonly clock: () => number = Date.now,
  ) {}

  async acquire(signal?: AbortSignal): Promise<void> {
    const now = this.clock();
    const at = Math.max(now, this.nextAt);
    this.nextAt = at + this.intervalMs;
    await sleep(at - now, signal);
  }
}

/** Seconds (`"3"`) or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null, nowMs: number = Date.now()): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  const v = value.trim();
  if (/^\d+(\.\d+)?$/.test(v)) return Math.round(Number(v) * 1000);
  const at = Date.parse(v);
  return Number.isFinite(at) ? Math.max(0, at - nowMs) : undefined;
}

export interface ErrorDescription {
  code?: string;
  message?: string;
  /** Overrides the kind the status alone would give (Lambda's 400 insufficient-capacity). */
  kind?: ProviderErrorKind;
}

export interface ProviderHttpOptions {
  provider: string;
  /** `VAST` for FERRY_VAST_API_KEY: the error message names the variable to set. */
  envPrefix: string;
  baseUrl: string;
  apiKey?: string;
  fetch?: FetchFn;
  logger?: Logger;
  retry?: Partial<RetryPolicy>;
  /** Per try. */
  timeoutMs?: number;
  /** Spacing between request starts; 0 = none. */
  minIntervalMs?: number;
  authHeaders(apiKey: string): Record<string, string>;
  /** Reads the provider's error body; the generic reader handles msg/message/error/detail. */
  describeError?(status: number, body: unknown): ErrorDescription | undefined;
  /** For tests: the jitter source. */
  random?: () => number;
}

export interface HttpRequest {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Path under the base URL, with its leading slash. */
  path: string;
  query?: Record<string, string>;
  body?: unknown;
  /** Safe to send twice: 5xx and network errors are retried only then (never a launch). */
  idempotent: boolean;
  /** 'optional': sent with the key when there is one (Vast's and RunPod's public catalogs). */
  auth: 'required' | 'optional';
  /** How messages name the call; default `METHOD path`. */
  endpoint?: string;
}

export interface HttpResponse {
  status: number;
  /** Parsed JSON, or the text when the body is not JSON, or undefined when empty. */
  body: unknown;
  headers: Headers;
  endpoint: string;
}

const MAX_MESSAGE = 300;

export class ProviderHttp {
  readonly provider: string;
  readonly logger: Logger;
  private readonly opts: ProviderHttpOptions;
  private readonly retry: RetryPolicy;
  private readonly fetchFn: FetchFn;
  private readonly limiter?: MinIntervalLimiter;
  private readonly random: () => number;

  /** The client of one adapter: the common AdapterOptions plus what the provider fixes. */
  static forAdapter(
    opts: AdapterOptions,
    p: Pick<ProviderHttpOptions, 'provider' | 'envPrefix' | 'authHeaders' | 'describeError' | 'minIntervalMs'> & { defaultUrl: string; retry?: Partial<RetryPolicy> },
  ): ProviderHttp {
    return new ProviderHttp({
      provider: p.provider,
      envPrefix: p.envPrefix,
      baseUrl: opts.baseUrl ?? p.defaultUrl,
      apiKey: opts.apiKey,
      fetch: opts.fetch,
      logger: opts.logger,
      retry: { ...p.retry, ...opts.retry },
      timeoutMs: opts.timeoutMs,
      minIntervalMs: p.minIntervalMs,
      authHeaders: p.authHeaders,
      describeError: p.describeError,
    });
  }

  constructor(opts: ProviderHttpOptions) {
    this.opts = opts;
    this.provider = opts.provider;
    this.logger = scrubbingLogger(opts.logger ?? nullLogger);
    this.retry = { ...DEFAULT_RETRY, ...opts.retry };
    this.fetchFn = opts.fetch ?? globalThis.fetch;
    this.random = opts.random ?? Math.random;
    if (opts.minIntervalMs && opts.minIntervalMs > 0) this.limiter = new MinIntervalLimiter(opts.minIntervalMs);
    // Before anything can log or throw: the key must never reach a log line or a message.
    registerSecret(opts.apiKey);
  }

  get hasKey(): boolean {
    return Boolean(this.opts.apiKey);
  }

  get keyVariable(): string {
    return `FERRY_${this.opts.envPrefix}_API_KEY`;
  }

  /** A 2xx answer, or a ProviderError (after the retries the request allows). */
  async request(req: HttpRequest, signal: AbortSignal): Promise<HttpResponse> {
    const endpoint = req.endpoint ?? `${req.method} ${req.path}`;
    const key = this.opts.apiKey;
    if (req.auth === 'required' && !key) {
      throw new ProviderError(this.provider, 'auth', `${this.provider}: no API key — set ${this.keyVariable}`);
    }
    const url = this.url(req);
    const headers: Record<string, string> = { Accept: 'application/json', 'User-Agent': 'ferry' };
    if (key) Object.assign(headers, this.opts.authHeaders(key));
    let body: string | undefined;
    if (req.body !== undefined) {
      headers['Content-Type'] = 'application/json';
      body = JSON.stringify(req.body);
    }

    for (let attempt = 1; ; attempt++) {
      if (signal.aborted) throw new CancelledError();
      await this.limiter?.acquire(signal);
      const last = attempt >= this.retry.attempts;
      let res: Response;
      try {
        const timeout = AbortSignal.timeout(this.opts.timeoutMs ?? 30_000);
        res = await this.fetchFn(url, { method: req.method, headers, body, signal: AbortSignal.any([signal, timeout]) });
      } catch (err) {
        if (signal.aborted) throw new CancelledError();
        const why = scrubSecrets(causeText(err));
        if (req.idempotent && !last) {
          await this.backoff(attempt, undefined, `${endpoint}: ${why}`, signal);
          continue;
        }
        throw new ProviderError(this.provider, 'network', `${this.provider}: ${endpoint} unreachable: ${why}`, { cause: err });
      }
      const parsed = await readBody(res, signal);
      if (res.ok) return { status: res.status, body: parsed, headers: res.headers, endpoint };

      const retryable = res.status === 429 || (req.idempotent && res.status >= 500);
      if (retryable && !last) {
        const after = parseRetryAfter(res.headers.get('retry-after'));
        await this.backoff(attempt, after, `${endpoint}: HTTP ${res.status}`, signal);
        continue;
      }
      throw this.errorFor(res.status, parsed, endpoint, attempt);
    }
  }

  private url(req: HttpRequest): string {
    const base = this.opts.baseUrl.replace(/\/+$/, '');
    const qs = req.query ? `?${new URLSearchParams(req.query).toString()}` : '';
    return `${base}${req.path}${qs}`;
  }

  private async backoff(attempt: number, retryAfterMs: number | undefined, why: string, signal: AbortSignal): Promise<void> {
    const cap = this.retry.maxDelayMs;
    // Full jitter spreads clients apart; Retry-After is the server's word and is kept as is.
    const exp = Math.min(cap, this.retry.baseDelayMs * 2 ** (attempt - 1));
    const delay = retryAfterMs !== undefined ? Math.min(cap, retryAfterMs) : Math.round(exp / 2 + (this.random() * exp) / 2);
    this.logger.debug(`${this.provider}: ${why}; retrying in ${delay} ms (try ${attempt + 1} of ${this.retry.attempts})`);
    await sleep(delay, signal);
  }

  /** The error for a final non-2xx answer. Public so adapters can build the same for errors in 200s. */
  errorFor(status: number, body: unknown, endpoint: string, tries = 1): ProviderError {
    const described = this.opts.describeError?.(status, body) ?? genericDescription(body);
    const detail = described.message ? truncate(scrubSecrets(described.message)) : undefined;
    const code = described.code;
    const p = this.provider;
    const kind: ProviderErrorKind = described.kind ?? kindForStatus(status);
    if (kind === 'auth') {
      const msg = this.hasKey
        ? `${p}: API key rejected (HTTP ${status}) — set ${this.keyVariable}`
        : `${p}: the API wants a key (HTTP ${status}) — set ${this.keyVariable}`;
      return new ProviderError(p, 'auth', msg, { status, code, hint: detail });
    }
    if (kind === 'rate-limit') {
      const msg = `${p}: rate limited on ${endpoint} (HTTP ${status}, ${tries} ${tries === 1 ? 'try' : 'tries'})`;
      return new ProviderError(p, kind, msg, { status, code });
    }
    return new ProviderError(p, kind, `${p}: ${endpoint} failed (HTTP ${status})${detail ? `: ${detail}` : ''}`, { status, code });
  }
}

function kindForStatus(status: number): ProviderErrorKind {
  if (status === 401 || status === 403) return 'auth';
  if (status === 429) return 'rate-limit';
  if (status === 404) return 'not-found';
  if (status === 402) return 'price';
  if (status >= 500) return 'server';
  return 'bad-request';
}

/** `{msg}`, `{message}`, `{error: "x"}`, `{error: {code, message}}`, `{detail}`, or plain text. */
export function genericDescription(body: unknown): ErrorDescription {
  if (typeof body === 'string') return { message: body.trim() || undefined };
  if (!body || typeof body !== 'object') return {};
  const b = body as Record<string, unknown>;
  const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
  if (b.error && typeof b.error === 'object') {
    const e = b.error as Record<string, unknown>;
    return { code: str(e.code), message: str(e.message) };
  }
  return { code: str(b.error), message: str(b.msg) ?? str(b.message) ?? str(b.detail) ?? str(b.error) };
}

async function readBody(res: Response, signal: AbortSignal): Promise<unknown> {
  let text: string;
  try {
    text = await res.text();
  } catch (err) {
    if (signal.aborted) throw new CancelledError();
    return `(body unreadable: ${errorMessage(err)})`;
  }
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    // Vast's 429s are plain text; keep the text for the message.
    return text;
  }
}

function truncate(s: string): string {
  const one = s.replace(/\s+/g, ' ').trim();
  return one.length > MAX_MESSAGE ? `${one.slice(0, MAX_MESSAGE)}…` : one;
}

/** fetch's TypeError says only "fetch failed"; the cause says ECONNREFUSED. */
function causeText(err: unknown): string {
  if (err instanceof Error && err.name === 'TimeoutError') return 'timed out';
  const cause = err instanceof Error ? (err.cause as { code?: unknown; message?: unknown } | undefined) : undefined;
  if (cause && typeof cause === 'object') {
    if (typeof cause.code === 'string') return cause.code;
    if (typeof cause.message === 'string') return cause.message;
  }
  return errorMessage(err);
}
