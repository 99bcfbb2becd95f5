import { createHash } from 'node:crypto';
import { promises as fs, type Stats } from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import { throwIfAborted } from '../util/errors';

/** Hex digests of a whole file: MD5 to compare with single-part ETags, SHA-256 for the stored hash. */
export interface FileHashes {
  md5: string;
  sha256: string;
}

/** Metadata key (x-amz-meta-ferry-sha256) holding the SHA-256 of the whole object. */
export const SHA256_META = 'ferry-sha256';

export function hashBuffer(buf: Buffer): FileHashes & { md5Base64: string } {
  const md5 = createHash('md5').update(buf).digest();
  return { md5: md5.toString('hex'), md5Base64: md5.toString('base64'), sha256: createHash('sha256').update(buf).digest('hex') };
}

/** Files up to this size are read in one go; bigger ones through one reused buffer. */
const WHOLE_READ = 8 * 1024 * 1024;

export async function hashFile(abs: string, signal?: AbortSignal): Promise<FileHashes> {
  const md5 = createHash('md5');
  const sha = createHash('sha256');
  const fh = await fs.open(abs, 'r');
  try {
    const size = (await fh.stat()).size;
    if (size <= WHOLE_READ) {
      const buf = await fh.readFile();
      md5.update(buf);
      sha.update(buf);
    } else {
      const buf = Buffer.allocUnsafe(WHOLE_READ);
      for (;;) {
        throwIfAborted(signal);
        const { bytesRead } = await fh.read(buf, 0, buf.length, null);
        if (bytesRead === 0) break;
        const chunk = buf.subarray(0, bytesRead);
        md5.update(chunk);
        sha.update(chunk);
      }
    }
  } finally {
    await fh.close();
  }
  throwIfAborted(signal);
  return { md5: md5.digest('hex'), sha256: sha.digest('hex') };
}

/** What identifies one version of a file without reading it. ctime moves on every write and cannot be set back. */
export interface FileStamp {
  size: number;
  mtimeMs: number;
  ctimeMs: number;
  ino: number;
}

export function stampOf(st: Stats): FileStamp {
  return { size: st.size, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs, ino: st.ino };
}

export function sameStamp(a: FileStamp, b: FileStamp): boolean {
  return a.size === b.size && a.mtimeMs === b.mtimeMs && a.ctimeMs === b.ctimeMs && a.ino === b.ino;
}

const CacheEntry = z.object({ size: z.number(), mtimeMs: z.number(), ctimeMs: z.number(), ino: z.number(), md5: z.string(), sha256: z.string() });
const CacheFile = z.object({ version: z.literal(1), root: z.string(), entries: z.record(z.string(), CacheEntry) });
type CacheEntry = z.infer<typeof CacheEntry>;

/**
 * Remembered hashes of the files under one local root, so that a no-op sync of a tree of
 * large checkpoints reads nothing but directory entries. An entry is used only while the
 * file's size, mtime, ctime and inode are unchanged; the file is rewritten at the end of each
 * sync with just the entries seen in it.
 */
export class HashCache {
  private readonly seen = new Map<string, CacheEntry>();
  private dirty = false;

  private constructor(
    private readonly file: string | undefined,
    private readonly root: string,
    private readonly old: Record<string, CacheEntry>,
  ) {}

  /** `dir` undefined: an in-memory cache that is never saved. */
  static async open(dir: string | undefined, root: string): Promise<HashCache> {
    if (dir === undefined) return new HashCache(undefined, root, {});
    const name = createHash('sha256').update(root).digest('hex').slice(0, 32);
    const file = path.join(dir, `${name}.json`);
    const raw = await fs.readFile(file, 'utf8').catch(() => undefined);
    let entries: Record<string, CacheEntry> = {};
    if (raw !== undefined) {
      try {
        const parsed = CacheFile.safeParse(JSON.parse(raw));
        if (parsed.success && parsed.data.root === root) entries = parsed.data.entries;
      } catch {
        // a torn or foreign file is just an empty cache
      }
    }
    return new HashCache(file, root, entries);
  }

  get(rel: string, stamp: FileStamp): FileHashes | undefined {
    const e = this.seen.get(rel) ?? this.old[rel];
    if (!e || !sameStamp(e, stamp)) return undefined;
    this.seen.set(rel, e);
    return { md5: e.md5, sha256: e.sha256 };
  }

  set(rel: string, stamp: FileStamp, h: FileHashes): void {
    this.seen.set(rel, { ...stamp, md5: h.md5, sha256: h.sha256 });
    this.dirty = true;
  }

  async save(): Promise<void> {
    if (this.file === undefined) return;
    if (!this.dirty && this.seen.size === Object.keys(this.old).length) return;
    await fs.mkdir(path.dirname(this.file), { recursive: true });
    const tmp = `${this.file}.${process.pid}.${Date.now()}.tmp`;
    const body: z.infer<typeof CacheFile> = { version: 1, root: this.root, entries: Object.fromEntries(this.seen) };
    await fs.writeFile(tmp, JSON.stringify(body));
    await fs.rename(tmp, this.file);
  }
}

/**
 * The hashes of `abs` (relative path `rel` in `cache`): from the cache when the file is
 * unchanged, else read, and cached only if the file did not change while being read.
 */
export async function cachedHashes(cache: HashCache, rel: string, abs: string, signal?: AbortSignal): Promise<FileHashes> {
  const before = stampOf(await fs.stat(abs));
  const hit = cache.get(rel, before);
  if (hit) return hit;
  const h = await hashFile(abs, signal);
  const after = stampOf(await fs.stat(abs));
  if (sameStamp(before, after)) cache.set(rel, after, h);
  return h;
}
