import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ProviderError } from '../../../src/core/offers/errors';
import { MinIntervalLimiter, parseRetryAfter, ProviderHttp, type ProviderHttpOptions } from '../../../src/core/offers/http';
import { VastProvider } from '../../../src/core/offers/vast';
import { CancelledError } from '../../../src/core/util/errors';
import { scrubbingLogger } from '../../../src/core/util/logger';
import { captureLogger, signal, stubFetch, type StubReply } from './helpers';

const KEY = 'sk-very-secret-key-0123456789';

function client(reply: (n: number) => StubReply, over: Partial<ProviderHttpOptions> = {}) {
  const { fetch, calls } = stubFetch((_c, n) => reply(n));
  const logger = captureLogger();
  const http = new ProviderHttp({
    provider: 'vast',
    envPrefix: 'VAST',
    baseUrl: 'http://api.test',
    apiKey: KEY,
    fetch,
    logger,
    retry: { attempts: 4, baseDelayMs: 5, maxDelayMs: 50 },
    authHeaders: (k) => ({ Authorization: `Bearer ${k}` }),
    ...over,
  });
  return { http, calls, logger };
}

const get = { method: 'GET', path: '/x', idempotent: true, auth: 'required' } as const;
const launch = { method: 'PUT', path: '/asks/1/', idempotent: false, auth: 'required', body: {} } as const;

describe('ProviderHttp: retries', () => {
  it('retries a 429 after Retry-After and succeeds', async () => {
    const { http, calls } = client((n) => (n === 1 ? { status: 429, headers: { 'retry-after': '0.2' }, body: 'API requests too frequent' } : { body: { ok: true } }), {
      retry: { attempts: 3, baseDelayMs: 1, maxDelayMs: 5_000 },
    });
    const t0 = Date.now();
    const res = await http.request(get, signal);
    assert.deepEqual(res.body, { ok: true });
    assert.equal(calls.length, 2);
    assert.ok(Date.now() - t0 >= 180, 'waited for Retry-After');
  });

  it('caps a long Retry-After at maxDelayMs', async () => {
    const { http } = client((n) => (n === 1 ? { status: 429, headers: { 'retry-after': '3600' } } : { body: {} }));
    const t0 = Date.now();
    await http.request(get, signal);
    assert.ok(Date.now() - t0 < 1_000);
  });

  it('retries a 429 even for a launch (refused before it ran), but never a 5xx', async () => {
    const a = client((n) => (n === 1 ? { status: 429 } : { body: { success: true } }));
    await a.http.request(launch, signal);
    assert.equal(a.calls.length, 2);
    const b = client(() => ({ status: 502, body: 'bad gateway' }));
    await assert.rejects(b.http.request(launch, signal), (e: unknown) => e instanceof ProviderError && e.kind === 'server');
    assert.equal(b.calls.length, 1, 'a launch may have happened: not sent twice');
  });

  it('retries 5xx on idempotent calls, bounded, then names endpoint and status', async () => {
    const { http, calls, logger } = client(() => ({ status: 500, body: { success: false, error: 'server_error', msg: 'boom' } }));
    await assert.rejects(http.request({ ...get, endpoint: 'GET /api/v0/instances/{id}/' }, signal), (e: unknown) => {
      assert.ok(e instanceof ProviderError);
      assert.equal(e.message, 'vast: GET /api/v0/instances/{id}/ failed (HTTP 500): boom');
      assert.equal(e.status, 500);
      return true;
    });
    assert.equal(calls.length, 4);
    assert.equal(logger.lines.filter((l) => l.includes('retrying')).length, 3);
  });

  it('gives up on endless 429s with a rate-limit error', async () => {
    const { http, calls } = client(() => ({ status: 429, body: 'API requests too frequent' }));
    await assert.rejects(http.request(get, signal), /vast: rate limited on GET \/x \(HTTP 429, 4 tries\)/);
    assert.equal(calls.length, 4);
  });

  it('retries network errors on idempotent calls and says what failed', async () => {
    let n = 0;
    const http = new ProviderHttp({
      provider: 'lambda',
      envPrefix: 'LAMBDA',
      baseUrl: 'http://api.test',
      apiKey: KEY,
      retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 5 },
      authHeaders: (k) => ({ Authorization: `Bearer ${k}` }),
      fetch: async () => {
        n++;
        throw new TypeError('fetch failed', { cause: { code: 'ECONNREFUSED' } });
      },
    });
    await assert.rejects(http.request(get, signal), (e: unknown) => e instanceof ProviderError && e.kind === 'network' && e.message === 'lambda: GET /x unreachable: ECONNREFUSED');
    assert.equal(n, 2);
  });

  it('stops waiting at once when cancelled', async () => {
    const ac = new AbortController();
    const { http } = client(() => ({ status: 429, headers: { 'retry-after': '30' } }), { retry: { attempts: 3, baseDelayMs: 1, maxDelayMs: 60_000 } });
    const t0 = Date.now();
    setTimeout(() => ac.abort(), 50);
    await assert.rejects(http.request(get, ac.signal), CancelledError);
    assert.ok(Date.now() - t0 < 2_000);
  });
});

describe('ProviderHttp: auth errors', () => {
  it('401 says which variable to set and never shows the key', async () => {
    // A server that echoes the key back must not get it into the message, the hint or the log.
    const { http, logger } = client(() => ({ status: 401, body: { success: false, error: 'auth_error', msg: `Invalid user key ${KEY}` } }));
    await assert.rejects(http.request(get, signal), (e: unknown) => {
      assert.ok(e instanceof ProviderError);
      assert.equal(e.message, 'vast: API key rejected (HTTP 401) — set FERRY_VAST_API_KEY');
      assert.equal(e.kind, 'auth');
      assert.equal(e.exitCode, 3);
      assert.ok(!`${e.message} ${e.hint ?? ''} ${e.stack ?? ''}`.includes(KEY));
      return true;
    });
    assert.ok(!logger.lines.join('\n').includes(KEY));
  });

  it('403 is an auth error too, unless the provider says it is about something else', async () => {
    const { http } = client(() => ({ status: 403, body: {} }));
    await assert.rejects(http.request(get, signal), /vast: API key rejected \(HTTP 403\) — set FERRY_VAST_API_KEY/);
    const { fetch } = stubFetch(() => ({ status: 403, body: { success: false, error: 'invalid_args', msg: 'error 403/3586: Offer 1 is not your own.' } }));
    const vast = new VastProvider({ apiKey: KEY, baseUrl: 'http://api.test', fetch, retry: { attempts: 1 } });
    const offer = { id: 'vast:1', provider: 'vast', diskGb: 10 } as Parameters<VastProvider['launch']>[0];
    await assert.rejects(vast.launch(offer, { sshPublicKey: 'ssh-ed25519 AAAA', name: 'j', labels: {} }, signal), (e: unknown) => e instanceof ProviderError && e.kind === 'bad-request');
  });

  it('without a key, says that one is needed', async () => {
    const { http, calls } = client(() => ({ body: {} }), { apiKey: undefined });
    await assert.rejects(http.request(get, signal), /vast: no API key — set FERRY_VAST_API_KEY/);
    assert.equal(calls.length, 0);
  });

  it('registers the key so that no log line anywhere shows it', () => {
    client(() => ({ body: {} }));
    const sink = captureLogger();
    scrubbingLogger(sink).info(`calling with ${KEY}`);
    assert.equal(sink.lines[0], 'info calling with ***');
  });
});

describe('pacing', () => {
  it('parses Retry-After as seconds or an HTTP date', () => {
    assert.equal(parseRetryAfter('3'), 3000);
    assert.equal(parseRetryAfter('0.5'), 500);
    assert.equal(parseRetryAfter(new Date(10_000).toUTCString(), 4_000), 6_000);
    assert.equal(parseRetryAfter('soon'), undefined);
    assert.equal(parseRetryAfter(null), undefined);
  });

  it('MinIntervalLimiter spaces starts, in call order', async () => {
    const limiter = new MinIntervalLimiter(60);
    const starts: number[] = [];
    const t0 = Date.now();
    await Promise.all([0, 1, 2].map(async () => {
      await limiter.acquire(signal);
      starts.push(Date.now() - t0);
    }));
    assert.equal(starts.length, 3);
    assert.ok((starts[1] ?? 0) >= 55 && (starts[2] ?? 0) >= 115, `starts ${starts.join(',')}`);
  });
});
