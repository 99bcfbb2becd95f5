/**
 * Sync Data as plain data: the two ends the user picked, which core engine moves the files
 * (syncTree for a local folder and an SSH host, the S3 sync for a local folder and a bucket),
 * and the texts of the progress notification and the summary. No `vscode` here.
 */
import type { SyncProgress as S3Progress, SyncSummary as S3Summary } from '../../core/s3/sync';
import type { SyncProgress as TreeProgress, SyncSummary as TreeSummary } from '../../core/sync/sync';

export type SyncEnd = { kind: 'local'; path: string } | { kind: 'ssh'; alias: string; path: string } | { kind: 's3'; uri: string };

export type SyncRoute =
  | { engine: 'tree'; direction: 'upload'; local: string; alias: string; remotePath: string }
  | { engine: 'tree'; direction: 'download'; local: string; alias: string; remotePath: string }
  | { engine: 's3'; direction: 'upload'; local: string; uri: string }
  | { engine: 's3'; direction: 'download'; local: string; uri: string };

export function describeEnd(e: SyncEnd): string {
  if (e.kind === 'local') return e.path;
  if (e.kind === 'ssh') return `${e.alias}:${e.path}`;
  return e.uri;
}

/**
 * Which engine serves a pair of ends. One end is always this machine: syncTree moves files
 * between a local folder and an SSH host; the S3 sync between a local folder and a bucket.
 * Anything else is a UserError-worthy message (returned, so this stays pure).
 */
export function routeSync(from: SyncEnd, to: SyncEnd): SyncRoute | { error: string } {
  if (from.kind === 'local' && to.kind === 'ssh') return { engine: 'tree', direction: 'upload', local: from.path, alias: to.alias, remotePath: to.path };
  if (from.kind === 'ssh' && to.kind === 'local') return { engine: 'tree', direction: 'download', local: to.path, alias: from.alias, remotePath: from.path };
  if (from.kind === 'local' && to.kind === 's3') return { engine: 's3', direction: 'upload', local: from.path, uri: to.uri };
  if (from.kind === 's3' && to.kind === 'local') return { engine: 's3', direction: 'download', local: to.path, uri: from.uri };
  if (from.kind === 'local' && to.kind === 'local') return { error: 'both ends are on this machine: pick an SSH host or an S3 bucket for one of them' };
  return { error: `Ferry syncs between this machine and an SSH host or S3; ${describeEnd(from)} -> ${describeEnd(to)} has no local end` };
}

export function formatBytes(n: number): string {
  if (!Number.isFinite(n) || n < 1024) return `${Math.max(0, Math.round(Number.isFinite(n) ? n : 0))} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v >= 100 ? v.toFixed(0) : v.toFixed(1)} ${units[i]}`;
}

function eta(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds)) return '';
  const s = Math.ceil(seconds);
  return s < 60 ? ` · ${s}s left` : ` · ${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s left`;
}

/** One progress line, the same shape for both engines. */
export interface SyncProgressView {
  phase: string;
  filesDone: number;
  filesTotal: number;
  bytesDone: number;
  bytesTotal: number;
  rate: number;
  etaS?: number;
}

const TREE_PHASES: Readonly<Record<TreeProgress['phase'], string>> = { scan: 'comparing', transfer: 'copying', finish: 'finishing' };
const S3_PHASES: Readonly<Record<S3Progress['phase'], string>> = { listing: 'listing', comparing: 'comparing', transferring: 'copying', deleting: 'deleting', done: 'finishing' };

export function treeProgressView(p: TreeProgress): SyncProgressView {
  return { phase: TREE_PHASES[p.phase], filesDone: p.filesDone, filesTotal: p.filesTotal, bytesDone: p.bytesDone, bytesTotal: p.bytesTotal, rate: p.rate, ...(p.etaS !== undefined ? { etaS: p.etaS } : {}) };
}

export function s3ProgressView(p: S3Progress): SyncProgressView {
  return { phase: S3_PHASES[p.phase], filesDone: p.filesDone, filesTotal: p.filesTotal, bytesDone: p.bytesDone, bytesTotal: p.bytesTotal, rate: p.bytesPerSecond, ...(p.etaSeconds !== undefined ? { etaS: p.etaSeconds } : {}) };
}

/** `copying: 12/40 files · 3.1 MB/9.0 MB · 1.2 MB/s · 5s left` */
export function progressMessage(p: SyncProgressView): string {
  if (p.filesTotal === 0 && p.bytesTotal === 0) return `${p.phase}...`;
  return `${p.phase}: ${p.filesDone}/${p.filesTotal} files · ${formatBytes(p.bytesDone)}/${formatBytes(p.bytesTotal)} · ${formatBytes(p.rate)}/s${eta(p.etaS)}`;
}

/** Percent (0-100) done by bytes, for the notification's bar; undefined before totals are known. */
export function progressPercent(p: SyncProgressView): number | undefined {
  if (p.bytesTotal > 0) return Math.min(100, (100 * p.bytesDone) / p.bytesTotal);
  if (p.filesTotal > 0) return Math.min(100, (100 * p.filesDone) / p.filesTotal);
  return undefined;
}

export function treeSummaryText(s: TreeSummary): string {
  if (s.noop) return `${s.to} is up to date (${s.scanned.files} files checked in ${(s.durationMs / 1000).toFixed(1)} s).`;
  const parts = [`${s.transferred.files} files (${formatBytes(s.transferred.bytes)})`];
  if (s.transferred.links) parts.push(`${s.transferred.links} links`);
  if (s.touched) parts.push(`${s.touched} times fixed`);
  if (s.deleted) parts.push(`${s.deleted} deleted`);
  if (s.skipped.length) parts.push(`${s.skipped.length} skipped`);
  return `Synced ${s.from} -> ${s.to}: ${parts.join(', ')} in ${(s.durationMs / 1000).toFixed(1)} s (${formatBytes(s.rate)}/s).`;
}

export function s3SummaryText(from: string, to: string, s: S3Summary): string {
  const moved = s.uploaded + s.downloaded;
  if (moved === 0 && s.deleted === 0) return `${to} is up to date (${s.skipped} files already there).`;
  const rate = s.seconds > 0 ? s.bytes / s.seconds : 0;
  const parts = [`${moved} files (${formatBytes(s.bytes)})`];
  if (s.skipped) parts.push(`${s.skipped} unchanged`);
  if (s.deleted) parts.push(`${s.deleted} deleted`);
  return `Synced ${from} -> ${to}: ${parts.join(', ')} in ${s.seconds.toFixed(1)} s (${formatBytes(rate)}/s).`;
}
