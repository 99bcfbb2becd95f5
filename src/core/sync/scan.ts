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
  signal?: AbortSignal;
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

async function readRules(absDir: string, base: string): Promise<Rules | undefined> {
  let ig: Ignore | undefined;
  for (const name of IGNORE_FILES) {
    const text = await fs.readFile(path.join(absDir, name), 'utf8').catch(() => undefined);
    if (text !== undefined) (ig ??= ignore()).add(text);
  }
  return ig ? { base, ig } : undefined;
}

/**
 * Walks `root` and returns every file, folder and symlink that is not ignored, sorted by path.
 * Ignore rules: the spec's `exclude`, then `.gitignore`/`.ferryignore` in every folder, which
 * apply below the folder they are in (as git does). Symlinks are reported, never followed.
 */
export async function scanTree(root: string, opts: ScanOptions = {}): Promise<ScanEntry[]> {
  const out: ScanEntry[] = [];
  const base: Rules = { base: '', ig: ignore().add(ALWAYS_IGNORED).add(opts.exclude ?? []) };

  async function walk(absDir: string, relDir: string, rules: Rules[]): Promise<void> {
    throwIfAborted(opts.signal);
    let here = rules;
    if (opts.ignoreFiles !== false) {
      const r = await readRules(absDir, relDir);
      if (r) here = [...rules, r];
    }
    const dirents = await fs.readdir(absDir, { withFileTypes: true });
    dirents.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const d of dirents) {
      const rel = relDir === '' ? d.name : `${relDir}/${d.name}`;
      const abs = path.join(absDir, d.name);
      const isDir = d.isDirectory();
      if (isIgnored(here, rel, isDir)) continue;
      const st = await fs.lstat(abs).catch(() => undefined);
      if (!st) continue; // vanished while scanning
      const mode = st.mode & 0o7777;
      if (st.isSymbolicLink()) {
        out.push({ path: rel, type: 'symlink', size: 0, mtimeMs: st.mtimeMs, mode, linkTarget: await fs.readlink(abs) });
      } else if (st.isDirectory()) {
        out.push({ path: rel, type: 'dir', size: 0, mtimeMs: st.mtimeMs, mode });
        await walk(abs, rel, here);
      } else if (st.isFile()) {
        out.push({ path: rel, type: 'file', size: st.size, mtimeMs: st.mtimeMs, mode });
      }
      // sockets, fifos and devices are never synced
    }
  }

  await walk(path.resolve(root), '', [base]);
  return out;
}
