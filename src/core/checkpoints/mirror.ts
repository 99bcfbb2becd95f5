/**
 * Checkpoint mirroring to S3 (`checkpoints.mirror: s3://bucket/prefix` in ferry.yaml): each
 * complete checkpoint goes to `<prefix>/<jobId>/<name>` (one object for a file, a folder of
 * objects for a folder), `keep` prunes the rest, and recovery fetches one back. Everything
 * rides on the S3 sync engine, so uploads are incremental, multipart and resumable.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { isSafeJobId } from '../jobs/paths';
import { openS3 } from '../s3/client';
import type { S3ClientOptions } from '../s3/config';
import { deleteAll, listAll } from '../s3/list';
import { syncLocalToS3, syncS3ToLocal, type S3SyncOptions, type SyncProgress, type SyncSummary } from '../s3/sync';
import { formatS3Uri, joinKey, parseS3Uri } from '../s3/uri';
import { UserError, throwIfAborted } from '../util/errors';
import type { Logger } from '../util/logger';

/** What every mirror operation accepts besides its own arguments. */
export interface MirrorCommonOptions {
  signal?: AbortSignal;
  logger?: Logger;
  /** Endpoint, region, credentials (default: the AWS environment and profile files). */
  s3?: S3ClientOptions;
  /** Resume journals and hash cache (default $FERRY_HOME/s3). */
  stateDir?: string;
  onProgress?: (p: SyncProgress) => void;
  /** Transfer tuning (concurrency, part size); the sync engine's defaults otherwise. */
  tuning?: Pick<S3SyncOptions, 'concurrency' | 'partConcurrency' | 'partSize' | 'multipartThreshold'>;
}

export interface MirrorCheckpointOptions extends MirrorCommonOptions {
  /** The checkpoint as it is on this machine: a file or a folder. */
  localPath: string;
  /** Its name in FERRY_CHECKPOINT_DIR (`ckpt-000300.pt`, `step-300/`). */
  name: string;
  /** `checkpoints.mirror` from the spec: s3://bucket/prefix. */
  mirror: string;
  jobId: string;
  /** Called with what the upload did (transfers, bytes, seconds). */
  onSummary?: (s: SyncSummary) => void;
}

export interface MirroredCheckpoint {
  name: string;
  /** s3:// URI of the object (file checkpoint) or prefix (folder checkpoint). */
  uri: string;
  sizeBytes: number;
  /** ISO time of the newest object in it. */
  lastModified: string;
}

function checkName(name: string): void {
  if (name === '' || name === '.' || name === '..' || /[/\\\0]/.test(name)) {
    throw new UserError(`"${name}" is not a checkpoint name (one file or folder name, no slashes)`);
  }
}

function checkJobId(jobId: string): void {
  if (!isSafeJobId(jobId)) throw new UserError(`"${jobId}" is not a job id`);
}

/** s3://bucket/prefix/<jobId>: the job's folder under the mirror. */
function jobPrefix(mirror: string, jobId: string): { bucket: string; prefix: string } {
  checkJobId(jobId);
  const loc = parseS3Uri(mirror);
  return { bucket: loc.bucket, prefix: joinKey(loc.prefix, jobId) };
}

/** The URI a checkpoint is (or would be) mirrored at. */
export function mirrorUriFor(mirror: string, jobId: string, name: string): string {
  checkName(name);
  const { bucket, prefix } = jobPrefix(mirror, jobId);
  return formatS3Uri({ bucket, prefix: joinKey(prefix, name) });
}

/**
 * Uploads one complete checkpoint to `<mirror>/<jobId>/<name>` and returns its s3:// URI.
 * Large files go multipart; an interrupted upload resumes where it stopped on the next call.
 * A folder is mirrored exactly (files it no longer has are removed from its copy).
 */
export async function mirrorCheckpoint(o: MirrorCheckpointOptions): Promise<string> {
  const uri = mirrorUriFor(o.mirror, o.jobId, o.name);
  const st = await fs.stat(o.localPath).catch(() => undefined);
  if (!st || (!st.isFile() && !st.isDirectory())) throw new UserError(`Checkpoint ${o.localPath} does not exist`);
  const summary = await syncLocalToS3(o.localPath, uri, {
    ...common(o),
    delete: st.isDirectory(),
    // A checkpoint is copied whole, whatever ignore files sit in it.
    ignoreFiles: false,
  });
  o.onSummary?.(summary);
  o.logger?.debug(`checkpoint ${o.name}: mirrored to ${uri} (${summary.uploaded} uploaded, ${summary.skipped} unchanged, ${summary.bytes} bytes)`);
  return uri;
}

function common(o: MirrorCommonOptions): S3SyncOptions {
  const out: S3SyncOptions = { ...o.tuning };
  if (o.signal) out.signal = o.signal;
  if (o.logger) out.logger = o.logger;
  if (o.s3) out.s3 = o.s3;
  if (o.stateDir !== undefined) out.stateDir = o.stateDir;
  if (o.onProgress) out.onProgress = o.onProgress;
  return out;
}

/** The checkpoints mirrored for a job, oldest first (by their newest object). */
export async function listMirroredCheckpoints(o: MirrorCommonOptions & { mirror: string; jobId: string }): Promise<MirroredCheckpoint[]> {
  const { bucket, prefix } = jobPrefix(o.mirror, o.jobId);
  const signal = o.signal ?? new AbortController().signal;
  const s3 = await openS3(o.s3, signal);
  try {
    const byName = new Map<string, { size: number; last: number; folder: boolean }>();
    for (const obj of await listAll(s3, bucket, `${prefix}/`, signal)) {
      const rest = obj.key.slice(prefix.length + 1);
      const slash = rest.indexOf('/');
      const name = slash === -1 ? rest : rest.slice(0, slash);
      if (name === '') continue;
      const e = byName.get(name) ?? { size: 0, last: 0, folder: false };
      e.size += obj.size;
      e.last = Math.max(e.last, obj.lastModifiedMs);
      e.folder ||= slash !== -1;
      byName.set(name, e);
    }
    return [...byName]
      .map(([name, e]) => ({ name, uri: formatS3Uri({ bucket, prefix: joinKey(prefix, name) }), sizeBytes: e.size, lastModified: new Date(e.last).toISOString() }))
      .sort((a, b) => (a.lastModified < b.lastModified ? -1 : a.lastModified > b.lastModified ? 1 : a.name < b.name ? -1 : 1));
  } finally {
    s3.close();
  }
}

/**
 * Deletes every checkpoint of the job under the mirror whose name is not in `keepNames`
 * (`checkpoints.keep` applied to the S3 copy). Returns the names deleted.
 */
export async function pruneMirror(o: MirrorCommonOptions & { mirror: string; jobId: string; keepNames: readonly string[] }): Promise<string[]> {
  const { bucket, prefix } = jobPrefix(o.mirror, o.jobId);
  const keep = new Set(o.keepNames);
  const signal = o.signal ?? new AbortController().signal;
  const s3 = await openS3(o.s3, signal);
  try {
    const doomed = new Set<string>();
    const keys: string[] = [];
    for (const obj of await listAll(s3, bucket, `${prefix}/`, signal)) {
      const rest = obj.key.slice(prefix.length + 1);
      const name = rest.split('/')[0] ?? '';
      if (name === '' || keep.has(name)) continue;
      doomed.add(name);
      keys.push(obj.key);
    }
    throwIfAborted(signal);
    await deleteAll(s3, bucket, keys, signal);
    if (doomed.size > 0) o.logger?.debug(`checkpoints: pruned ${[...doomed].join(', ')} from ${formatS3Uri({ bucket, prefix })}`);
    return [...doomed].sort();
  } finally {
    s3.close();
  }
}

/**
 * Downloads a mirrored checkpoint (`s3://bucket/prefix/<jobId>/<name>`, as mirrorCheckpoint
 * returned) into `destDir/<name>` and returns that path. Resumable like any download; an
 * existing copy is brought up to date rather than fetched again. Fails when nothing is there.
 */
export async function fetchCheckpointFromS3(uri: string, destDir: string, o: MirrorCommonOptions = {}): Promise<string> {
  const { prefix } = parseS3Uri(uri);
  const name = prefix.split('/').pop() ?? '';
  if (name === '') throw new UserError(`${uri} names no checkpoint (expected s3://bucket/prefix/<job>/<name>)`);
  const dest = path.join(path.resolve(destDir), name);
  await syncS3ToLocal(uri, dest, { ...common(o), delete: true, mustExist: true });
  return dest;
}
