/**
 * Scaffolding shared by the fake provider APIs: a node:http server on 127.0.0.1:0 that
 * records every request (method, path, query, headers, parsed body), answers scripted
 * responses first (a 429 with Retry-After, a 500, a malformed body), and otherwise hands the
 * request to the fake's own router.
 */
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  /** Path without the query string. */
  path: string;
  query: Record<string, string>;
  headers: IncomingHttpHeaders;
  /** Parsed JSON, the raw text when not JSON, undefined when empty. */
  body: unknown;
  /** Date.now() when it arrived. */
  at: number;
}

export interface Reply {
  status: number;
  /** Objects are sent as JSON; strings as text/plain. */
  body?: unknown;
  headers?: Record<string, string>;
}

export interface ScriptedReply extends Reply {
  /** Which requests this reply is for (default: the next request of any kind). */
  match?: (req: RecordedRequest) => boolean;
}

/** Where a launched instance's sshd listens. The simulated cloud starts a real sshd here. */
export interface SshEndpointInfo {
  host: string;
  port: number;
}

/** What a fake tells the callbacks about an instance it is creating or ending. */
export interface LaunchedInfo {
  provider: 'vast' | 'runpod' | 'lambda';
  id: string;
  name: string;
  /** The offer / type / GPU the launch asked for. */
  offer: string;
}

export interface FakeLifecycleOptions {
  /** The API key the fake accepts. Default 'test-key-000000'. */
  apiKey?: string;
  /**
   * Called once per launch, before the launch answers: where the instance's sshd will be.
   * Default 127.0.0.1:22 (nothing listens there in tests that don't care).
   */
  sshEndpoint?: (info: LaunchedInfo) => SshEndpointInfo | Promise<SshEndpointInfo>;
  /** Called when an instance is terminated (the simulated cloud stops its sshd). */
  onTerminate?: (info: LaunchedInfo) => void | Promise<void>;
  /** Reads of an instance before it is running with an SSH endpoint. Default 2. */
  bootPolls?: number;
  /** Answer the first request with 429 (and this Retry-After in seconds, when given). */
  rateLimitOnce?: { retryAfterS?: number; body?: unknown };
}

export interface FakeServer<S> {
  url: string;
  state: S;
  requests: RecordedRequest[];
  /** Replies to use before routing, each once, in order of matching. */
  script: ScriptedReply[];
  close(): Promise<void>;
}

export type Router = (req: RecordedRequest) => Reply | Promise<Reply>;

export async function startFakeServer<S>(state: S, route: Router, opts: { rateLimitOnce?: FakeLifecycleOptions['rateLimitOnce']; rateLimitText?: unknown } = {}): Promise<FakeServer<S>> {
  const requests: RecordedRequest[] = [];
  const script: ScriptedReply[] = [];
  if (opts.rateLimitOnce) {
    const headers: Record<string, string> = {};
    if (opts.rateLimitOnce.retryAfterS !== undefined) headers['Retry-After'] = String(opts.rateLimitOnce.retryAfterS);
    script.push({ status: 429, headers, body: opts.rateLimitOnce.body ?? opts.rateLimitText ?? 'API requests too frequent' });
  }
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const text = Buffer.concat(chunks).toString('utf8');
      let body: unknown;
      if (text !== '') {
        try {
          body = JSON.parse(text);
        } catch {
          body = text;
        }
      }
      const recorded: RecordedRequest = {
        method: req.method ?? 'GET',
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        headers: req.headers,
        body,
        at: Date.now(),
      };
      requests.push(recorded);
      const i = script.findIndex((s) => !s.match || s.match(recorded));
      if (i >= 0) {
        const [scripted] = script.splice(i, 1);
        if (scripted) return send(res, scripted);
      }
      Promise.resolve()
        .then(() => route(recorded))
        .then(
          (reply) => send(res, reply),
          (err: unknown) => send(res, { status: 500, body: { error: 'fake_crashed', msg: String(err) } }),
        );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    state,
    requests,
    script,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function send(res: ServerResponse, reply: Reply): void {
  const headers: Record<string, string> = { ...reply.headers };
  let payload = '';
  if (typeof reply.body === 'string') {
    headers['Content-Type'] ??= 'text/plain';
    payload = reply.body;
  } else if (reply.body !== undefined) {
    headers['Content-Type'] ??= 'application/json';
    payload = JSON.stringify(reply.body);
  }
  res.writeHead(reply.status, headers);
  res.end(payload);
}

/** The key a request carries: Bearer, Basic (`base64(key:)`), or `?api_key=`. */
export function presentedKey(req: RecordedRequest): string | undefined {
  const auth = req.headers.authorization;
  if (typeof auth === 'string') {
    const bearer = /^Bearer\s+(.+)$/i.exec(auth);
    if (bearer?.[1]) return bearer[1].trim();
    const basic = /^Basic\s+(.+)$/i.exec(auth);
    if (basic?.[1]) return Buffer.from(basic[1], 'base64').toString('utf8').replace(/:$/, '');
  }
  return req.query.api_key;
}

export function json(status: number, body: unknown, headers?: Record<string, string>): Reply {
  return { status, body, headers };
}

export const DEFAULT_FAKE_KEY = 'test-key-000000';

/** A path with or without its trailing slash (Vast's clients send it, its merged spec drops it). */
export function pathMatch(path: string, re: RegExp): RegExpExecArray | null {
  return re.exec(path.endsWith('/') ? path : `${path}/`);
}
