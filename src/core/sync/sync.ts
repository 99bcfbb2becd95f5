/**
 * `syncTree`: one engine for both directions (local -> remote, remote -> local).
 *
 *   1. list the source (ignore rules) and the destination (as it is, minus what the source's
 *      rules exclude) concurrently; remote listings are SFTP readdirs, no shell involved
 *   2. plan (plan.ts); hashes only for files whose size matches and mtime does not
 *   3. apply: removals in the way, folders, transfers through staging (transfer.ts), modes
 *      and times, deletions when mirroring, then the destination manifest
 * A no-op sync writes nothing at all. An interrupted one leaves only staging names; the next
 * run cleans the stale ones and resumes large partial files.
 */
import { randomBytes } from 'node:crypto';
import { CancelledError, UserError, throwIfAborted } from '../util/errors';
import { nullLogger, type Logger } from '../util/logger';
import { LocalSide, RemoteSide, sideOf, type Endpoint, type Listing, type Side } from './endpoints';
import { isOwnPath, type Manifest, type TreeEntry } from './manifest';
import { isEmptyPlan, makePlan, type SyncPlan } from './plan';
import { download, mapLimit, partName, upload, type TransferMeter } from './transfer';

export interface SyncProgress {
  phase: 'scan' | 'transfer' | 'finish';
  filesDone: number;
  filesTotal: number;
  bytesDone: number;
  bytesTotal: number;
  /** Bytes per second over the transfer so far. */
  rate: number;
  /** Seconds left at the current rate; undefined until there is a rate. */
  etaS?: number;
}

export interface SyncOptions {
  from: Endpoint;
  to: Endpoint;
  /** gitignore-style patterns relative to the source root. */
  exclude?: string[];
  /** Honour .gitignore/.ferryignore in the source tree (default true). */
  ignoreFiles?: boolean;
  /** Mirror: delete destination entries the source lacks (never those the rules exclude). */
  delete?: boolean;
  /** Only these root-relative paths (and what is below them). */
  only?: string[];
  /** Plan only: nothing is written. */
  dryRun?: boolean;
  /** Files at least this big go through parallel SFTP instead of the tar stream (8 MiB). */
  largeFileBytes?: number;
  /** How small files travel (default `auto`: tar streams, or SFTP for a handful). */
  smallFiles?: 'auto' | 'tar' | 'sftp';
  signal?: AbortSignal;
  onProgress?: (p: SyncProgress) => void;
  logger?: Logger;
}

/** What a sync did; printable as `--json`. */
export interface SyncSummary {
  from: string;
  to: string;
  direction: 'upload' | 'download';
  /** Source entries considered. */
  scanned: { files: number; dirs: number; links: number; bytes: number };
  /** Files and links written at the destination, and the file bytes that moved. */
  transferred: { files: number; links: number; bytes: number };
  dirsCreated: number;
  /** Files whose content was equal (by hash) and only got their mtime set. */
  touched: number;
  modeChanges: number;
  deleted: number;
  /** Entries not synced, with why (links pointing out of the root, vanished files...). */
  skipped: { path: string; reason: string }[];
  noop: boolean;
  dryRun: boolean;
  durationMs: number;
  /** Transferred bytes per second. */
  rate: number;
}

class Meter implements TransferMeter {
  filesDone = 0;
  bytesDone = 0;
  private last = 0;
  private readonly t0 = Date.now();
  constructor(
    readonly filesTotal: number,
    readonly bytesTotal: number,
    private readonly cb?: (p: SyncProgress) => void,
  ) {}
  bytes(n: number): void {
    this.bytesDone += n;
    this.emit();
  }
  file(): void {
    this.filesDone++;
    this.emit();
  }
  snapshot(phase: SyncProgress['phase']): SyncProgress {
    const secs = (Date.now() - this.t0) / 1000;
    const rate = secs > 0 ? this.bytesDone / secs : 0;
    const p: SyncProgress = { phase, filesDone: this.filesDone, filesTotal: this.filesTotal, bytesDone: this.bytesDone, bytesTotal: this.bytesTotal, rate };
    if (rate > 0) p.etaS = Math.max(0, (this.bytesTotal - this.bytesDone) / rate);
    return p;
  }
  emit(force = false, phase: SyncProgress['phase'] = 'transfer'): void {
    if (!this.cb) return;
    const now = Date.now();
    if (!force && now - this.last < 100) return;
    this.last = now;
    this.cb(this.snapshot(phase));
  }
}

function underOnly(only: string[] | undefined): ((rel: string, isDir: boolean) => boolean) | undefined {
  if (!only || only.length === 0) return undefined;
  const roots = only.map((p) => p.replace(/^\.\/+/, '').replace(/\/+$/, ''));
  // Keep a path that is one of the roots, below one, or a folder on the way to one.
  return (rel) => !roots.some((r) => rel === r || rel.startsWith(`${r}/`) || r.startsWith(`${rel}/`));
}

/** Groups entries by path depth, deepest first or shallowest first, for ordered batches. */
function byDepth(entries: TreeEntry[], deepestFirst: boolean): TreeEntry[][] {
  const groups = new Map<number, TreeEntry[]>();
  for (const e of entries) {
    const d = e.path.split('/').length;
    const g = groups.get(d) ?? [];
    g.push(e);
    groups.set(d, g);
  }
  return [...groups.entries()].sort((a, b) => (deepestFirst ? b[0] - a[0] : a[0] - b[0])).map(([, g]) => g);
}

const EMPTY: Listing = { scan: { entries: [], ignores: () => false }, entries: new Map(), manifestSeen: false, stagingSeen: false };

/** Syncs a folder to or from an SSH host. */
export async function syncTree(opts: SyncOptions): Promise<SyncSummary> {
  const t0 = Date.now();
  const signal = opts.signal;
  const logger = opts.logger ?? nullLogger;
  const src = sideOf(opts.from);
  const dst = sideOf(opts.to);
  if (src.kind === dst.kind) throw new UserError(`sync needs one local and one remote side (got ${src.label} and ${dst.label})`);

  const srcKind = await src.rootKind(signal);
  if (srcKind === 'missing') throw new UserError(`${src.label} does not exist`);
  if (srcKind !== 'dir') throw new UserError(`${src.label} is not a folder`, { hint: 'sync the folder that holds it' });
  const onlySkip = underOnly(opts.only);
  const srcListP = src.list({ exclude: opts.exclude, ignoreFiles: opts.ignoreFiles, skip: onlySkip, signal });
  const dstKind = await dst.rootKind(signal);
  if (dstKind !== 'dir' && dstKind !== 'missing') throw new UserError(`${dst.label} exists and is not a folder`);
  const srcList = await srcListP;
  const protect = (rel: string, isDir: boolean): boolean => srcList.scan.ignores(rel, isDir);
  const dstList = dstKind === 'missing' ? EMPTY : await dst.list({ raw: true, skip: (rel, isDir) => isOwnPath(rel) || protect(rel, isDir) || (onlySkip?.(rel, isDir) ?? false), signal });
  throwIfAborted(signal);

  // Manifests are read only when a hash is wanted, or a new one must carry old hashes.
  let srcManifest: Promise<Manifest | undefined> | undefined;
  let dstManifest: Promise<Manifest | undefined> | undefined;
  const srcM = (): Promise<Manifest | undefined> => (srcManifest ??= src.kind === 'remote' && srcList.manifestSeen ? src.readManifest(signal) : Promise.resolve(undefined));
  const dstM = (): Promise<Manifest | undefined> => (dstManifest ??= dst.kind === 'remote' && dstList.manifestSeen ? dst.readManifest(signal) : Promise.resolve(undefined));

  const srcEntries = [...srcList.entries.values()];
  // Size equal, mtime not: only content hashes can tell. Batched per side (one remote run).
  const unsure: [TreeEntry, TreeEntry][] = [];
  for (const s of srcEntries) {
    const d = dstList.entries.get(s.path);
    if (s.type === 'file' && d?.type === 'file' && d.size === s.size && d.mtime !== s.mtime) unsure.push([s, d]);
  }
  let srcHashes = new Map<string, string>();
  let dstHashes = new Map<string, string>();
  if (unsure.length > 0 && !opts.dryRun) {
    [srcHashes, dstHashes] = await Promise.all([
      src.hashMany(unsure.map(([s]) => s), await srcM(), signal),
      dst.hashMany(unsure.map(([, d]) => d), await dstM(), signal),
    ]);
  }
  const plan = await makePlan({
    src: srcEntries,
    dst: dstList.entries,
    delete: opts.delete === true,
    protect,
    sameContent: async (s) => {
      const hs = srcHashes.get(s.path);
      const hd = dstHashes.get(s.path);
      if (hs) s.hash = hs;
      return hs && hd ? hs === hd : undefined;
    },
  });

  const summary: SyncSummary = {
    from: src.label,
    to: dst.label,
    direction: src.kind === 'local' ? 'upload' : 'download',
    scanned: { files: 0, dirs: 0, links: 0, bytes: 0 },
    transferred: { files: 0, links: 0, bytes: 0 },
    dirsCreated: plan.mkdirs.length,
    touched: plan.touches.length,
    modeChanges: plan.chmods.length,
    deleted: plan.deletions.length,
    skipped: [...plan.skipped],
    noop: isEmptyPlan(plan),
    dryRun: opts.dryRun === true,
    durationMs: 0,
    rate: 0,
  };
  for (const e of srcEntries) {
    if (e.type === 'file') {
      summary.scanned.files++;
      summary.scanned.bytes += e.size;
    } else if (e.type === 'dir') summary.scanned.dirs++;
    else summary.scanned.links++;
  }
  const finish = (): SyncSummary => {
    summary.durationMs = Date.now() - t0;
    summary.rate = summary.durationMs > 0 ? Math.round((summary.transferred.bytes * 1000) / summary.durationMs) : 0;
    return summary;
  };

  const meter = new Meter(plan.files.length + plan.links.length, plan.bytes, opts.onProgress);
  meter.emit(true, 'scan');
  if (opts.dryRun) {
    summary.transferred = { files: plan.files.length, links: plan.links.length, bytes: plan.bytes };
    return finish();
  }
  if (summary.noop && (dst.kind === 'local' || dstList.manifestSeen)) {
    if (dstList.stagingSeen) await dst.cleanStaging(new Set(), signal);
    meter.emit(true, 'finish');
    return finish();
  }

  if (dstList.stagingSeen) {
    // Leftovers of an interrupted run: keep partial large files this plan will resume.
    await dst.cleanStaging(new Set(plan.files.flatMap((e) => [partName(e), `${partName(e)}.done`])), signal);
  }
  await dst.ensureRoot(signal, dstKind === 'dir');
  await apply(plan, src, dst, meter, { signal, logger, largeFileBytes: opts.largeFileBytes ?? 8 * 1024 * 1024, smallFiles: opts.smallFiles, summary });

  if (dst.kind === 'remote') {
    const old = await dstM().catch(() => undefined);
    const skippedPaths = new Set(summary.skipped.map((s) => s.path));
    const entries = srcEntries
      .filter((e) => !skippedPaths.has(e.path))
      .map((e) => {
        if (e.type !== 'file' || e.hash) return e;
        const prev = old?.entries.get(e.path);
        return prev?.hash && prev.size === e.size && prev.mtime === e.mtime ? { ...e, hash: prev.hash } : e;
      });
    // Mirroring only `only` paths keeps the rest of the old manifest.
    if (opts.only && old) for (const [p, e] of old.entries) if (!srcList.entries.has(p) && onlySkip?.(p, e.type === 'dir')) entries.push(e);
    await dst.writeManifest(entries, signal);
  }
  await dst.cleanStaging(new Set(), signal);
  meter.emit(true, 'finish');
  return finish();
}

async function apply(plan: SyncPlan, src: Side, dst: Side, meter: Meter, o: { signal?: AbortSignal; logger: Logger; largeFileBytes: number; smallFiles?: SyncOptions['smallFiles']; summary: SyncSummary }): Promise<void> {
  const { signal } = o;
  for (const group of byDepth(plan.removals, true)) await mapLimit(group, 32, (e) => dst.remove(e, signal));
  const uploading = src instanceof LocalSide && dst instanceof RemoteSide;
  // Folders are made writable for us while we fill them; a read-only mode is applied last.
  // An upload creates its folders itself (staged with their contents, see upload()).
  if (!uploading) for (const group of byDepth(plan.mkdirs, false)) await mapLimit(group, 32, (e) => dst.mkdir(e.path, e.mode | 0o700, signal));
  throwIfAborted(signal);

  const items = [...plan.files, ...plan.links];
  if (items.length > 0 || (uploading && plan.mkdirs.length > 0)) {
    const ctx = { signal, meter, logger: o.logger, token: randomBytes(6).toString('hex'), largeFileBytes: o.largeFileBytes, smallFiles: o.smallFiles };
    let res;
    try {
      res = uploading ? await upload(src, dst, { items, mkdirs: plan.mkdirs }, ctx) : await download(src as RemoteSide, dst as LocalSide, items, ctx);
    } catch (err) {
      if (signal?.aborted) throw new CancelledError();
      throw err;
    }
    o.summary.skipped.push(...res.skipped);
    const skipped = new Set(res.skipped.map((s) => s.path));
    for (const e of plan.files) {
      if (skipped.has(e.path)) continue;
      o.summary.transferred.files++;
      o.summary.transferred.bytes += e.size;
    }
    o.summary.transferred.links = plan.links.filter((e) => !skipped.has(e.path)).length;
  }
  await mapLimit(plan.touches, 32, (e) => dst.setAttrs(e.path, { mode: e.mode, mtime: e.mtime }, signal));
  await mapLimit(plan.chmods, 32, (e) => dst.setAttrs(e.path, { mode: e.mode }, signal));
  for (const group of byDepth(plan.deletions, true)) await mapLimit(group, 32, (e) => dst.remove(e, signal));
  const locked = plan.mkdirs.filter((e) => (e.mode & 0o700) !== 0o700);
  for (const group of byDepth(locked, true)) await mapLimit(group, 32, (e) => dst.setAttrs(e.path, { mode: e.mode }, signal));
}
