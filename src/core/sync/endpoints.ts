/**
 * The two kinds of sync endpoint, behind one interface: a local folder, and a folder on an SSH
 * host (read over SFTP). Each can be listed as a source or a destination and can apply the
 * destination half of a plan (folders, removals, modes, times, renames out of staging).
 * Every path handed in is root-relative and checked; nothing resolves outside the root.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { ConnectionLostError, type SshConnection } from '../remote/connection';
import { RemoteFs, isNoSuchFile, sftpPath } from '../remote/sftp';
import { UserError } from '../util/errors';
import { shJoin, shPath } from '../util/quote';
import { MANIFEST_NAME, STAGING_DIR, assertSafeRelPath, decodeManifest, encodeManifest, hashLocalFile, isOwnPath, type Manifest, type TreeEntry } from './manifest';
import { localReader, walkTree, type ScanOptions, type TreeReader, type TreeScan } from './scan';

/** A local path, or a path on an SSH connection (absolute, home-relative, or `~/...`). */
export type Endpoint = string | { conn: SshConnection; path: string };

export interface Listing {
  scan: TreeScan;
  entries: Map<string, TreeEntry>;
  /** The root holds a manifest file. */
  manifestSeen: boolean;
  /** The root holds a staging folder (an earlier sync did not finish, or is running). */
  stagingSeen: boolean;
}

export interface Side {
  readonly kind: 'local' | 'remote';
  /** `/abs/path` or `alias:path`, for messages and the summary. */
  readonly label: string;
  /** The root as this side addresses it. */
  readonly root: string;
  /** 'dir', 'missing', or the other thing found there. */
  rootKind(signal?: AbortSignal): Promise<'dir' | 'missing' | 'file' | 'symlink' | 'other'>;
  list(opts: ScanOptions): Promise<Listing>;
  /** Creates the root (unless `exists`) and its staging folder. */
  ensureRoot(signal?: AbortSignal, exists?: boolean): Promise<void>;
  mkdir(rel: string, mode: number, signal?: AbortSignal): Promise<void>;
  remove(e: TreeEntry, signal?: AbortSignal): Promise<void>;
  setAttrs(rel: string, attrs: { mode?: number; mtime?: number }, signal?: AbortSignal): Promise<void>;
  /** Moves a staged file (STAGING_DIR-relative name) to its real place, replacing what is there. */
  place(staged: string, rel: string, signal?: AbortSignal): Promise<void>;
  /**
   * sha256 of these files as they are now (a file missing from the map could not be hashed).
   * Local: read and hashed here. Remote: the manifest's hash while the file still has the
   * recorded size and mtime, else one `sha256sum` run for the rest.
   */
  hashMany(entries: TreeEntry[], manifest: Manifest | undefined, signal?: AbortSignal): Promise<Map<string, string>>;
  readManifest(signal?: AbortSignal): Promise<Manifest | undefined>;
  writeManifest(entries: TreeEntry[], signal?: AbortSignal): Promise<void>;
  /** Removes staging leftovers, keeping the names in `keep` (resumable partial files). */
  cleanStaging(keep: Set<string>, signal?: AbortSignal): Promise<void>;
}

function toEntry(e: { path: string; type: 'file' | 'dir' | 'symlink'; size: number; mtimeMs: number; mode: number; linkTarget?: string }): TreeEntry {
  const t: TreeEntry = { path: e.path, type: e.type, size: e.type === 'file' ? e.size : 0, mtime: Math.floor(e.mtimeMs / 1000), mode: e.mode };
  if (e.type === 'symlink') t.link = e.linkTarget ?? '';
  return t;
}

async function listWith(reader: TreeReader, opts: ScanOptions, where: string): Promise<Listing> {
  let manifestSeen = false;
  let stagingSeen = false;
  const skip = opts.skip;
  const scan = await walkTree(reader, {
    ...opts,
    skip: (rel, isDir) => {
      if (rel === MANIFEST_NAME) manifestSeen = true;
      if (rel === STAGING_DIR) stagingSeen = true;
      return isOwnPath(rel) || (skip?.(rel, isDir) ?? false);
    },
  });
  const entries = new Map<string, TreeEntry>();
  for (const e of scan.entries) {
    assertSafeRelPath(e.path, where);
    entries.set(e.path, toEntry(e));
  }
  return { scan, entries, manifestSeen, stagingSeen };
}

export class LocalSide implements Side {
  readonly kind = 'local';
  readonly root: string;
  readonly label: string;
  constructor(root: string) {
    this.root = path.resolve(root);
    this.label = this.root;
  }

  abs(rel: string): string {
    if (rel === '') return this.root;
    assertSafeRelPath(rel, this.label);
    return path.join(this.root, ...rel.split('/'));
  }

  async rootKind(): Promise<'dir' | 'missing' | 'file' | 'symlink' | 'other'> {
    const st = await fs.stat(this.root).catch(() => undefined);
    return !st ? 'missing' : st.isDirectory() ? 'dir' : st.isFile() ? 'file' : 'other';
  }

  list(opts: ScanOptions): Promise<Listing> {
    return listWith(localReader(this.root), opts, this.label);
  }

  async ensureRoot(): Promise<void> {
    await fs.mkdir(this.root, { recursive: true });
  }

  async mkdir(rel: string, mode: number): Promise<void> {
    const p = this.abs(rel);
    await fs.mkdir(p).catch(async (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EEXIST' || !(await fs.lstat(p)).isDirectory()) throw err;
    });
    await fs.chmod(p, mode);
  }

  async remove(e: TreeEntry): Promise<void> {
    const p = this.abs(e.path);
    if (e.type === 'dir') await fs.rmdir(p).catch((err: NodeJS.ErrnoException) => (err.code === 'ENOENT' ? undefined : Promise.reject(err)));
    else await fs.unlink(p).catch((err: NodeJS.ErrnoException) => (err.code === 'ENOENT' ? undefined : Promise.reject(err)));
  }

  async setAttrs(rel: string, attrs: { mode?: number; mtime?: number }): Promise<void> {
    const p = this.abs(rel);
    if (attrs.mode !== undefined) await fs.chmod(p, attrs.mode);
    if (attrs.mtime !== undefined) await fs.lutimes(p, attrs.mtime, attrs.mtime);
  }

  async place(staged: string, rel: string): Promise<void> {
    await fs.rename(path.join(this.root, STAGING_DIR, staged), this.abs(rel));
  }

  async hashMany(entries: TreeEntry[], _manifest: Manifest | undefined, signal?: AbortSignal): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (const e of entries) {
      const h = await hashLocalFile(this.abs(e.path), signal).catch(() => undefined);
      if (h) out.set(e.path, h);
    }
    return out;
  }

  async readManifest(): Promise<Manifest | undefined> {
    const text = await fs.readFile(path.join(this.root, MANIFEST_NAME), 'utf8').catch(() => undefined);
    return text === undefined ? undefined : decodeManifest(text, path.join(this.root, MANIFEST_NAME));
  }

  async writeManifest(): Promise<void> {
    // A local destination is listed exactly with lstat and hashed locally: no manifest needed.
  }

  async cleanStaging(keep: Set<string>): Promise<void> {
    const dir = path.join(this.root, STAGING_DIR);
    const names = await fs.readdir(dir).catch(() => undefined);
    if (!names) return;
    for (const n of names) if (!keep.has(n)) await fs.rm(path.join(dir, n), { recursive: true, force: true });
    if (keep.size === 0) await fs.rmdir(dir).catch(() => undefined);
  }

  stagingPath(name: string): string {
    return path.join(this.root, STAGING_DIR, name);
  }
}

export class RemoteSide implements Side {
  readonly kind = 'remote';
  readonly root: string;
  readonly label: string;
  readonly rfs: RemoteFs;
  constructor(readonly conn: SshConnection, root: string) {
    if (root === '') throw new UserError(`${conn.label}: empty remote path`);
    this.root = root.length > 1 ? root.replace(/\/+$/, '') : root;
    this.label = `${conn.label}:${root}`;
    this.rfs = new RemoteFs(conn);
  }

  /** Remote path of a root-relative path (kept `~/`-relative when the root is). */
  rpath(rel: string): string {
    if (rel === '') return this.root;
    assertSafeRelPath(rel, this.label);
    return path.posix.join(this.root, rel);
  }

  stagingPath(name: string): string {
    return path.posix.join(this.root, STAGING_DIR, name);
  }

  async rootKind(signal?: AbortSignal): Promise<'dir' | 'missing' | 'file' | 'symlink' | 'other'> {
    // stat, not lstat: a root that is a link to a folder is the user's choice, as with rsync.
    try {
      const st = await this.rfs.call<{ mode: number }>(`stat ${this.root}`, (s, cb) => s.stat(sftpPath(this.root), cb), signal);
      const t = st.mode & 0o170000;
      return t === 0o040000 ? 'dir' : t === 0o100000 ? 'file' : 'other';
    } catch (err) {
      if (isNoSuchFile(err)) return 'missing';
      throw err;
    }
  }

  private reader(signal?: AbortSignal): TreeReader {
    return {
      readdir: async (relDir) => (await this.rfs.readdir(this.rpath(relDir), signal)).map((d) => ({ ...d, type: d.type, mtimeMs: d.mtime * 1000 })),
      readText: async (rel) => {
        const st = await this.rfs.lstat(this.rpath(rel), signal);
        if (!st || st.size > 1024 * 1024) return undefined;
        return (await this.rfs.readFile(this.rpath(rel), signal)).toString('utf8');
      },
      readlink: (rel) => this.rfs.readlink(this.rpath(rel), signal),
    };
  }

  list(opts: ScanOptions): Promise<Listing> {
    return this.conn.retrying(() => listWith(this.reader(opts.signal), opts, this.label), opts.signal);
  }

  async ensureRoot(signal?: AbortSignal, exists = false): Promise<void> {
    if (exists) {
      await this.rfs.mkdir(this.stagingPath(''), 0o700, signal);
      return;
    }
    // mkdir -p over SFTP: each missing component in turn.
    let p = this.root.startsWith('~/') ? this.root.slice(2) : this.root === '~' ? '.' : this.root;
    p = p.replace(/\/+$/, '');
    const parts = p.split('/');
    let cur = p.startsWith('/') ? '' : '.';
    for (const part of parts) {
      if (part === '' || part === '.') continue;
      cur = cur === '' ? `/${part}` : cur === '.' ? part : `${cur}/${part}`;
      await this.rfs.mkdir(cur, undefined, signal);
    }
    await this.rfs.mkdir(this.stagingPath(''), 0o700, signal);
  }

  async mkdir(rel: string, mode: number, signal?: AbortSignal): Promise<void> {
    await this.rfs.mkdir(this.rpath(rel), mode, signal);
    // mkdir's mode passes through the server's umask; set it exactly.
    await this.rfs.chmod(this.rpath(rel), mode, signal);
  }

  async remove(e: TreeEntry, signal?: AbortSignal): Promise<void> {
    try {
      if (e.type === 'dir') await this.rfs.rmdir(this.rpath(e.path), signal);
      else await this.rfs.unlink(this.rpath(e.path), signal);
    } catch (err) {
      if (!isNoSuchFile(err)) throw err;
    }
  }

  async setAttrs(rel: string, attrs: { mode?: number; mtime?: number }, signal?: AbortSignal): Promise<void> {
    await this.rfs.setstat(this.rpath(rel), attrs, signal);
  }

  async place(staged: string, rel: string, signal?: AbortSignal): Promise<void> {
    await this.rfs.rename(this.stagingPath(staged), this.rpath(rel), signal);
  }

  async hashMany(entries: TreeEntry[], manifest: Manifest | undefined, signal?: AbortSignal): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    const rest: TreeEntry[] = [];
    for (const e of entries) {
      const m = manifest?.entries.get(e.path);
      // A manifest hash counts only while the file still looks exactly as it did when hashed.
      if (m && m.type === 'file' && m.hash && m.size === e.size && m.mtime === e.mtime) out.set(e.path, m.hash);
      else rest.push(e);
    }
    // The rest in batches through sha256sum -z (NUL-terminated, unescaped names); a host
    // without it just gets those files sent again.
    for (let i = 0; i < rest.length; ) {
      const batch: string[] = [];
      let len = 0;
      while (i < rest.length && len < 64 * 1024) {
        const p = (rest[i] as TreeEntry).path;
        batch.push(`./${p}`);
        len += p.length + 8;
        i++;
      }
      const r = await this.conn.exec(`cd ${shPath(this.root)} && sha256sum -z -- ${shJoin(batch)}`, { signal }).catch(() => undefined);
      if (!r || r.code !== 0) break;
      for (const rec of r.stdout.toString('utf8').split('\0')) {
        const m = /^([0-9a-f]{64}) [ *]\.\/(.*)$/s.exec(rec);
        if (m && m[1] && m[2] !== undefined) out.set(m[2], m[1]);
      }
    }
    return out;
  }

  async readManifest(signal?: AbortSignal): Promise<Manifest | undefined> {
    let buf: Buffer;
    try {
      buf = await this.rfs.readFile(this.rpath(MANIFEST_NAME), signal);
    } catch (err) {
      // No manifest, or an unreadable one: the sync just has no hashes to reuse.
      if (err instanceof ConnectionLostError) throw err;
      return undefined;
    }
    // A manifest naming a path outside the root is refused (decodeManifest throws).
    return decodeManifest(buf.toString('utf8'), `${this.label}/${MANIFEST_NAME}`);
  }

  async writeManifest(entries: TreeEntry[], signal?: AbortSignal): Promise<void> {
    await this.rfs.writeFileAtomic(this.rpath(MANIFEST_NAME), encodeManifest(entries), 0o644, signal);
  }

  async cleanStaging(keep: Set<string>, signal?: AbortSignal): Promise<void> {
    const dir = this.stagingPath('');
    let list;
    try {
      list = await this.rfs.readdir(dir, signal);
    } catch (err) {
      if (isNoSuchFile(err)) return;
      throw err;
    }
    const rmTree = async (p: string, isDir: boolean): Promise<void> => {
      if (!isDir) return this.rfs.unlink(p, signal).catch(() => undefined);
      const kids = await this.rfs.readdir(p, signal).catch(() => []);
      await Promise.all(kids.map((k) => rmTree(`${p}/${k.name}`, k.type === 'dir')));
      await this.rfs.rmdir(p, signal).catch(() => undefined);
    };
    await Promise.all(list.filter((e) => !keep.has(e.name)).map((e) => rmTree(path.posix.join(dir, e.name), e.type === 'dir')));
    if (keep.size === 0) await this.rfs.rmdir(dir, signal).catch(() => undefined);
  }
}

export function sideOf(e: Endpoint): Side {
  return typeof e === 'string' ? new LocalSide(e) : new RemoteSide(e.conn, e.path);
}

export { isNoSuchFile };
