/**
 * Promise wrappers over the connection's shared SFTP session. Remote paths may be absolute,
 * relative to the remote home, or start with `~/` (SFTP has no `~`; it starts in the home).
 * A request that dies with the connection becomes a ConnectionLostError so idempotent callers
 * can retry after the reconnect.
 */
import { promises as fsp } from 'node:fs';
import type { Stats, SFTPWrapper } from 'ssh2';
import { CancelledError, InfraError, throwIfAborted } from '../util/errors';
import { ConnectionLostError, type SshConnection } from './connection';

/** SFTP status codes (draft-ietf-secsh-filexfer-02). */
const SFTP_EOF = 1;
const SFTP_NO_SUCH_FILE = 2;

export interface RemoteStat {
  size: number;
  /** Seconds (SFTP v3 carries whole seconds). */
  mtime: number;
  /** Permission bits only. */
  mode: number;
  type: 'file' | 'dir' | 'symlink' | 'other';
}

export interface RemoteDirent extends RemoteStat {
  name: string;
}

/** `~/x` -> `x`: SFTP paths are relative to the home folder already. */
export function sftpPath(p: string): string {
  if (p === '~' || p === '~/') return '.';
  if (p.startsWith('~/')) return p.slice(2);
  return p;
}

function typeOf(mode: number): RemoteStat['type'] {
  const t = mode & 0o170000;
  return t === 0o100000 ? 'file' : t === 0o040000 ? 'dir' : t === 0o120000 ? 'symlink' : 'other';
}

export function toRemoteStat(a: Stats): RemoteStat {
  return { size: a.size, mtime: a.mtime, mode: a.mode & 0o7777, type: typeOf(a.mode) };
}

export function isNoSuchFile(err: unknown): boolean {
  return (err as { code?: unknown }).code === SFTP_NO_SUCH_FILE;
}

export class RemoteFs {
  constructor(readonly conn: SshConnection) {}

  /** Runs one SFTP request; maps a dropped link to ConnectionLostError. */
  async call<T>(what: string, fn: (s: SFTPWrapper, cb: (err: Error | null | undefined, v?: T) => void) => void, signal?: AbortSignal): Promise<T> {
    throwIfAborted(signal);
    const unhold = this.conn.hold();
    let s: SFTPWrapper;
    try {
      s = await this.conn.sftp(signal);
    } catch (err) {
      unhold();
      throw err;
    }
    return new Promise<T>((resolve, reject) => {
      const onAbort = (): void => {
        unhold();
        reject(new CancelledError());
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      fn(s, (err, v) => {
        unhold();
        signal?.removeEventListener('abort', onAbort);
        if (!err) return resolve(v as T);
        const code = (err as { code?: unknown }).code;
        if (typeof code === 'number') {
          const e = new InfraError(`${what} on ${this.conn.label}: ${err.message}`, { cause: err }) as InfraError & { code?: number };
          e.code = code;
          return reject(e);
        }
        reject(new ConnectionLostError(this.conn.label, err));
      });
    });
  }

  async lstat(p: string, signal?: AbortSignal): Promise<RemoteStat | undefined> {
    try {
      return toRemoteStat(await this.call<Stats>(`lstat ${p}`, (s, cb) => s.lstat(sftpPath(p), cb), signal));
    } catch (err) {
      if (isNoSuchFile(err)) return undefined;
      throw err;
    }
  }

  async readdir(p: string, signal?: AbortSignal): Promise<RemoteDirent[]> {
    const list = await this.call<{ filename: string; attrs: Stats }[]>(`readdir ${p}`, (s, cb) => s.readdir(sftpPath(p), cb), signal);
    return list.filter((e) => e.filename !== '.' && e.filename !== '..').map((e) => ({ name: e.filename, ...toRemoteStat(e.attrs) }));
  }

  readlink(p: string, signal?: AbortSignal): Promise<string> {
    return this.call<string>(`readlink ${p}`, (s, cb) => s.readlink(sftpPath(p), cb), signal);
  }

  realpath(p: string, signal?: AbortSignal): Promise<string> {
    return this.call<string>(`realpath ${p}`, (s, cb) => s.realpath(sftpPath(p), cb), signal);
  }

  /** Atomic replace (posix-rename@openssh.com); plain rename where the extension is missing. */
  async rename(from: string, to: string, signal?: AbortSignal): Promise<void> {
    const s = await this.conn.sftp(signal);
    // ssh2 types do not list the extension table; it is a plain object of names.
    const ext = (s as unknown as { _extensions?: Record<string, string> })._extensions ?? {};
    if (ext['posix-rename@openssh.com']) {
      await this.call<void>(`rename ${from}`, (ss, cb) => ss.ext_openssh_rename(sftpPath(from), sftpPath(to), cb), signal);
      return;
    }
    await this.unlink(to, signal).catch(() => undefined);
    await this.call<void>(`rename ${from}`, (ss, cb) => ss.rename(sftpPath(from), sftpPath(to), cb), signal);
  }

  async unlink(p: string, signal?: AbortSignal): Promise<void> {
    await this.call<void>(`unlink ${p}`, (s, cb) => s.unlink(sftpPath(p), cb), signal);
  }

  async rmdir(p: string, signal?: AbortSignal): Promise<void> {
    await this.call<void>(`rmdir ${p}`, (s, cb) => s.rmdir(sftpPath(p), cb), signal);
  }

  /** mkdir that tolerates an existing folder. */
  async mkdir(p: string, mode?: number, signal?: AbortSignal): Promise<void> {
    try {
      await this.call<void>(`mkdir ${p}`, (s, cb) => (mode === undefined ? s.mkdir(sftpPath(p), cb) : s.mkdir(sftpPath(p), { mode }, cb)), signal);
    } catch (err) {
      const st = await this.lstat(p, signal);
      if (st?.type !== 'dir') throw err;
    }
  }

  async chmod(p: string, mode: number, signal?: AbortSignal): Promise<void> {
    await this.call<void>(`chmod ${p}`, (s, cb) => s.chmod(sftpPath(p), mode, cb), signal);
  }

  async utimes(p: string, mtimeS: number, signal?: AbortSignal): Promise<void> {
    await this.call<void>(`utimes ${p}`, (s, cb) => s.utimes(sftpPath(p), mtimeS, mtimeS, cb), signal);
  }

  async setstat(p: string, attrs: { mode?: number; mtime?: number }, signal?: AbortSignal): Promise<void> {
    const a: { mode?: number; atime?: number; mtime?: number } = {};
    if (attrs.mode !== undefined) a.mode = attrs.mode;
    if (attrs.mtime !== undefined) {
      a.atime = attrs.mtime;
      a.mtime = attrs.mtime;
    }
    await this.call<void>(`setstat ${p}`, (s, cb) => s.setstat(sftpPath(p), a, cb), signal);
  }

  /** Creates a symlink at `linkPath` whose text is `target` (ssh2 fixes OpenSSH's swapped order). */
  async symlink(target: string, linkPath: string, signal?: AbortSignal): Promise<void> {
    await this.call<void>(`symlink ${linkPath}`, (s, cb) => s.symlink(target, sftpPath(linkPath), cb), signal);
  }

  async open(p: string, flags: 'r' | 'w' | 'r+' | 'a', mode?: number, signal?: AbortSignal): Promise<Buffer> {
    return this.call<Buffer>(`open ${p}`, (s, cb) => (mode === undefined ? s.open(sftpPath(p), flags, cb) : s.open(sftpPath(p), flags, { mode }, cb)), signal);
  }

  async close(handle: Buffer): Promise<void> {
    await this.call<void>('close', (s, cb) => s.close(handle, cb));
  }

  async write(handle: Buffer, data: Buffer, position: number, signal?: AbortSignal): Promise<void> {
    await this.call<void>('write', (s, cb) => s.write(handle, data, 0, data.length, position, cb), signal);
  }

  /**
   * Reads up to `length` bytes at `position`; fewer at end of file, empty past it. With `into`
   * (at least `length` long) the bytes land there and a view of it is returned.
   */
  async read(handle: Buffer, length: number, position: number, signal?: AbortSignal, into?: Buffer): Promise<Buffer> {
    const buf = into && into.length >= length ? into : Buffer.allocUnsafe(length);
    let got = 0;
    while (got < length) {
      let n: number;
      try {
        n = await this.call<number>('read', (s, cb) => s.read(handle, buf, got, length - got, position + got, (err, bytes) => cb(err, bytes)), signal);
      } catch (err) {
        if ((err as { code?: unknown }).code === SFTP_EOF) break;
        throw err;
      }
      if (n <= 0) break;
      got += n;
    }
    return buf.subarray(0, got);
  }

  async readFile(p: string, signal?: AbortSignal): Promise<Buffer> {
    const h = await this.open(p, 'r', undefined, signal);
    try {
      const parts: Buffer[] = [];
      let pos = 0;
      for (;;) {
        const b = await this.read(h, 256 * 1024, pos, signal);
        if (b.length === 0) break;
        parts.push(b);
        pos += b.length;
      }
      return Buffer.concat(parts);
    } finally {
      await this.close(h).catch(() => undefined);
    }
  }

  /** Bytes [offset, offset+max) of a file and its current size; a missing file reads as empty. */
  async readRange(p: string, offset: number, max: number, signal?: AbortSignal): Promise<{ data: Buffer; size: number }> {
    let h: Buffer;
    try {
      h = await this.open(p, 'r', undefined, signal);
    } catch (err) {
      if (isNoSuchFile(err)) return { data: Buffer.alloc(0), size: 0 };
      throw err;
    }
    try {
      const st = await this.call<Stats>('fstat', (s, cb) => s.fstat(h, cb), signal);
      const want = Math.max(0, Math.min(max, st.size - offset));
      const data = want > 0 ? await this.read(h, want, offset, signal) : Buffer.alloc(0);
      return { data, size: st.size };
    } finally {
      await this.close(h).catch(() => undefined);
    }
  }

  /**
   * Copies one local file to `remote` through a temp name in the same folder (parallel writes
   * at offsets), with the local mode and mtime, renamed into place when whole.
   */
  async uploadFile(local: string, remote: string, signal?: AbortSignal): Promise<void> {
    const fh = await fsp.open(local, 'r');
    const tmp = `${remote}.ferry-tmp-${process.pid}-${Date.now().toString(36)}`;
    try {
      const st = await fh.stat();
      const h = await this.open(tmp, 'w', 0o600, signal);
      try {
        const chunk = 64 * 1024;
        let next = 0;
        const worker = async (): Promise<void> => {
          while (next < st.size) {
            const pos = next;
            next += chunk;
            const buf = Buffer.allocUnsafe(Math.min(chunk, st.size - pos));
            const { bytesRead } = await fh.read(buf, 0, buf.length, pos);
            await this.write(h, buf.subarray(0, bytesRead), pos, signal);
          }
        };
        await Promise.all(Array.from({ length: 16 }, worker));
      } finally {
        await this.close(h).catch(() => undefined);
      }
      await this.setstat(tmp, { mode: st.mode & 0o7777, mtime: Math.floor(st.mtimeMs / 1000) }, signal);
      await this.rename(tmp, remote, signal);
    } catch (err) {
      await this.unlink(tmp).catch(() => undefined);
      throw err;
    } finally {
      await fh.close();
    }
  }

  /** Writes a whole file under a temp name in the same folder, then renames it into place. */
  async writeFileAtomic(p: string, data: Buffer | string, mode = 0o644, signal?: AbortSignal): Promise<void> {
    const buf = typeof data === 'string' ? Buffer.from(data) : data;
    const tmp = `${p}.ferry-tmp-${process.pid}-${Date.now().toString(36)}`;
    const h = await this.open(tmp, 'w', mode, signal);
    try {
      const chunk = 256 * 1024;
      const writes: Promise<void>[] = [];
      for (let pos = 0; pos < buf.length; pos += chunk) writes.push(this.write(h, buf.subarray(pos, pos + chunk), pos, signal));
      await Promise.all(writes);
    } finally {
      await this.close(h).catch(() => undefined);
    }
    try {
      await this.rename(tmp, p, signal);
    } catch (err) {
      await this.unlink(tmp).catch(() => undefined);
      throw err;
    }
  }
}
