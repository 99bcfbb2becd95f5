import { setMaxListeners } from 'node:events';
import { createHash } from 'node:crypto';
import { createWriteStream, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import { z } from 'zod';
import { InfraError, isCancelled, throwIfAborted } from '../util/errors';
import type { S3Handle } from './client';
import { SHA256_META, hashFile, type FileHashes } from './hash';
import type { Limiter } from './pool';

/** Suffix of the names downloads land under before they are whole (never synced, never deleted by a sync). */
export const PARTIAL_SUFFIX = '.ferry-partial';
export const PARTIAL_PATTERNS = [`*${PARTIAL_SUFFIX}`, `*${PARTIAL_SUFFIX}.json`];

/** The temp name beside `dest`: hidden, and short enough for NAME_MAX whatever the name. */
export function partialPath(dest: string): string {
  const dir = path.dirname(dest);
  const base = path.basename(dest);
  const short = Buffer.byteLength(base) > 180 ? createHash('sha256').update(base).digest('hex').slice(0, 24) : base;
  return path.join(dir, `.${short}${PARTIAL_SUFFIX}`);
}

const RangedJournal = z.object({ etag: z.string(), size: z.number(), partSize: z.number(), done: z.array(z.number()) });

export interface DownloadContext {
  s3: S3Handle;
  partPool: Limiter;
  signal: AbortSignal;
  /** Objects at least this big are fetched in parallel ranges, resumably. */
  rangedThreshold: number;
  partSize: number;
  onBytes(received: number, reused: number): void;
}

export interface RemoteFile {
  key: string;
  size: number;
  etag: string;
  lastModifiedMs: number;
}

/**
 * Downloads `obj` to `dest`: the bytes land under a hidden temp name and are renamed over
 * `dest` only when whole and verified, so a half file never appears under the real name.
 * Small objects stream in one GET (and an interrupted one starts over); large ones are fetched
 * in parallel ranges into a sparse temp file with a journal of finished ranges, and an
 * interrupted one resumes if the object's ETag has not changed. Returns the file's hashes.
 */
export async function downloadFile(ctx: DownloadContext, bucket: string, obj: RemoteFile, dest: string): Promise<{ hashes: FileHashes; bytes: number }> {
  await fs.mkdir(path.dirname(dest), { recursive: true });
  const tmp = partialPath(dest);
  let result: { hashes: FileHashes; bytes: number; expectedSha?: string };
  if (obj.size >= ctx.rangedThreshold) {
    result = await downloadRanged(ctx, bucket, obj, tmp);
  } else {
    try {
      result = await downloadWhole(ctx, bucket, obj, tmp);
    } catch (err) {
      await fs.rm(tmp, { force: true });
      throw err;
    }
  }
  if (result.expectedSha !== undefined && result.expectedSha !== result.hashes.sha256) {
    await fs.rm(tmp, { force: true });
    await fs.rm(`${tmp}.json`, { force: true });
    throw new InfraError(`Downloaded s3://${bucket}/${obj.key} does not match its stored SHA-256 (corrupted in transit or changed meanwhile); run the sync again`);
  }
  // Keep S3's time as the file's mtime, as aws s3 sync does, so other tools agree it is current.
  const t = new Date(obj.lastModifiedMs > 0 ? obj.lastModifiedMs : Date.now());
  await fs.utimes(tmp, t, t);
  await fs.rename(tmp, dest);
  await fs.rm(`${tmp}.json`, { force: true });
  return { hashes: result.hashes, bytes: result.bytes };
}

async function downloadWhole(ctx: DownloadContext, bucket: string, obj: RemoteFile, tmp: string): Promise<{ hashes: FileHashes; bytes: number; expectedSha?: string }> {
  const got = await ctx.s3.ops.get(bucket, obj.key, {}, ctx.signal);
  const md5 = createHash('md5');
  const sha = createHash('sha256');
  let bytes = 0;
  const tap = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      md5.update(chunk);
      sha.update(chunk);
      bytes += chunk.length;
      ctx.onBytes(chunk.length, 0);
      cb(null, chunk);
    },
  });
  await pipeline(got.body, tap, createWriteStream(tmp), { signal: ctx.signal });
  if (bytes !== got.size) throw new InfraError(`Short read of s3://${bucket}/${obj.key}: ${bytes} of ${got.size} bytes`);
  const expected = got.metadata[SHA256_META];
  const out: { hashes: FileHashes; bytes: number; expectedSha?: string } = { hashes: { md5: md5.digest('hex'), sha256: sha.digest('hex') }, bytes };
  if (expected !== undefined) out.expectedSha = expected;
  return out;
}

async function downloadRanged(ctx: DownloadContext, bucket: string, obj: RemoteFile, tmp: string): Promise<{ hashes: FileHashes; bytes: number; expectedSha?: string }> {
  const head = await ctx.s3.ops.head(bucket, obj.key, ctx.signal);
  if (!head) throw new InfraError(`s3://${bucket}/${obj.key} disappeared during the sync`);
  const partSize = ctx.partSize;
  const size = head.size;
  const count = Math.max(1, Math.ceil(size / partSize));
  const jfile = `${tmp}.json`;

  const done = new Set<number>();
  const prev = await fs
    .readFile(jfile, 'utf8')
    .then((t) => RangedJournal.safeParse(JSON.parse(t)))
    .catch(() => undefined);
  const tmpSize = await fs.stat(tmp).then((s) => s.size, () => -1);
  if (prev?.success && prev.data.etag === head.etag && prev.data.size === size && prev.data.partSize === partSize && tmpSize === size) {
    for (const n of prev.data.done) done.add(n);
  } else {
    await fs.rm(jfile, { force: true });
    // A sparse file of the final size: ranges are written in place, in any order.
    const fh = await fs.open(tmp, 'w');
    await fh.truncate(size);
    await fh.close();
  }
  let reused = 0;
  for (const n of done) reused += Math.min(partSize, size - n * partSize);
  if (reused > 0) ctx.onBytes(0, reused);

  let journalWrite: Promise<void> = Promise.resolve();
  const record = (): Promise<void> => {
    const body = JSON.stringify({ etag: head.etag, size, partSize, done: [...done] });
    journalWrite = journalWrite.then(async () => {
      await fs.writeFile(`${jfile}.tmp`, body);
      await fs.rename(`${jfile}.tmp`, jfile);
    });
    return journalWrite;
  };
  if (done.size === 0) await record();

  let bytes = 0;
  const fh = await fs.open(tmp, 'r+');
  const inner = new AbortController();
  // Every request in flight listens on it; dozens at once are expected, not a leak.
  setMaxListeners(0, inner.signal);
  const onAbort = (): void => inner.abort();
  ctx.signal.addEventListener('abort', onAbort, { once: true });
  let firstError: unknown;
  try {
    const todo: number[] = [];
    for (let n = 0; n < count; n++) if (!done.has(n)) todo.push(n);
    await Promise.all(
      todo.map((n) =>
        ctx.partPool(async () => {
          if (inner.signal.aborted) return;
          const start = n * partSize;
          const end = Math.min(size, start + partSize) - 1;
          try {
            const got = await ctx.s3.ops.get(bucket, obj.key, { start, end, ifMatch: head.etag }, inner.signal);
            let pos = start;
            for await (const chunk of got.body) {
              const c = chunk as Buffer;
              if (pos + c.length > end + 1) throw new InfraError(`s3://${bucket}/${obj.key}: the server sent more than the range asked for`);
              await fh.write(c, 0, c.length, pos);
              pos += c.length;
              bytes += c.length;
              ctx.onBytes(c.length, 0);
            }
            if (pos !== end + 1) throw new InfraError(`Short read of s3://${bucket}/${obj.key} at ${start}: ${pos - start} of ${end + 1 - start} bytes`);
            done.add(n);
            await record();
          } catch (err) {
            if (firstError === undefined || (isCancelled(firstError) && !isCancelled(err))) firstError = err;
            inner.abort();
          }
        }),
      ),
    );
  } finally {
    ctx.signal.removeEventListener('abort', onAbort);
    await fh.close();
    await journalWrite.catch(() => undefined);
  }
  throwIfAborted(ctx.signal);
  if (firstError !== undefined) throw firstError;
  // Whole: hash it once (it is in the page cache) to verify and to seed the hash cache.
  const hashes = await hashFile(tmp, ctx.signal);
  const out: { hashes: FileHashes; bytes: number; expectedSha?: string } = { hashes, bytes };
  const expected = head.metadata[SHA256_META];
  if (expected !== undefined) out.expectedSha = expected;
  return out;
}
