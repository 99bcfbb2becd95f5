import { setMaxListeners } from 'node:events';
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import { InfraError, isCancelled, throwIfAborted } from '../util/errors';
import type { Logger } from '../util/logger';
import type { S3Handle } from './client';
import { SHA256_META, type FileHashes, type FileStamp } from './hash';
import type { UploadedPart } from './ops';
import type { ByteBudget, Limiter } from './pool';

const MiB = 1024 * 1024;
/** S3's limits: parts of at least 5 MiB (but the last), at most 10,000 parts. */
const MIN_PART = 5 * MiB;
const MAX_PARTS = 10_000;

export function partSizeFor(size: number, wanted: number): number {
  const floor = Math.max(MIN_PART, wanted, Math.ceil(size / MAX_PARTS));
  return Math.ceil(floor / MiB) * MiB;
}

const Journal = z.object({
  version: z.literal(1),
  endpoint: z.string(),
  bucket: z.string(),
  key: z.string(),
  size: z.number(),
  mtimeMs: z.number(),
  sha256: z.string(),
  partSize: z.number(),
  uploadId: z.string(),
  /** part number -> ETag, for every part the server acknowledged. */
  parts: z.record(z.string(), z.string()),
});
type Journal = z.infer<typeof Journal>;

export interface MultipartContext {
  s3: S3Handle;
  /** An id of the endpoint, so that journals of two stores never mix. */
  endpointId: string;
  /** Folder of resume journals. */
  journalDir: string;
  partPool: Limiter;
  /** Bounds the part bodies held in memory (shared with the sync's whole-file uploads). */
  budget: ByteBudget;
  signal: AbortSignal;
  logger: Logger;
  /** Called as parts complete (bytes sent) and for parts reused from an earlier run. */
  onBytes(sent: number, reused: number): void;
}

export interface MultipartResult {
  etag: string;
  partsSent: number;
  partsReused: number;
  bytesSent: number;
}

function journalPath(ctx: MultipartContext, bucket: string, key: string): string {
  const id = createHash('sha256').update(`${ctx.endpointId}\0${bucket}\0${key}`).digest('hex').slice(0, 40);
  return path.join(ctx.journalDir, `${id}.json`);
}

async function readJournal(file: string): Promise<Journal | undefined> {
  const raw = await fs.readFile(file, 'utf8').catch(() => undefined);
  if (raw === undefined) return undefined;
  try {
    const r = Journal.safeParse(JSON.parse(raw));
    return r.success ? r.data : undefined;
  } catch {
    return undefined;
  }
}

async function writeJournal(file: string, j: Journal): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  await fs.writeFile(tmp, JSON.stringify(j));
  await fs.rename(tmp, file);
}

async function readRange(fh: fs.FileHandle, start: number, length: number): Promise<Buffer> {
  const buf = Buffer.allocUnsafe(length);
  let off = 0;
  while (off < length) {
    const { bytesRead } = await fh.read(buf, off, length - off, start + off);
    if (bytesRead === 0) throw new InfraError(`File shrank while uploading (expected ${length} bytes at offset ${start})`);
    off += bytesRead;
  }
  return buf;
}

function isNoSuchUpload(err: unknown): boolean {
  const e = err as { name?: unknown; $metadata?: { httpStatusCode?: unknown } } | null;
  return e?.name === 'NoSuchUpload' || e?.$metadata?.httpStatusCode === 404;
}

/**
 * Uploads one large file in parts, resumable: every acknowledged part is written to a journal
 * keyed by endpoint+bucket+key, and a later upload of the same file (same size, mtime and
 * SHA-256) continues the same multipart upload, sending only the parts the server does not
 * hold. Where the store can list parts (S3, MinIO, R2) its list is authoritative; where it
 * cannot (s3rver), the journal is. An interrupted upload is left open on the server so it can
 * be resumed (an S3 lifecycle rule "abort incomplete multipart uploads" cleans up abandoned ones).
 */
export async function uploadMultipart(
  ctx: MultipartContext,
  abs: string,
  bucket: string,
  key: string,
  stamp: FileStamp,
  hashes: FileHashes,
  wantedPartSize: number,
): Promise<MultipartResult> {
  const size = stamp.size;
  const partSize = partSizeFor(size, wantedPartSize);
  const partCount = Math.max(1, Math.ceil(size / partSize));
  const jfile = journalPath(ctx, bucket, key);
  const signal = ctx.signal;

  let journal = await readJournal(jfile);
  const done = new Map<number, string>();
  if (journal && (journal.size !== size || journal.mtimeMs !== stamp.mtimeMs || journal.sha256 !== hashes.sha256 || journal.partSize !== partSize)) {
    // The file changed since that upload began: its parts are of no use.
    const stale = journal;
    journal = undefined;
    await ctx.s3.ops.abortMultipart(bucket, key, stale.uploadId, signal).catch(() => undefined);
    await fs.rm(jfile, { force: true });
  }
  if (journal) {
    let serverParts: UploadedPart[] | undefined;
    try {
      serverParts = await ctx.s3.ops.listParts(bucket, key, journal.uploadId, signal);
    } catch (err) {
      if (!isNoSuchUpload(err)) throw err;
      ctx.logger.debug(`s3: upload ${journal.uploadId} of ${key} is gone; starting over`);
      journal = undefined;
    }
    if (journal) {
      const j = journal;
      if (serverParts === undefined) {
        // No part listing here: the journal holds exactly the parts the server acknowledged.
        for (const [n, etag] of Object.entries(j.parts)) done.set(Number(n), etag);
      } else {
        for (const p of serverParts) {
          const expected = p.partNumber === partCount ? size - (partCount - 1) * partSize : partSize;
          // Same file (sha256 matched), so a part whose ETag the journal recorded is that part.
          if (j.parts[String(p.partNumber)] === p.etag && (p.size === undefined || p.size === expected)) done.set(p.partNumber, p.etag);
        }
      }
    }
  }

  let uploadId: string;
  if (journal) {
    uploadId = journal.uploadId;
    ctx.logger.debug(`s3: resuming upload of ${key}: ${done.size}/${partCount} parts already there`);
  } else {
    uploadId = await ctx.s3.ops.createMultipart(bucket, key, { [SHA256_META]: hashes.sha256 }, signal);
    journal = { version: 1, endpoint: ctx.endpointId, bucket, key, size, mtimeMs: stamp.mtimeMs, sha256: hashes.sha256, partSize, uploadId, parts: {} };
    await writeJournal(jfile, journal);
  }
  const j: Journal = { ...journal, parts: Object.fromEntries([...done].map(([n, e]) => [String(n), e])) };

  let reusedBytes = 0;
  for (const n of done.keys()) reusedBytes += n === partCount ? size - (partCount - 1) * partSize : partSize;
  if (reusedBytes > 0) ctx.onBytes(0, reusedBytes);

  // Journal writes are serialized: parts finish in any order.
  let journalWrite: Promise<void> = Promise.resolve();
  const recordPart = (n: number, etag: string): Promise<void> => {
    j.parts[String(n)] = etag;
    journalWrite = journalWrite.then(() => writeJournal(jfile, j));
    return journalWrite;
  };

  let partsSent = 0;
  let bytesSent = 0;
  const fh = await fs.open(abs, 'r');
  try {
    const todo: number[] = [];
    for (let n = 1; n <= partCount; n++) if (!done.has(n)) todo.push(n);
    const inner = new AbortController();
    // Every request in flight listens on it; dozens at once are expected, not a leak.
    setMaxListeners(0, inner.signal);
    const onAbort = (): void => inner.abort();
    signal.addEventListener('abort', onAbort, { once: true });
    let firstError: unknown;
    try {
      await Promise.all(
        todo.map((n) =>
          ctx.partPool(async () => {
            if (inner.signal.aborted) return;
            const start = (n - 1) * partSize;
            const len = Math.min(partSize, size - start);
            try {
              const etag = await ctx.budget.run(len, async () => {
                const body = await readRange(fh, start, len);
                const md5 = createHash('md5').update(body).digest();
                return ctx.s3.ops.uploadPart(bucket, key, uploadId, n, body, md5.toString('base64'), inner.signal);
              });
              done.set(n, etag);
              partsSent++;
              bytesSent += len;
              ctx.onBytes(len, 0);
              await recordPart(n, etag);
            } catch (err) {
              // One failed part stops the others; the journal keeps what got through.
              if (firstError === undefined || (isCancelled(firstError) && !isCancelled(err))) firstError = err;
              inner.abort();
            }
          }),
        ),
      );
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
    throwIfAborted(signal);
    if (firstError !== undefined) {
      if (isNoSuchUpload(firstError)) await fs.rm(jfile, { force: true });
      throw firstError;
    }
    const now = await fh.stat();
    if (now.size !== size || now.mtimeMs !== stamp.mtimeMs) {
      throw new InfraError(`${abs} changed while it was being uploaded; run the sync again`);
    }
  } finally {
    await fh.close();
    await journalWrite.catch(() => undefined);
  }

  const parts = [...done].map(([partNumber, etag]) => ({ partNumber, etag }));
  const { etag } = await ctx.s3.ops.completeMultipart(bucket, key, uploadId, parts, signal);
  await fs.rm(jfile, { force: true });
  return { etag, partsSent, partsReused: partCount - partsSent, bytesSent };
}
