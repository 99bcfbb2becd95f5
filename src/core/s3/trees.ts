import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { scanTree } from '../sync/scan';
import { UserError } from '../util/errors';
import type { Logger } from '../util/logger';
import type { S3Handle } from './client';
import { PARTIAL_PATTERNS } from './download';
import { SHA256_META, type FileHashes } from './hash';
import { listAll } from './list';
import type { RemoteObject } from './ops';
import { relativeKey } from './uri';

export interface LocalFile {
  abs: string;
  size: number;
}

export type Direction = 'up' | 'down';

/** Local source or destination: its files by relative path ('' when `root` is one file). */
export async function listLocal(
  root: string,
  dir: Direction,
  opts: { exclude?: string[]; ignoreFiles?: boolean },
  logger: Logger,
  signal: AbortSignal,
): Promise<{ kind: 'file' | 'dir' | 'missing'; files: Map<string, LocalFile> }> {
  const files = new Map<string, LocalFile>();
  const st = await fs.stat(root).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined;
    throw err;
  });
  if (!st) {
    if (dir === 'up') throw new UserError(`${root} does not exist`);
    return { kind: 'missing', files };
  }
  if (st.isFile()) {
    files.set('', { abs: root, size: st.size });
    return { kind: 'file', files };
  }
  if (!st.isDirectory()) throw new UserError(`${root} is neither a file nor a folder`);
  const entries = await scanTree(root, {
    exclude: [...(opts.exclude ?? []), ...PARTIAL_PATTERNS],
    // Ignore files describe what a source tree publishes; a destination's are not consulted.
    ignoreFiles: dir === 'up' && opts.ignoreFiles !== false,
    signal,
  });
  for (const e of entries) {
    const abs = path.join(root, ...e.path.split('/'));
    if (e.type === 'file') files.set(e.path, { abs, size: e.size });
    else if (e.type === 'symlink' && dir === 'up') {
      // A link to a file publishes the file (as aws s3 sync does); links to folders are not
      // followed, so a loop cannot make the sync endless.
      const target = await fs.stat(abs).catch(() => undefined);
      if (target?.isFile()) files.set(e.path, { abs, size: target.size });
      else logger.debug(`s3 sync: skipping symlink ${e.path} (not a file)`);
    }
  }
  return { kind: 'dir', files };
}

export async function listRemote(s3: S3Handle, bucket: string, prefix: string, signal: AbortSignal): Promise<Map<string, RemoteObject>> {
  const out = new Map<string, RemoteObject>();
  for (const obj of await listAll(s3, bucket, prefix === '' ? '' : `${prefix}/`, signal)) {
    const rel = relativeKey(prefix, obj.key);
    if (rel !== undefined) out.set(rel, obj);
  }
  return out;
}

const PLAIN_MD5 = /^[0-9a-f]{32}$/;

/**
 * Whether a remote object holds the same bytes as a local file of the same size: its ETag is
 * the file's MD5 (single-part uploads), or, failing that (multipart ETags, SSE-KMS, a changed
 * file), the SHA-256 Ferry stored in the object's metadata when it uploaded it.
 */
export async function sameContent(s3: S3Handle, bucket: string, obj: RemoteObject, local: FileHashes, signal: AbortSignal): Promise<boolean> {
  if (PLAIN_MD5.test(obj.etag) && obj.etag === local.md5) return true;
  const head = await s3.call(`reading s3://${bucket}/${obj.key}`, (o) => o.head(bucket, obj.key, signal));
  return head?.metadata[SHA256_META] === local.sha256;
}

export async function pruneEmptyDirs(root: string, rels: string[]): Promise<void> {
  const dirs = new Set<string>();
  for (const rel of rels) {
    let d = path.posix.dirname(rel);
    while (d !== '.' && d !== '') {
      dirs.add(d);
      d = path.posix.dirname(d);
    }
  }
  // Deepest first, so a parent is tried after its children are gone.
  for (const d of [...dirs].sort((a, b) => b.split('/').length - a.split('/').length)) {
    await fs.rmdir(path.join(root, ...d.split('/'))).catch(() => undefined);
  }
}
