/** Helpers to build and compare file trees in tests. */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';

export type TreeSpec = Record<string, string | Buffer | { link: string } | { mode: number; data: string | Buffer }>;

/** Writes `spec` under root: folders implied by paths, `{link}` makes a symlink. */
export async function writeTree(root: string, spec: TreeSpec): Promise<void> {
  for (const [rel, v] of Object.entries(spec)) {
    const abs = path.join(root, ...rel.split('/'));
    await fs.mkdir(path.dirname(abs), { recursive: true });
    if (typeof v === 'object' && 'link' in v) {
      await fs.rm(abs, { force: true });
      await fs.symlink(v.link, abs);
    } else if (typeof v === 'object' && 'mode' in v) {
      await fs.writeFile(abs, v.data);
      await fs.chmod(abs, v.mode);
    } else {
      await fs.writeFile(abs, v);
    }
  }
}

/**
 * A comparable picture of a tree: path -> `f <mode> <sha256>` | `d <mode>` | `l <target>`.
 * Names in `skip` (and anything below them) are left out.
 */
export async function treeDigest(root: string, skip: string[] = ['.ferry-manifest.json', '.ferry-tmp']): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  async function walk(rel: string): Promise<void> {
    const names = await fs.readdir(path.join(root, rel));
    for (const n of names.sort()) {
      const r = rel ? `${rel}/${n}` : n;
      if (skip.some((s) => r === s || r.startsWith(`${s}/`))) continue;
      const abs = path.join(root, r);
      const st = await fs.lstat(abs);
      if (st.isSymbolicLink()) out[r] = `l ${await fs.readlink(abs)}`;
      else if (st.isDirectory()) {
        out[r] = `d ${(st.mode & 0o7777).toString(8)}`;
        await walk(r);
      } else out[r] = `f ${(st.mode & 0o7777).toString(8)} ${createHash('sha256').update(await fs.readFile(abs)).digest('hex')}`;
    }
  }
  await walk('');
  return out;
}

/** Every regular file under root, relative paths. */
export async function listFiles(root: string): Promise<string[]> {
  const out: string[] = [];
  async function walk(rel: string): Promise<void> {
    for (const d of await fs.readdir(path.join(root, rel), { withFileTypes: true })) {
      const r = rel ? `${rel}/${d.name}` : d.name;
      if (d.isDirectory()) await walk(r);
      else out.push(r);
    }
  }
  await walk('');
  return out.sort();
}

/** Deterministic pseudo-random bytes (for big files whose content matters). */
export function bytes(seed: number, size: number): Buffer {
  if (size < 4) return Buffer.alloc(size, seed & 0xff);
  const b = Buffer.allocUnsafe(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < size; i += 4) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b.writeUInt32LE(x >>> 0, Math.min(i, size - 4));
  }
  return b;
}
