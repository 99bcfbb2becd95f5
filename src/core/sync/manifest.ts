/**
 * The sync manifest and the path rules every sync write obeys.
 *
 * A destination root holds `.ferry-manifest.json`: what Ferry last wrote there (path, type,
 * size, mtime, mode, link text, and a content hash where one was computed). It is a cache,
 * never the truth: each sync lists the destination too, and a manifest entry is used only
 * while the listing still shows the size and mtime it recorded, so a file changed on the
 * remote behind Ferry's back is not trusted blindly. Its hashes let a file whose mtime moved
 * but whose content did not (a fresh checkout, `touch`) be fixed with a setstat instead of a
 * transfer.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import { InfraError } from '../util/errors';

export const MANIFEST_NAME = '.ferry-manifest.json';
/** Staging folder in a destination root: every file lands here, then is renamed into place. */
export const STAGING_DIR = '.ferry-tmp';

/** A tree entry as sync compares it. mtime is whole seconds (what SFTP and tar carry). */
export interface TreeEntry {
  path: string;
  type: 'file' | 'dir' | 'symlink';
  size: number;
  mtime: number;
  mode: number;
  link?: string;
  hash?: string;
}

export interface Manifest {
  version: 1;
  writtenAt: string;
  entries: Map<string, TreeEntry>;
}

/** Ferry's own files in a sync root: never listed, compared, copied or deleted. */
export function isOwnPath(rel: string): boolean {
  return rel === MANIFEST_NAME || rel === STAGING_DIR || rel.startsWith(`${STAGING_DIR}/`) || /\.ferry-tmp-[^/]*$/.test(rel);
}

/**
 * Checks a root-relative path from a listing, a manifest or a tar stream: POSIX, relative,
 * no `.`/`..`/empty segments, no NUL. Anything else could write outside the root.
 */
export function isSafeRelPath(p: string): boolean {
  if (p === '' || p.includes('\0') || p.startsWith('/')) return false;
  return p.split('/').every((seg) => seg !== '' && seg !== '.' && seg !== '..');
}

export function assertSafeRelPath(p: string, where: string): void {
  if (!isSafeRelPath(p)) throw new InfraError(`${where}: refusing path ${JSON.stringify(p)}: it is not a plain path inside the sync root`);
}

/** True when a symlink at `linkRel` with text `target` resolves outside the root. */
export function linkEscapes(linkRel: string, target: string): boolean {
  if (target === '' || target.startsWith('/') || target.includes('\0')) return true;
  const resolved = path.posix.normalize(path.posix.join(path.posix.dirname(linkRel), target));
  return resolved === '..' || resolved.startsWith('../') || resolved.startsWith('/');
}

// The envelope is checked with zod; the rows (thousands) by hand, which is several times
// faster than a zod tuple per row and this runs on every sync that changes something.
const manifestSchema = z.object({ version: z.literal(1), writtenAt: z.string(), entries: z.array(z.unknown()) });

type Row = [string, 'f' | 'd' | 'l', number, number, number, string | null, string | null];

function isRow(r: unknown): r is Row {
  if (!Array.isArray(r) || r.length !== 7) return false;
  const [p, t, size, mtime, mode, hash, link] = r as unknown[];
  return (
    typeof p === 'string' &&
    (t === 'f' || t === 'd' || t === 'l') &&
    Number.isSafeInteger(size) &&
    (size as number) >= 0 &&
    Number.isSafeInteger(mtime) &&
    Number.isInteger(mode) &&
    (mode as number) >= 0 &&
    (mode as number) <= 0o7777 &&
    (hash === null || typeof hash === 'string') &&
    (link === null || typeof link === 'string')
  );
}

const TYPE_CODE = { file: 'f', dir: 'd', symlink: 'l' } as const;
const CODE_TYPE = { f: 'file', d: 'dir', l: 'symlink' } as const;

export function encodeManifest(entries: Iterable<TreeEntry>): string {
  const rows = [...entries].map((e) => [e.path, TYPE_CODE[e.type], e.size, e.mtime, e.mode, e.hash ?? null, e.link ?? null]);
  return JSON.stringify({ version: 1, writtenAt: new Date().toISOString(), entries: rows });
}

/**
 * Parses a manifest. Undefined when it is not one of ours (absent, corrupt, other version):
 * the sync then simply has no hashes to reuse. A path that points out of the root is refused.
 */
export function decodeManifest(text: string, where: string): Manifest | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return undefined;
  }
  const parsed = manifestSchema.safeParse(raw);
  if (!parsed.success) return undefined;
  const entries = new Map<string, TreeEntry>();
  for (const row of parsed.data.entries) {
    if (!isRow(row)) return undefined;
    const [p, t, size, mtime, mode, hash, link] = row;
    assertSafeRelPath(p, where);
    const e: TreeEntry = { path: p, type: CODE_TYPE[t], size, mtime, mode };
    if (hash) e.hash = hash;
    if (link !== null) {
      if (linkEscapes(p, link)) throw new InfraError(`${where}: refusing link ${JSON.stringify(p)} -> ${JSON.stringify(link)}: it points outside the sync root`);
      e.link = link;
    }
    entries.set(p, e);
  }
  return { version: 1, writtenAt: parsed.data.writtenAt, entries };
}

/** sha256 of a local file, hex. */
export function hashLocalFile(abs: string, signal?: AbortSignal): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256');
    const s = createReadStream(abs, { signal });
    s.on('data', (d) => h.update(d));
    s.on('error', reject);
    s.on('end', () => resolve(h.digest('hex')));
  });
}

