/**
 * Test harness: an `s3rver` (S3 protocol server in Node) on 127.0.0.1 with a temp directory and
 * one bucket. Nothing leaves loopback.
 *
 * s3rver checks only the access key id of a SigV4 request, never its signature, so a wrong
 * secret key would pass unnoticed. With `verifySignatures` the harness checks the signature
 * itself (header-signed SigV4, as the AWS SDK, awscli and rclone send) before s3rver sees the
 * request, which is what the "a wrong secret never shows up in an error" test needs.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import S3rver from 's3rver';

/** The credentials s3rver knows (its built-in account). */
export const S3RVER_ACCESS_KEY_ID = 'S3RVER';
export const S3RVER_SECRET_ACCESS_KEY = 'S3RVER';

export interface StartS3rverOptions {
  bucket?: string;
  /** Check SigV4 signatures against S3RVER_SECRET_ACCESS_KEY (default false). */
  verifySignatures?: boolean;
  /** Called for every request before it is served (counting parts, injecting faults). */
  onRequest?: (req: http.IncomingMessage) => void;
}

export interface S3rverHandle {
  /** `http://127.0.0.1:<port>` */
  endpoint: string;
  bucket: string;
  /** s3rver's storage folder (removed by close()). */
  dir: string;
  /** Environment for a client of this server: fake credentials, endpoint, region. */
  env: Record<string, string>;
  close(): Promise<void>;
}

export async function startS3rver(opts: StartS3rverOptions = {}): Promise<S3rverHandle> {
  const bucket = opts.bucket ?? 'ferry-test';
  const dir = mkdtempSync(path.join(tmpdir(), 'ferry-s3rver-'));
  const s3 = new S3rver({ directory: dir, silent: true, configureBuckets: [{ name: bucket, configs: [] }], vhostBuckets: false });
  await s3.configureBuckets();
  const handler = s3.callback();
  const server = http.createServer((req, res) => {
    opts.onRequest?.(req);
    if (opts.verifySignatures && !signatureMatches(req, S3RVER_SECRET_ACCESS_KEY)) {
      res.writeHead(403, { 'content-type': 'application/xml' });
      res.end(
        '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>SignatureDoesNotMatch</Code>' +
          '<Message>The request signature we calculated does not match the signature you provided. Check your key and signing method.</Message></Error>',
      );
      req.resume();
      return;
    }
    handler(req, res);
  });
  // Many parallel keep-alive clients: the default 5 s keep-alive drops sockets mid-benchmark.
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const endpoint = `http://127.0.0.1:${port}`;
  return {
    endpoint,
    bucket,
    dir,
    env: {
      AWS_ACCESS_KEY_ID: S3RVER_ACCESS_KEY_ID,
      AWS_SECRET_ACCESS_KEY: S3RVER_SECRET_ACCESS_KEY,
      AWS_ENDPOINT_URL_S3: endpoint,
      AWS_REGION: 'us-east-1',
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      // What s3rver's own close() does for the server it would have started.
      (s3 as unknown as { logger?: { close(): void } }).logger?.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const enc = (s: string): string => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/** Recomputes a header-signed SigV4 signature (S3 flavour: the path is used as sent). */
function signatureMatches(req: http.IncomingMessage, secret: string): boolean {
  const auth = req.headers.authorization ?? '';
  const m = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request,\s*SignedHeaders=([^,]+),\s*Signature=([0-9a-f]{64})$/.exec(auth);
  if (!m) return false;
  const [, , date, region, service, signedHeaders, signature] = m as unknown as [string, string, string, string, string, string, string];
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const rawPath = q === -1 ? url : url.slice(0, q);
  const query = new URLSearchParams(q === -1 ? '' : url.slice(q + 1));
  const canonicalQuery = [...query.entries()]
    .map(([k, v]) => [enc(k), enc(v)] as const)
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  const names = signedHeaders.split(';');
  const canonicalHeaders = names
    .map((n) => {
      const v = req.headers[n];
      const s = Array.isArray(v) ? v.join(',') : (v ?? '');
      return `${n}:${s.trim().replace(/\s+/g, ' ')}\n`;
    })
    .join('');
  const payloadHash = String(req.headers['x-amz-content-sha256'] ?? 'UNSIGNED-PAYLOAD');
  const canonicalRequest = [req.method, rawPath, canonicalQuery, canonicalHeaders, signedHeaders, payloadHash].join('\n');
  const amzDate = String(req.headers['x-amz-date'] ?? '');
  const scope = `${date}/${region}/${service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, createHash('sha256').update(canonicalRequest).digest('hex')].join('\n');
  let key: Buffer = createHmac('sha256', `AWS4${secret}`).update(date).digest();
  for (const part of [region, service, 'aws4_request']) key = createHmac('sha256', key).update(part).digest();
  const expected = createHmac('sha256', key).update(stringToSign).digest();
  return timingSafeEqual(expected, Buffer.from(signature, 'hex'));
}
