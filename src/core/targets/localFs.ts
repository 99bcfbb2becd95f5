import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { scanTree } from '../sync/scan';
import { throwIfAborted } from '../util/errors';

/**
 * Copies a tree honouring the ignore rules. Symlinks stay links. Used by the local target to
 * stage the workdir, so the user's own tree is never written by a job.
 */
export async function copyTree(src: string, dest: string, opts: { exclude?: string[]; signal?: AbortSignal } = {}): Promise<{ files: number; bytes: number }> {
  const entries = await scanTree(src, { exclude: opts.exclude, signal: opts.signal });
  await fs.mkdir(dest, { recursive: true });
  let files = 0;
  let bytes = 0;
  for (const e of entries) {
    throwIfAborted(opts.signal);
    const to = path.join(dest, ...e.path.split('/'));
    if (e.type === 'dir') {
      await fs.mkdir(to, { recursive: true, mode: e.mode });
    } else if (e.type === 'symlink') {
      await fs.rm(to, { force: true });
      await fs.symlink(e.linkTarget ?? '', to);
    } else {
      await fs.copyFile(path.join(src, ...e.path.split('/')), to);
      await fs.chmod(to, e.mode);
      files++;
      bytes += e.size;
    }
  }
  return { files, bytes };
}

/**
 * Copies a file or folder to `dest` through a temp name in the same folder, renamed when
 * whole: a reader never takes a half copy for a whole one.
 */
export async function copyAtomic(src: string, dest: string): Promise<void> {
  const tmp = path.join(path.dirname(dest), `.${path.basename(dest)}.${process.pid}.${Date.now()}.partial`);
  await fs.mkdir(path.dirname(dest), { recursive: true });
  await fs.rm(tmp, { recursive: true, force: true });
  await fs.cp(src, tmp, { recursive: true, preserveTimestamps: true, verbatimSymlinks: true });
  await fs.rm(dest, { recursive: true, force: true });
  await fs.rename(tmp, dest);
}

/** Size of a file, or the sum of the files under a folder. */
export async function pathSize(p: string): Promise<number> {
  const st = await fs.lstat(p);
  if (!st.isDirectory()) return st.size;
  let total = 0;
  for (const name of await fs.readdir(p)) total += await pathSize(path.join(p, name));
  return total;
}

/** Names a checkpoint writer uses while a file is incomplete; never taken for a checkpoint. */
export function isTempName(name: string): boolean {
  return name.startsWith('.') || /\.(tmp|temp|partial|part|incomplete|lock)$/i.test(name) || name.endsWith('~');
}

/** Training step from a checkpoint name: `ckpt-000300.json` -> 300, `checkpoint-500` -> 500. */
export function stepFromName(name: string): number | undefined {
  const stem = name.replace(/\.[A-Za-z][A-Za-z0-9]*$/, '');
  const m = /(?:step|ckpt|checkpoint|iter|epoch)?[-_=]?(\d+)(?!.*\d)/i.exec(stem);
  if (!m) return undefined;
  const n = Number(m[1]);
  return Number.isSafeInteger(n) ? n : undefined;
}
