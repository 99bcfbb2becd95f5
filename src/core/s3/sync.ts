import { setMaxListeners } from 'node:events';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import ignore from 'ignore';
import { ferryHome } from '../jobs/paths';
import { CancelledError, UserError, isCancelled, throwIfAborted } from '../util/errors';
import { nullLogger, type Logger } from '../util/logger';
import { openS3 } from './client';
import type { S3ClientOptions } from './config';
import { downloadFile } from './download';
import { toS3Error } from './errors';
import { HashCache, SHA256_META, cachedHashes, hashBuffer, sameStamp, stampOf, type FileHashes } from './hash';
import { deleteAll } from './list';
import { uploadMultipart } from './multipart';
import type { RemoteObject } from './ops';
import { createByteBudget, createLimiter, type Limiter } from './pool';
import { ProgressMeter, type SyncProgress } from './progress';
import { listLocal, listRemote, pruneEmptyDirs, sameContent, type Direction } from './trees';
import { joinKey, parseS3Uri } from './uri';

export type { SyncProgress } from './progress';

const MiB = 1024 * 1024;

/** What a sync did; JSON-able (the CLI prints it with --json). */
export interface SyncSummary {
  uploaded: number;
  downloaded: number;
  deleted: number;
  /** Files already identical on both sides. */
  skipped: number;
  /** Bytes moved over the network. */
  bytes: number;
  seconds: number;
}

export interface S3SyncOptions {
  /** Delete what the destination has and the source does not (default false). */
  delete?: boolean;
  /** gitignore-style patterns, relative to the synced root, applied to both sides. */
  exclude?: string[];
  /** Honour .gitignore/.ferryignore in a local source tree (default true). */
  ignoreFiles?: boolean;
  /** Files in flight at once (default 32). */
  concurrency?: number;
  /** Parts (of multipart uploads and ranged downloads) in flight at once, all files together (default 8). */
  partConcurrency?: number;
  /** Files at least this big go multipart / ranged (default 16 MiB). */
  multipartThreshold?: number;
  /** Part size (default 8 MiB; raised for huge files to stay under 10,000 parts). */
  partSize?: number;
  /** Upload bodies (whole small files, parts) held in memory at once, in bytes (default 128 MiB). */
  maxBufferBytes?: number;
  onProgress?: (p: SyncProgress) => void;
  /** Least time between two progress calls (default 200 ms); phase changes always report. */
  progressIntervalMs?: number;
  signal?: AbortSignal;
  logger?: Logger;
  /** Endpoint, region, credentials (default: the AWS environment and profile files). */
  s3?: S3ClientOptions;
  /** Where resume journals and the hash cache live (default $FERRY_HOME/s3). */
  stateDir?: string;
  /** Fail (before touching the destination) when the source holds nothing. */
  mustExist?: boolean;
}

/** Runs `fn` on every item with `limit`, stops the rest on the first failure, and rethrows it. */
async function runAll<T>(items: T[], limit: Limiter, inner: AbortController, outer: AbortSignal, fn: (item: T) => Promise<void>): Promise<void> {
  let first: unknown;
  await Promise.all(
    items.map((item) =>
      limit(async () => {
        if (inner.signal.aborted) return;
        try {
          await fn(item);
        } catch (err) {
          if (first === undefined || (isCancelled(first) && !isCancelled(err))) first = err;
          inner.abort();
        }
      }),
    ),
  );
  if (outer.aborted) throw new CancelledError();
  if (first !== undefined) throw first;
}

interface Endpoints {
  local: string;
  bucket: string;
  prefix: string;
}

async function runSync(direction: Direction, ends: Endpoints, opts: S3SyncOptions): Promise<SyncSummary> {
  const t0 = Date.now();
  const outer = opts.signal ?? new AbortController().signal;
  throwIfAborted(outer);
  const logger = opts.logger ?? nullLogger;
  const concurrency = opts.concurrency ?? 32;
  const partConcurrency = opts.partConcurrency ?? 8;
  const threshold = opts.multipartThreshold ?? 16 * MiB;
  const partSize = opts.partSize ?? 8 * MiB;
  const stateDir = opts.stateDir ?? path.join(ferryHome(), 's3');
  const { bucket, prefix } = ends;
  const root = path.resolve(ends.local);
  const meter = new ProgressMeter(opts.onProgress, opts.progressIntervalMs ?? 200);
  const summary: SyncSummary = { uploaded: 0, downloaded: 0, deleted: 0, skipped: 0, bytes: 0, seconds: 0 };

  // One failure stops the whole sync (a rerun resumes it); `inner` carries that stop to every request.
  const inner = new AbortController();
  // Every request in flight listens on it; dozens at once are expected, not a leak.
  setMaxListeners(0, inner.signal);
  const onOuterAbort = (): void => inner.abort();
  const signal = inner.signal;
  const s3 = await openS3(opts.s3, outer, concurrency + partConcurrency);
  outer.addEventListener('abort', onOuterAbort, { once: true });
  try {
    meter.phase('listing');
    const excluded = ignore().add(opts.exclude ?? []);
    const uploadingFile = direction === 'up' && (await fs.stat(root).then((st) => st.isFile(), () => false));
    if (uploadingFile && prefix === '') throw new UserError(`To upload the file ${root}, name its key: s3://${bucket}/<key>`);
    // Both sides are listed at once: on a no-op sync the listings are most of the time.
    const [local, listed] = await Promise.all([
      listLocal(root, direction, opts, logger, signal),
      uploadingFile ? undefined : listRemote(s3, bucket, prefix, signal),
    ]);
    let remote: Map<string, RemoteObject>;
    let single = false;
    if (listed === undefined) {
      single = true;
      remote = new Map();
      const head = await s3.call(`reading s3://${bucket}/${prefix}`, (o) => o.head(bucket, prefix, signal));
      if (head) remote.set('', head);
    } else {
      remote = listed;
      for (const rel of [...remote.keys()]) if (excluded.ignores(rel)) remote.delete(rel);
      if (direction === 'down' && remote.size === 0 && prefix !== '' && local.kind !== 'dir') {
        // s3://bucket/key naming one object, not a prefix: download it as the file `root`.
        const head = await s3.call(`reading s3://${bucket}/${prefix}`, (o) => o.head(bucket, prefix, signal));
        if (head) {
          single = true;
          remote.set('', head);
          local.files.clear();
          if (local.kind === 'file') {
            const st = await fs.stat(root);
            local.files.set('', { abs: root, size: st.size });
          }
        }
      }
    }
    if (direction === 'down' && !single && local.kind === 'file' && remote.size > 0) {
      throw new UserError(`${root} is a file, but s3://${bucket}/${prefix} holds a folder of objects; name a folder to sync into`);
    }
    if (opts.mustExist && (direction === 'up' ? local.files : remote).size === 0) {
      throw new UserError(direction === 'up' ? `Nothing to upload in ${root}` : `Nothing found at s3://${bucket}/${prefix}`);
    }
    const absFor = (rel: string): string => (rel === '' ? root : path.join(root, ...rel.split('/')));
    const keyFor = (rel: string): string => (rel === '' ? prefix : joinKey(prefix, rel));

    // Plan: what differs by size or presence is transferred; same-size pairs are compared by content.
    const source: Map<string, { size: number }> = direction === 'up' ? local.files : remote;
    const dest: Map<string, { size: number }> = direction === 'up' ? remote : local.files;
    const transfer: string[] = [];
    const compare: string[] = [];
    for (const [rel, src] of source) {
      const d = dest.get(rel);
      if (!d || d.size !== src.size) transfer.push(rel);
      else compare.push(rel);
    }
    const toDelete = opts.delete && !single ? [...dest.keys()].filter((rel) => !source.has(rel)) : [];

    const cache = await HashCache.open(path.join(stateDir, 'hashes'), root);
    const filePool = createLimiter(concurrency);
    const partPool = createLimiter(partConcurrency);
    const budget = createByteBudget(opts.maxBufferBytes ?? 128 * MiB);

    meter.phase('comparing');
    await runAll(compare, filePool, inner, outer, async (rel) => {
      const abs = absFor(rel);
      const obj = remote.get(rel);
      if (!obj) return;
      let hashes: FileHashes;
      try {
        hashes = await cachedHashes(cache, rel, abs, signal);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return; // vanished since the scan
        throw err;
      }
      if (await sameContent(s3, bucket, obj, hashes, signal)) summary.skipped++;
      else transfer.push(rel);
    });

    // Largest first: big files' parts then overlap the stream of small ones instead of
    // trailing alone at the end (longest-processing-time-first scheduling).
    const sizeOf = (rel: string): number => source.get(rel)?.size ?? 0;
    transfer.sort((a, b) => sizeOf(b) - sizeOf(a) || (a < b ? -1 : a > b ? 1 : 0));
    meter.p.filesTotal = transfer.length;
    meter.p.bytesTotal = transfer.reduce((n, rel) => n + sizeOf(rel), 0);
    meter.phase('transferring');
    const onBytes = (moved: number, reused: number): void => {
      summary.bytes += moved;
      meter.bytes(moved, reused);
    };

    await runAll(transfer, filePool, inner, outer, async (rel) => {
      const abs = absFor(rel);
      const key = keyFor(rel);
      const where = `s3://${bucket}/${key}`;
      try {
        if (direction === 'up') {
          const before = await fs.stat(abs).catch((err: NodeJS.ErrnoException) => {
            if (err.code === 'ENOENT') return undefined;
            throw err;
          });
          if (!before) {
            logger.warn(`s3 sync: ${abs} vanished before it could be uploaded`);
            return;
          }
          const stamp = stampOf(before);
          if (stamp.size >= threshold) {
            const hashes = await cachedHashes(cache, rel, abs, signal);
            await uploadMultipart(
              { s3, endpointId: s3.endpointId, journalDir: path.join(stateDir, 'uploads'), partPool, budget, signal, logger, onBytes },
              abs,
              bucket,
              key,
              stamp,
              hashes,
              partSize,
            );
          } else {
            await budget.run(stamp.size, async () => {
              const body = await fs.readFile(abs, { signal });
              const h = hashBuffer(body);
              await s3.ops.put(bucket, key, body, h.md5Base64, { [SHA256_META]: h.sha256 }, signal);
              onBytes(body.length, 0);
              const after = stampOf(await fs.stat(abs));
              if (sameStamp(stamp, after) && after.size === body.length) cache.set(rel, after, h);
            });
          }
          summary.uploaded++;
        } else {
          const obj = remote.get(rel);
          if (!obj) return;
          const { hashes } = await downloadFile({ s3, partPool, signal, rangedThreshold: threshold, partSize, onBytes }, bucket, obj, abs);
          cache.set(rel, stampOf(await fs.stat(abs)), hashes);
          summary.downloaded++;
        }
        meter.file();
      } catch (err) {
        throw toS3Error(err, direction === 'up' ? `upload of ${abs} to ${where}` : `download of ${where} to ${abs}`);
      }
    });

    if (toDelete.length > 0) {
      meter.phase('deleting');
      if (direction === 'up') {
        await deleteAll(s3, bucket, toDelete.map(keyFor), signal);
        summary.deleted += toDelete.length;
      } else {
        for (const rel of toDelete) {
          throwIfAborted(outer);
          await fs.rm(absFor(rel), { force: true });
          summary.deleted++;
        }
        await pruneEmptyDirs(root, toDelete);
      }
    }

    await cache.save().catch((err: unknown) => logger.debug(`s3 sync: could not save the hash cache: ${String(err)}`));
    summary.seconds = (Date.now() - t0) / 1000;
    meter.phase('done');
    return summary;
  } catch (err) {
    if (outer.aborted) throw new CancelledError();
    throw toS3Error(err, direction === 'up' ? `sync of ${root} to s3://${bucket}/${prefix}` : `sync of s3://${bucket}/${prefix} to ${root}`);
  } finally {
    outer.removeEventListener('abort', onOuterAbort);
    s3.close();
  }
}

/**
 * Makes `s3Uri` hold what `localPath` holds (a folder's files under the prefix, or one file as
 * the key itself). Incremental: only files missing, of another size, or of other content
 * (ETag, else the stored SHA-256) are sent. Deletes extra keys only with `delete: true`.
 */
export async function syncLocalToS3(localPath: string, s3Uri: string, opts: S3SyncOptions = {}): Promise<SyncSummary> {
  const { bucket, prefix } = parseS3Uri(s3Uri);
  return runSync('up', { local: localPath, bucket, prefix }, opts);
}

/**
 * Makes `localPath` hold what `s3Uri` holds (every key under the prefix, or the one object the
 * URI names). Downloads land under a temp name and are renamed when whole. Deletes extra local
 * files only with `delete: true`.
 */
export async function syncS3ToLocal(s3Uri: string, localPath: string, opts: S3SyncOptions = {}): Promise<SyncSummary> {
  const { bucket, prefix } = parseS3Uri(s3Uri);
  return runSync('down', { local: localPath, bucket, prefix }, opts);
}
