/**
 * Moving bytes between a local folder and a remote one. Two transports per direction:
 *
 *   many small files + links  one tar stream over one exec channel (`tar -x` into a staging
 *                             folder on upload, `tar -c` of a NUL-separated list on download);
 *                             staged entries carry numbers, never user names, so nothing a
 *                             file is called can reach the remote shell or escape the root
 *   large files               parallel SFTP reads/writes at offsets into a staging part file
 *                             named after (path, size, mtime), resumed where an interrupted
 *                             sync stopped
 *
 * Every file is whole under its staging name before it is renamed to its real name, so a
 * dropped connection never leaves a half file under a real name.
 */
import { createHash } from 'node:crypto';
import { createWriteStream, promises as fs } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { extract as tarExtract } from 'tar-stream';
import type { RemoteProcess } from '../remote/connection';
import { isNoSuchFile } from '../remote/sftp';
import { CancelledError, InfraError, throwIfAborted } from '../util/errors';
import type { Logger } from '../util/logger';
import { shJoin, shPath } from '../util/quote';
import type { LocalSide, RemoteSide } from './endpoints';
import { STAGING_DIR, linkEscapes, type TreeEntry } from './manifest';
import { TAR_END, tarHeader, tarPadding } from './tar';

/** Counts what moved, for progress lines. */
export interface TransferMeter {
  bytes(n: number): void;
  file(): void;
}

export interface TransferContext {
  signal?: AbortSignal;
  meter: TransferMeter;
  logger: Logger;
  /** Unique per sync run: names this run's tar staging folder. */
  token: string;
  /** Files at least this big go through SFTP. */
  largeFileBytes: number;
  /** How small files travel: `auto` (tar, or SFTP for a handful), or forced. */
  smallFiles?: 'auto' | 'tar' | 'sftp';
}

export interface TransferResult {
  /** Entries that did not arrive (vanished at the source, a link pointing out). */
  skipped: { path: string; reason: string }[];
}

/** SFTP chunk: OpenSSH's sftp-server takes requests up to 256 KiB; fewer, larger ones cost less. */
const CHUNK = 256 * 1024;
const SFTP_PARALLEL = 8;
const WRITE_BATCH = 256 * 1024;
const READ_AHEAD_FILES = 32;
const READ_AHEAD_BYTES = 16 * 1024 * 1024;

/** The resumable staging name of a large file: the same source version gets the same name. */
export function partName(e: TreeEntry): string {
  return `part-${createHash('sha1').update(`${e.path}\0${e.size}\0${e.mtime}`).digest('hex').slice(0, 20)}`;
}

/** Runs `fn` over items with at most `limit` running at once; fails fast. */
export async function mapLimit<T>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  let failed: unknown;
  const worker = async (): Promise<void> => {
    while (failed === undefined && next < items.length) {
      const i = next++;
      try {
        await fn(items[i] as T, i);
      } catch (err) {
        failed ??= err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failed !== undefined) throw failed;
}

/** Splits items into n groups of about equal bytes, each keeping the original order. */
function balance(items: TreeEntry[], n: number): TreeEntry[][] {
  const groups: TreeEntry[][] = Array.from({ length: Math.max(1, n) }, () => []);
  const load = groups.map(() => 0);
  for (const e of items) {
    let k = 0;
    for (let j = 1; j < load.length; j++) if ((load[j] ?? 0) < (load[k] ?? 0)) k = j;
    groups[k]?.push(e);
    load[k] = (load[k] ?? 0) + e.size + 512;
  }
  return groups;
}

/** Runs fn over [start, size) in CHUNK steps, SFTP_PARALLEL at a time, one buffer per worker. */
async function chunked(start: number, size: number, fn: (pos: number, buf: Buffer) => Promise<void>): Promise<void> {
  let next = start;
  let failed: unknown;
  const worker = async (): Promise<void> => {
    const buf = Buffer.allocUnsafe(CHUNK);
    while (failed === undefined && next < size) {
      const pos = next;
      next += CHUNK;
      try {
        await fn(pos, buf);
      } catch (err) {
        failed ??= err;
      }
    }
  };
  await Promise.all(Array.from({ length: SFTP_PARALLEL }, worker));
  if (failed !== undefined) throw failed;
}

function splitBySize(items: TreeEntry[], large: number): { small: TreeEntry[]; big: TreeEntry[] } {
  const small: TreeEntry[] = [];
  const big: TreeEntry[] = [];
  for (const e of items) (e.type === 'file' && e.size >= large ? big : small).push(e);
  return { small, big };
}

/** Buffers writes into large chunks and honours the channel's backpressure. */
class ChannelWriter {
  private parts: Buffer[] = [];
  private len = 0;
  private closed = false;
  constructor(
    private readonly proc: RemoteProcess,
    exited: Promise<unknown>,
  ) {
    void exited.finally(() => {
      this.closed = true;
    });
    this.exited = exited;
  }
  private readonly exited: Promise<unknown>;

  async write(b: Buffer): Promise<void> {
    this.parts.push(b);
    this.len += b.length;
    if (this.len >= WRITE_BATCH) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.len === 0) return;
    const chunk = this.parts.length === 1 ? (this.parts[0] as Buffer) : Buffer.concat(this.parts, this.len);
    this.parts = [];
    this.len = 0;
    if (this.closed) throw new RemoteEnded();
    if (!this.proc.stdin.write(chunk)) {
      await Promise.race([new Promise((r) => this.proc.stdin.once('drain', r)), this.exited.then(() => Promise.reject(new RemoteEnded()))]);
    }
  }

  async end(): Promise<void> {
    await this.flush();
    this.proc.stdin.end();
  }
}

class RemoteEnded extends Error {
  constructor() {
    super('remote command ended early');
  }
}

function failure(side: RemoteSide, what: string, r: { code: number | null; signal?: string }, stderr: string): InfraError {
  const msg = stderr.trim().split('\n').slice(-3).join(' | ');
  return new InfraError(`${what} on ${side.conn.label} failed (exit ${r.code ?? r.signal}): ${msg || '(no output)'}`);
}

// ---------------------------------------------------------------- upload (local -> remote)

/**
 * A handful of small files go over SFTP one by one: starting a remote shell for tar costs more
 * than the files (login shells that read rc files take 100 ms and up).
 */
const FEW_FILES = 48;
const FEW_BYTES = 4 * 1024 * 1024;

function few(small: TreeEntry[], how: TransferContext['smallFiles']): boolean {
  if (how === 'tar' || how === 'sftp') return how === 'sftp';
  return small.length <= FEW_FILES && small.reduce((n, e) => n + e.size, 0) <= FEW_BYTES;
}

/**
 * Upload. `mkdirs` are the folders the plan creates (parents first); the caller has not made
 * them. On the tar path every entry is staged under its real relative path in one staging
 * tree, and each folder that is new as a whole is renamed into place once: a fresh tree of
 * thousands of files costs a few dozen renames, not thousands. Files in folders that already
 * exist are renamed one by one. Large files wait in staging until their folder is in place.
 */
export async function upload(src: LocalSide, dst: RemoteSide, work: { items: TreeEntry[]; mkdirs: TreeEntry[] }, ctx: TransferContext): Promise<TransferResult> {
  const { small, big } = splitBySize(work.items, ctx.largeFileBytes);
  const skipped: TransferResult['skipped'] = [];
  if (few(small, ctx.smallFiles)) {
    // A handful of files: folders first, then each file over SFTP into place.
    for (const group of byDepth(work.mkdirs)) await mapLimit(group, 32, (e) => dst.mkdir(e.path, e.mode | 0o700, ctx.signal));
    const results = await Promise.allSettled([
      mapLimit(small, 16, (e, i) => sftpPutSmall(src, dst, e, ctx, skipped, `one-${ctx.token}-${i}`)),
      mapLimit(big, 2, async (e) => {
        if (await sftpUpload(src, dst, e, ctx, skipped)) await placeBig(dst, e, ctx);
      }),
    ]);
    for (const r of results) if (r.status === 'rejected') throw r.reason;
    return { skipped };
  }

  const stage = `tar-${ctx.token}`;
  const sent = new Set<string>();
  const newDirs = new Set(work.mkdirs.map((d) => d.path));
  const parentOf = (p: string): string => (p.includes('/') ? p.slice(0, p.lastIndexOf('/')) : '');
  const tops = work.mkdirs.filter((d) => !newDirs.has(parentOf(d.path)));
  const underTop = (p: string): boolean => {
    for (let q = parentOf(p); q !== ''; q = parentOf(q)) if (newDirs.has(q)) return true;
    return false;
  };
  // Both transports at once: the tar streams and the SFTP session are separate channels. Two
  // tar streams let the remote create files on two cores (file creation is kernel time).
  // Folder entries go first in stream 0, so empty new folders exist and modes are right.
  const groups = balance(small, TAR_STREAMS);
  const readyBig: TreeEntry[] = [];
  const results = await Promise.allSettled([
    Promise.all(groups.map((g, k) => (g.length || (k === 0 && work.mkdirs.length) ? tarUpload(src, dst, g, ctx, skipped, stage, k === 0 ? work.mkdirs : [], sent) : undefined))),
    mapLimit(big, 2, async (e) => {
      if (await sftpUpload(src, dst, e, ctx, skipped)) readyBig.push(e);
    }),
  ]);
  for (const r of results) if (r.status === 'rejected') throw r.reason;
  throwIfAborted(ctx.signal);
  // Whole entries only from here. New folders first (with everything in them), then files
  // into folders that were already there, then the large files.
  await mapLimit(tops, 32, async (d) => {
    await dst.place(`${stage}/${d.path}`, d.path, ctx.signal);
  });
  for (const e of small) if (sent.has(e.path) && underTop(e.path)) ctx.meter.file();
  await mapLimit(
    small.filter((e) => sent.has(e.path) && !underTop(e.path)),
    64,
    async (e) => {
      throwIfAborted(ctx.signal);
      await dst.place(`${stage}/${e.path}`, e.path, ctx.signal);
      ctx.meter.file();
    },
  );
  await mapLimit(readyBig, 8, (e) => placeBig(dst, e, ctx));
  return { skipped };
}

/** Groups entries by depth, shallowest first (folders before what is in them). */
function byDepth(entries: TreeEntry[]): TreeEntry[][] {
  const m = new Map<number, TreeEntry[]>();
  for (const e of entries) {
    const d = e.path.split('/').length;
    m.set(d, [...(m.get(d) ?? []), e]);
  }
  return [...m.entries()].sort((a, b) => a[0] - b[0]).map(([, g]) => g);
}

async function placeBig(dst: RemoteSide, e: TreeEntry, ctx: TransferContext): Promise<void> {
  await dst.place(partName(e), e.path, ctx.signal);
  await dst.rfs.unlink(`${dst.stagingPath(partName(e))}.done`).catch(() => undefined);
  ctx.meter.file();
}

const TAR_STREAMS = 2;

async function sftpPutSmall(src: LocalSide, dst: RemoteSide, e: TreeEntry, ctx: TransferContext, skipped: TransferResult['skipped'], name: string): Promise<void> {
  const rfs = dst.rfs;
  const tmp = dst.stagingPath(name);
  if (e.type === 'symlink') {
    await rfs.symlink(e.link ?? '', tmp, ctx.signal);
  } else {
    const data = await fs.readFile(src.abs(e.path)).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return undefined;
      throw err;
    });
    if (!data) {
      skipped.push({ path: e.path, reason: 'vanished at the source during the sync' });
      return;
    }
    const h = await rfs.open(tmp, 'w', 0o600, ctx.signal);
    try {
      const writes: Promise<void>[] = [];
      for (let pos = 0; pos < data.length; pos += CHUNK) writes.push(rfs.write(h, data.subarray(pos, pos + CHUNK), pos, ctx.signal));
      await Promise.all(writes);
    } finally {
      await rfs.close(h).catch(() => undefined);
    }
    await rfs.setstat(tmp, { mode: e.mode, mtime: e.mtime }, ctx.signal);
    ctx.meter.bytes(data.length);
  }
  await dst.place(name, e.path, ctx.signal);
  ctx.meter.file();
}

async function tarUpload(src: LocalSide, dst: RemoteSide, items: TreeEntry[], ctx: TransferContext, skipped: TransferResult['skipped'], stage: string, dirs: TreeEntry[], sent: Set<string>): Promise<void> {
  // Entries carry their real relative paths (checked safe when listed), inside the staging
  // folder; tar's own path checks refuse `..` and absolute names besides.
  const cmd = `cd ${shPath(dst.root)} && mkdir -p ${shJoin([`${STAGING_DIR}/${stage}`])} && cd ${shJoin([`${STAGING_DIR}/${stage}`])} && exec tar -xpof -`;
  const proc = await dst.conn.spawn(cmd, { signal: ctx.signal });
  let stderr = '';
  proc.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
  proc.stdout.resume();
  const w = new ChannelWriter(proc, proc.done.catch(() => undefined));
  const sentHere: string[] = [];

  // Reads run ahead of the stream (bounded by count and bytes) so disk and network overlap.
  const reads = new Map<number, Promise<Buffer | undefined>>();
  let ahead = 0;
  let aheadBytes = 0;
  const startRead = (): void => {
    while (ahead < items.length && ahead - nextIdx < READ_AHEAD_FILES && aheadBytes < READ_AHEAD_BYTES) {
      const e = items[ahead] as TreeEntry;
      const i = ahead++;
      if (e.type !== 'file') continue;
      aheadBytes += e.size;
      const p = fs.readFile(src.abs(e.path)).catch((err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT') return undefined;
        throw new InfraError(`cannot read ${src.abs(e.path)}: ${err.message}`);
      });
      p.catch(() => {});
      reads.set(i, p);
    }
  };
  let nextIdx = 0;
  try {
    // Made writable for us while filled; a read-only folder mode is applied at the end.
    for (const d of dirs) await w.write(tarHeader({ name: d.path, type: 'dir', size: 0, mode: d.mode | 0o700, mtime: d.mtime }));
    for (; nextIdx < items.length; nextIdx++) {
      throwIfAborted(ctx.signal);
      startRead();
      const e = items[nextIdx] as TreeEntry;
      const name = e.path;
      if (e.type === 'symlink') {
        await w.write(tarHeader({ name, type: 'symlink', size: 0, mode: 0o777, mtime: e.mtime, link: e.link ?? '' }));
        sentHere.push(e.path);
        continue;
      }
      const data = await reads.get(nextIdx);
      reads.delete(nextIdx);
      aheadBytes -= e.size;
      if (!data) {
        skipped.push({ path: e.path, reason: 'vanished at the source during the sync' });
        continue;
      }
      await w.write(tarHeader({ name, type: 'file', size: data.length, mode: e.mode, mtime: e.mtime }));
      await w.write(data);
      const pad = tarPadding(data.length);
      if (pad.length) await w.write(pad);
      sentHere.push(e.path);
      ctx.meter.bytes(data.length);
    }
    await w.write(TAR_END);
    await w.end();
  } catch (err) {
    if (!(err instanceof RemoteEnded)) {
      proc.kill('KILL');
      await proc.done.catch(() => undefined);
      throw err;
    }
  }
  const r = await proc.done;
  if (r.code !== 0) {
    if (r.code === 127) throw new InfraError(`${dst.conn.label} has no tar (needed to upload files)`, { hint: 'install tar on the remote host' });
    throw failure(dst, 'tar -x', r, stderr);
  }
  for (const p of sentHere) sent.add(p);
}

/**
 * How far a part file is whole. Parallel writes land out of order, so a part file's size says
 * nothing about holes below it; resuming trusts only this contiguous prefix, recorded in a
 * `<part>.done` sidecar (fixed width, rewritten in place) every few MiB as it grows.
 */
class Watermark {
  low: number;
  private readonly acked = new Set<number>();
  private persisted: number;
  private chain: Promise<void> = Promise.resolve();
  constructor(
    start: number,
    private readonly size: number,
    private readonly persist: (n: number) => Promise<void>,
  ) {
    this.low = start;
    this.persisted = start;
  }
  ack(pos: number): void {
    this.acked.add(pos);
    while (this.acked.has(this.low)) {
      this.acked.delete(this.low);
      this.low = Math.min(this.low + CHUNK, this.size);
    }
    if (this.low - this.persisted >= WATERMARK_EVERY) {
      const n = this.low;
      this.persisted = n;
      this.chain = this.chain.then(() => this.persist(n)).catch(() => undefined);
    }
  }
  flushed(): Promise<void> {
    return this.chain;
  }
}

const WATERMARK_EVERY = 4 * 1024 * 1024;

function watermarkText(n: number): Buffer {
  return Buffer.from(`${String(n).padStart(20, '0')}\n`);
}

function parseWatermark(b: Buffer | undefined): number {
  const n = b ? Number(b.toString('latin1').trim()) : NaN;
  return Number.isSafeInteger(n) && n > 0 ? n - (n % CHUNK) : 0;
}

/** Stages one large file whole under its part name; false when it vanished at the source. */
async function sftpUpload(src: LocalSide, dst: RemoteSide, e: TreeEntry, ctx: TransferContext, skipped: TransferResult['skipped']): Promise<boolean> {
  const part = partName(e);
  const tmp = dst.stagingPath(part);
  const mark = `${tmp}.done`;
  const rfs = dst.rfs;
  const fh = await fs.open(src.abs(e.path), 'r').catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined;
    throw err;
  });
  if (!fh) {
    skipped.push({ path: e.path, reason: 'vanished at the source during the sync' });
    return false;
  }
  try {
    const size = (await fh.stat()).size;
    const have = await rfs.lstat(tmp, ctx.signal);
    let start = 0;
    if (have?.type === 'file') {
      const done = await rfs.readFile(mark, ctx.signal).catch(() => undefined);
      start = Math.min(parseWatermark(done), have.size, size);
      start -= start % CHUNK;
    }
    if (start > 0) ctx.logger.debug(`sync: resuming ${e.path} at ${start} bytes`);
    ctx.meter.bytes(start);
    const h = await rfs.open(tmp, start > 0 ? 'r+' : 'w', 0o600, ctx.signal);
    const mh = await rfs.open(mark, 'w', 0o600, ctx.signal);
    const wm = new Watermark(start, size, (n) => rfs.write(mh, watermarkText(n), 0));
    try {
      await rfs.write(mh, watermarkText(start), 0, ctx.signal);
      // Each worker reuses one buffer: ssh2 copies the data into its request before the
      // write resolves, and a fresh 256 KiB buffer per chunk is mostly garbage-collector work.
      await chunked(start, size, async (pos, buf) => {
        throwIfAborted(ctx.signal);
        const { bytesRead } = await fh.read(buf, 0, Math.min(CHUNK, size - pos), pos);
        await rfs.write(h, buf.subarray(0, bytesRead), pos, ctx.signal);
        wm.ack(pos);
        ctx.meter.bytes(bytesRead);
      });
    } finally {
      await wm.flushed();
      await rfs.close(h).catch(() => undefined);
      await rfs.close(mh).catch(() => undefined);
    }
    await rfs.setstat(tmp, { mode: e.mode, mtime: e.mtime }, ctx.signal);
    return true;
  } finally {
    await fh.close();
  }
}

// ------------------------------------------------------------ download (remote -> local)

export async function download(src: RemoteSide, dst: LocalSide, items: TreeEntry[], ctx: TransferContext): Promise<TransferResult> {
  const { small, big } = splitBySize(items, ctx.largeFileBytes);
  const skipped: TransferResult['skipped'] = [];
  await fs.mkdir(dst.stagingPath(''), { recursive: true, mode: 0o700 });
  const smallJob = few(small, ctx.smallFiles)
    ? mapLimit(small, 16, (e) => (e.type === 'file' ? sftpDownload(src, dst, e, ctx, skipped) : linkDownload(src, dst, e, ctx, skipped)))
    : small.length
      ? tarDownload(src, dst, small, ctx, skipped)
      : Promise.resolve();
  const bigJob = mapLimit(big, 2, (e) => sftpDownload(src, dst, e, ctx, skipped));
  const results = await Promise.allSettled([smallJob, bigJob]);
  for (const r of results) if (r.status === 'rejected') throw r.reason;
  return { skipped };
}

async function tarDownload(src: RemoteSide, dst: LocalSide, items: TreeEntry[], ctx: TransferContext, skipped: TransferResult['skipped']): Promise<void> {
  const stage = `tar-${ctx.token}`;
  await fs.mkdir(dst.stagingPath(stage), { recursive: true });
  const index = new Map<string, number>();
  items.forEach((e, i) => index.set(e.path, i));
  // Names go on stdin, NUL-separated: never on the command line, never parsed by a shell.
  const cmd = `cd ${shPath(src.root)} && exec tar -cf - --null --no-recursion -T -`;
  const proc = await src.conn.spawn(cmd, { signal: ctx.signal });
  let stderr = '';
  proc.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
  proc.stdin.end(Buffer.from(items.map((e) => `${e.path}\0`).join(''), 'utf8'));
  const got = new Set<number>();
  const ex = tarExtract();
  ex.on('entry', (header, stream, next) => {
    const name = header.name.replace(/\/$/, '');
    const i = index.get(name);
    const e = i === undefined ? undefined : items[i];
    const done = (err?: unknown): void => {
      if (err) ex.destroy(err as Error);
      else next();
    };
    if (i === undefined || !e) {
      // Not something we asked for: never written anywhere.
      stream.resume();
      return done(new InfraError(`remote tar on ${src.conn.label} sent ${JSON.stringify(header.name)}, which was not requested; refusing`));
    }
    const tmp = dst.stagingPath(`${stage}/${i}`);
    const finish = async (): Promise<void> => {
      if (header.type === 'file' || header.type === 'contiguous-file') {
        await pipeline(stream, createWriteStream(tmp, { mode: 0o600 }));
        await fs.chmod(tmp, e.mode);
        await fs.utimes(tmp, e.mtime, e.mtime);
        ctx.meter.bytes(header.size ?? 0);
      } else if (header.type === 'symlink') {
        stream.resume();
        const link = header.linkname ?? '';
        if (linkEscapes(e.path, link)) {
          skipped.push({ path: e.path, reason: `symlink to ${JSON.stringify(link)} points outside the root` });
          return;
        }
        await fs.rm(tmp, { force: true });
        await fs.symlink(link, tmp);
      } else {
        stream.resume();
        skipped.push({ path: e.path, reason: `became a ${header.type} during the sync` });
        return;
      }
      await dst.place(`${stage}/${i}`, e.path);
      got.add(i);
      ctx.meter.file();
    };
    finish().then(() => done(), done);
  });
  const onAbort = (): void => {
    proc.kill('KILL');
    ex.destroy(new CancelledError());
  };
  ctx.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    await pipeline(proc.stdout, ex);
    const r = await proc.done;
    const missing = items.filter((_e, i) => !got.has(i) && !skipped.some((s) => s.path === items[i]?.path));
    if (r.code !== 0 || missing.length > 0) {
      if (r.code === 127 || /--null|-T|unrecognized option|invalid option/.test(stderr)) {
        // No GNU/BSD tar there: fall back to SFTP, one file at a time (still staged).
        ctx.logger.debug(`sync: remote tar unusable (${stderr.trim()}), downloading over SFTP`);
        await mapLimit(missing, 16, (e) => (e.type === 'file' ? sftpDownload(src, dst, e, ctx, skipped) : linkDownload(src, dst, e, ctx, skipped)));
        return;
      }
      // Files that vanished on the remote are reported; anything else is a failure.
      for (const e of missing) {
        const st = await src.rfs.lstat(src.rpath(e.path), ctx.signal);
        if (!st) skipped.push({ path: e.path, reason: 'vanished at the source during the sync' });
        else throw failure(src, 'tar -c', r, stderr);
      }
    }
  } catch (err) {
    if (ctx.signal?.aborted) throw new CancelledError();
    throw err;
  } finally {
    ctx.signal?.removeEventListener('abort', onAbort);
  }
}

async function linkDownload(src: RemoteSide, dst: LocalSide, e: TreeEntry, ctx: TransferContext, skipped: TransferResult['skipped']): Promise<void> {
  const link = await src.rfs.readlink(src.rpath(e.path), ctx.signal);
  if (linkEscapes(e.path, link)) {
    skipped.push({ path: e.path, reason: `symlink to ${JSON.stringify(link)} points outside the root` });
    return;
  }
  const name = `link-${ctx.token}-${createHash('sha1').update(e.path).digest('hex').slice(0, 12)}`;
  const tmp = dst.stagingPath(name);
  await fs.rm(tmp, { force: true });
  await fs.symlink(link, tmp);
  await dst.place(name, e.path);
  ctx.meter.file();
}

async function sftpDownload(src: RemoteSide, dst: LocalSide, e: TreeEntry, ctx: TransferContext, skipped: TransferResult['skipped']): Promise<void> {
  const part = partName(e);
  const tmp = dst.stagingPath(part);
  const mark = `${tmp}.done`;
  const rfs = src.rfs;
  let h: Buffer;
  try {
    h = await rfs.open(src.rpath(e.path), 'r', undefined, ctx.signal);
  } catch (err) {
    if (!isNoSuchFile(err)) throw err;
    skipped.push({ path: e.path, reason: 'vanished at the source during the sync' });
    return;
  }
  try {
    const have = await fs.lstat(tmp).catch(() => undefined);
    let start = 0;
    if (have?.isFile()) {
      start = Math.min(parseWatermark(await fs.readFile(mark).catch(() => undefined)), have.size, e.size);
      start -= start % CHUNK;
    }
    if (start > 0) ctx.logger.debug(`sync: resuming ${e.path} at ${start} bytes`);
    ctx.meter.bytes(start);
    const fh = await fs.open(tmp, start > 0 ? 'r+' : 'w', 0o600);
    const mh = await fs.open(mark, 'w', 0o600);
    const wm = new Watermark(start, e.size, async (n) => {
      await mh.write(watermarkText(n), 0, undefined, 0);
    });
    try {
      await mh.write(watermarkText(start), 0, undefined, 0);
      await chunked(start, e.size, async (pos, into) => {
        throwIfAborted(ctx.signal);
        const want = Math.min(CHUNK, e.size - pos);
        const buf = await rfs.read(h, want, pos, ctx.signal, into);
        if (buf.length !== want) throw new InfraError(`${src.label}/${e.path} changed size during the sync`);
        await fh.write(buf, 0, buf.length, pos);
        wm.ack(pos);
        ctx.meter.bytes(buf.length);
      });
    } finally {
      await wm.flushed();
      await fh.close();
      await mh.close();
    }
    await fs.chmod(tmp, e.mode);
    await fs.utimes(tmp, e.mtime, e.mtime);
    await dst.place(part, e.path);
    await fs.rm(mark, { force: true });
    ctx.meter.file();
  } finally {
    await rfs.close(h).catch(() => undefined);
  }
}

