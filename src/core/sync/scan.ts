import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import ignore, { type Ignore } from 'ignore';
import { throwIfAborted } from '../util/errors';

/** One thing found under a synced root. Paths are POSIX-style and relative to the root. */
export interface ScanEntry {
  path: string;
  type: 'file' | 'dir' | 'symlink';
  size: number;
  mtimeMs: number;
  /** Permission bits only (e.g. 0o755). */
  mode: number;
  /** For symlinks: the link text as stored (never followed). */
  linkTarget?: string;
}

export interface ScanOptions {
  /** Extra gitignore-style patterns relative to the root (the spec's `exclude`). */
  exclude?: string[];
  /** Honour .gitignore and .ferryignore files found in the tree (default true). */
  ignoreFiles?: boolean;
  /** Apply no ignore rules at all, not even ALWAYS_IGNORED (a sync destination's own view). */
  raw?: boolean;
  /** Skip these root-relative paths entirely (Ferry's own files in a sync root). */
  skip?: (rel: string, isDir: boolean) => boolean;
  signal?: AbortSignal;
}

/** A folder entry as a reader reports it (lstat semantics: links are not followed). */
export interface ReaderEntry {
  name: string;
  type: 'file' | 'dir' | 'symlink' | 'other';
  size: number;
  mtimeMs: number;
  mode: number;
}

/**
 * Where a tree is read from: the local disk, or a remote host over SFTP. Paths are relative
 * to the root, POSIX-style ('' is the root).
 */
export interface TreeReader {
  readdir(relDir: string): Promise<ReaderEntry[]>;
  /** A small text file's contents (ignore files), undefined when it cannot be read. */
  readText(rel: string): Promise<string | undefined>;
  readlink(rel: string): Promise<string>;
}

/** Names never synced, whatever the ignore files say. */
const ALWAYS_IGNORED = ['.git/', '.ferry/', 'node_modules/.cache/'];
const IGNORE_FILES = ['.gitignore', '.ferryignore'];

interface Rules {
  /** Folder the rules were read in, relative to the root ('' for the root). */
  base: string;
  ig: Ignore;
}

function isIgnored(rules: Rules[], rel: string, isDir: boolean): boolean {
  for (const r of rules) {
    const sub = r.base === '' ? rel : rel.slice(r.base.length + 1);
    if (r.ig.ignores(isDir ? `${sub}/` : sub)) return true;
  }
  return false;
}

/** Reads the local disk under `root`. */
export function localReader(root: string): TreeReader {
  const abs = (rel: string): string => (rel === '' ? root : path.join(root, ...rel.split('/')));
  return {
    async readdir(relDir) {
      const dir = abs(relDir);
      const names = await fs.readdir(dir);
      const out = await Promise.all(
        names.map(async (name): Promise<ReaderEntry | undefined> => {
          const st = await fs.lstat(path.join(dir, name)).catch(() => undefined);
          if (!st) return undefined; // vanished while scanning
          const type = st.isSymbolicLink() ? 'symlink' : st.isDirectory() ? 'dir' : st.isFile() ? 'file' : 'other';
          return { name, type, size: st.size, mtimeMs: st.mtimeMs, mode: st.mode & 0o7777 };
        }),
      );
      return out.filter((e): e is ReaderEntry => e !== undefined);
    },
    readText: (rel) => fs.readFile(abs(rel), 'utf8').catch(() => undefined),
    readlink: (rel) => fs.readlink(abs(rel)),
  };
}

/** The result of a walk: the entries and the ignore rules it found, for later questions. */
export interface TreeScan {
  entries: ScanEntry[];
  /**
   * Whether the walk's rules ignore `rel` (a path that may not exist in the tree): the rules
   * of the deepest folder the walk saw on the way to it apply. A sync destination uses this to
   * leave excluded files alone when mirroring.
   */
  ignores(rel: string, isDir: boolean): boolean;
}

/**
 * Walks a tree and returns every file, folder and symlink that is not ignored, in pre-order
 * with siblings sorted by name. Ignore rules: the spec's `exclude`, then `.gitignore` and
 * `.ferryignore` in every folder, which apply below the folder they are in (as git does).
 * Symlinks are reported, never followed. Sockets, fifos and devices are never synced.
 */
export async function walkTree(reader: TreeReader, opts: ScanOptions = {}): Promise<TreeScan> {
  const base: Rules = { base: '', ig: ignore().add(opts.raw ? [] : ALWAYS_IGNORED).add(opts.exclude ?? []) };
  const rulesByDir = new Map<string, Rules[]>();

  async function walk(relDir: string, rules: Rules[]): Promise<ScanEntry[]> {
    throwIfAborted(opts.signal);
    const dirents = await reader.readdir(relDir);
    let here = rules;
    if (opts.ignoreFiles !== false && !opts.raw) {
      let ig: Ignore | undefined;
      for (const name of IGNORE_FILES) {
        if (!dirents.some((d) => d.name === name && d.type === 'file')) continue;
        const text = await reader.readText(relDir === '' ? name : `${relDir}/${name}`);
        if (text !== undefined) (ig ??= ignore()).add(text);
      }
      if (ig) here = [...rules, { base: relDir, ig }];
    }
    rulesByDir.set(relDir, here);
    dirents.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const kept: { e: ScanEntry; sub?: Promise<ScanEntry[]> }[] = [];
    for (const d of dirents) {
      if (d.type === 'other') continue;
      const rel = relDir === '' ? d.name : `${relDir}/${d.name}`;
      const isDir = d.type === 'dir';
      if (opts.skip?.(rel, isDir)) continue;
      if (isIgnored(here, rel, isDir)) continue;
      if (d.type === 'symlink') {
        kept.push({ e: { path: rel, type: 'symlink', size: 0, mtimeMs: d.mtimeMs, mode: d.mode, linkTarget: await reader.readlink(rel) } });
      } else if (isDir) {
        // Sibling folders are read concurrently (it is I/O: disk or SFTP round trips).
        const sub = walk(rel, here);
        sub.catch(() => {}); // awaited below, in order; this only keeps an early failure from being "unhandled"
        kept.push({ e: { path: rel, type: 'dir', size: 0, mtimeMs: d.mtimeMs, mode: d.mode }, sub });
      } else {
        kept.push({ e: { path: rel, type: 'file', size: d.size, mtimeMs: d.mtimeMs, mode: d.mode } });
      }
    }
    const out: ScanEntry[] = [];
    for (const k of kept) {
      out.push(k.e);
      if (k.sub) out.push(...(await k.sub));
    }
    return out;
  }

  const entries = await walk('', [base]);
  return {
    entries,
    ignores(rel, isDir) {
      let dir = rel;
      let rules: Rules[] | undefined;
      while (!rules) {
        const i = dir.lastIndexOf('/');
        dir = i < 0 ? '' : dir.slice(0, i);
        rules = rulesByDir.get(dir);
        if (dir === '') break;
      }
      return isIgnored(rules ?? [base], rel, isDir);
    },
  };
}

/**
 * Walks `root` on the local disk and returns every file, folder and symlink that is not
 * ignored (see walkTree for the rules).
 */
export async function scanTree(root: string, opts: ScanOptions = {}): Promise<ScanEntry[]> {
  return (await walkTree(localReader(path.resolve(root)), opts)).entries;
}
