/**
 * known_hosts, as OpenSSH reads and writes it: `[marker] patterns keytype base64 [comment]`,
 * patterns as comma lists with `*`/`?` wildcards and `!` negation, `[host]:port` for ports
 * other than 22, and hashed `|1|salt|hmac-sha1` entries (HashKnownHosts).
 */
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export function defaultKnownHostsPath(env: NodeJS.ProcessEnv = process.env): string {
  return env.FERRY_KNOWN_HOSTS || path.join(os.homedir(), '.ssh', 'known_hosts');
}

/** The name a host is stored under: `host` on port 22, `[host]:port` otherwise. */
export function knownHostsName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

/** The key type written inside an SSH public key blob (`ssh-ed25519`, `ecdsa-sha2-nistp256`). */
export function keyBlobType(blob: Buffer): string {
  if (blob.length < 4) return 'unknown';
  const len = blob.readUInt32BE(0);
  return blob.subarray(4, 4 + len).toString('latin1');
}

/** `SHA256:...` as `ssh-keygen -l` prints it (base64, no padding). */
export function fingerprint(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

export interface KnownHostEntry {
  line: number; // 1-based
  marker?: '@revoked' | '@cert-authority';
  patterns: string;
  keyType: string;
  key: Buffer;
}

export type HostKeyVerdict =
  | { status: 'known'; entry: KnownHostEntry }
  | { status: 'unknown' }
  | { status: 'changed'; entry: KnownHostEntry }
  | { status: 'revoked'; entry: KnownHostEntry };

export function parseKnownHosts(text: string): KnownHostEntry[] {
  const out: KnownHostEntry[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = (lines[i] ?? '').trim();
    if (!raw || raw.startsWith('#')) continue;
    const f = raw.split(/\s+/);
    let marker: KnownHostEntry['marker'];
    if (f[0] === '@revoked' || f[0] === '@cert-authority') marker = f.shift() as KnownHostEntry['marker'];
    const [patterns, keyType, b64] = f;
    if (!patterns || !keyType || !b64) continue;
    out.push({ line: i + 1, marker, patterns, keyType, key: Buffer.from(b64, 'base64') });
  }
  return out;
}

function globToRegExp(glob: string): RegExp {
  const re = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${re}$`, 'i');
}

function hashedMatch(pattern: string, name: string): boolean {
  const m = /^\|1\|([^|]+)\|([^|]+)$/.exec(pattern);
  if (!m) return false;
  const salt = Buffer.from(m[1] ?? '', 'base64');
  const want = Buffer.from(m[2] ?? '', 'base64');
  const got = createHmac('sha1', salt).update(name).digest();
  return got.length === want.length && got.equals(want);
}

/** True when `name` matches the entry's pattern list (a negated match vetoes the line). */
export function patternsMatch(patterns: string, name: string): boolean {
  if (patterns.startsWith('|')) return hashedMatch(patterns, name);
  let hit = false;
  for (const p of patterns.split(',')) {
    if (p.startsWith('!')) {
      if (globToRegExp(p.slice(1)).test(name)) return false;
    } else if (globToRegExp(p).test(name)) hit = true;
  }
  return hit;
}

/**
 * Judges a presented host key. A key of a type the file also knows for the host, but with
 * other bytes, is `changed`. A key of a type the file does not know while it knows others
 * is also `changed`: accepting it would let an attacker pick a type we have not pinned.
 */
export function checkHostKey(entries: KnownHostEntry[], name: string, blob: Buffer): HostKeyVerdict {
  const type = keyBlobType(blob);
  const mine = entries.filter((e) => e.marker !== '@cert-authority' && patternsMatch(e.patterns, name));
  const revoked = mine.find((e) => e.marker === '@revoked' && e.key.equals(blob));
  if (revoked) return { status: 'revoked', entry: revoked };
  const plain = mine.filter((e) => e.marker === undefined);
  const same = plain.find((e) => e.key.equals(blob));
  if (same) return { status: 'known', entry: same };
  const sameType = plain.find((e) => e.keyType === type);
  if (sameType) return { status: 'changed', entry: sameType };
  if (plain[0]) return { status: 'changed', entry: plain[0] };
  return { status: 'unknown' };
}

/** Key types the file pins for this host, to ask the server for those first. */
export function knownKeyTypes(entries: KnownHostEntry[], name: string): string[] {
  return [...new Set(entries.filter((e) => e.marker === undefined && patternsMatch(e.patterns, name)).map((e) => e.keyType))];
}

export async function readKnownHosts(file: string): Promise<KnownHostEntry[]> {
  const text = await fs.readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return '';
    throw err;
  });
  return parseKnownHosts(text);
}

export function formatKnownHostsLine(name: string, blob: Buffer, hashed = false): string {
  let pat = name;
  if (hashed) {
    const salt = randomBytes(20);
    pat = `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update(name).digest('base64')}`;
  }
  return `${pat} ${keyBlobType(blob)} ${blob.toString('base64')}`;
}

/** Appends an accepted key, creating the file (and ~/.ssh) with OpenSSH's modes. */
export async function appendKnownHost(file: string, name: string, blob: Buffer, hashed = false): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const cur = await fs.readFile(file, 'utf8').catch(() => '');
  const sep = cur.length > 0 && !cur.endsWith('\n') ? '\n' : '';
  await fs.appendFile(file, `${sep}${formatKnownHostsLine(name, blob, hashed)}\n`, { mode: 0o600 });
}
