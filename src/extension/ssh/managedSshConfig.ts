/**
 * The Ferry-managed ssh config file (default ~/.ssh/ferry_config): one `Host ferry-...` block
 * per machine a job ran on, so `ssh ferry-<name>` and Remote-SSH reach it. The user's own
 * ~/.ssh/config is never written; it only needs `Include ~/.ssh/ferry_config` (OpenSSH reads
 * an Include before its own Host blocks when placed at the top). No `vscode` here.
 */
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { AttemptRecord, JobRecord } from '../../core/jobs/types';
import type { ResolvedHost } from '../../core/remote/sshConfig';
import { UserError } from '../../core/util/errors';

export interface SshHostEntry {
  /** The Host alias written (`ferry-gpu-box`). */
  name: string;
  hostName: string;
  port?: number;
  user?: string;
  identityFile?: string;
  proxyJump?: string;
}

export function defaultManagedConfigPath(home = os.homedir()): string {
  return path.join(home, '.ssh', 'ferry_config');
}

/** A Host alias from any text: `ferry-` and [A-Za-z0-9._-] only. */
export function managedAlias(text: string): string {
  const clean = text.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '');
  return `ferry-${clean || 'host'}`;
}

/** ssh config values may not hold line breaks; paths with spaces are quoted. */
function value(v: string, what: string): string {
  if (/[\r\n\0]/.test(v) || v.trim() === '') throw new UserError(`cannot write ${what} "${v}" into an ssh config`);
  return /\s|"/.test(v) ? `"${v.replace(/"/g, '')}"` : v;
}

export function formatHostEntry(e: SshHostEntry): string {
  const lines = [`# ferry:begin ${e.name}`, `Host ${value(e.name, 'Host')}`, `  HostName ${value(e.hostName, 'HostName')}`];
  if (e.port !== undefined && e.port !== 22) lines.push(`  Port ${e.port}`);
  if (e.user) lines.push(`  User ${value(e.user, 'User')}`);
  if (e.identityFile) lines.push(`  IdentityFile ${value(e.identityFile, 'IdentityFile')}`, '  IdentitiesOnly yes');
  if (e.proxyJump) lines.push(`  ProxyJump ${value(e.proxyJump, 'ProxyJump')}`);
  lines.push(`# ferry:end ${e.name}`);
  return lines.join('\n');
}

/** Replaces the entry's block (between its markers) or appends it. */
export function upsertHostEntry(text: string, e: SshHostEntry): string {
  const block = formatHostEntry(e);
  const begin = `# ferry:begin ${e.name}`;
  const end = `# ferry:end ${e.name}`;
  const lines = text.split('\n');
  const b = lines.indexOf(begin);
  const en = b >= 0 ? lines.indexOf(end, b) : -1;
  if (b >= 0 && en > b) {
    lines.splice(b, en - b + 1, ...block.split('\n'));
    return lines.join('\n');
  }
  const header = text.trim() === '' ? '# Managed by Ferry (VS Code extension and CLI). Include it from ~/.ssh/config:\n#   Include ~/.ssh/ferry_config\n\n' : '';
  const body = text.trim() === '' ? '' : `${text.replace(/\n*$/, '')}\n\n`;
  return `${header}${body}${block}\n`;
}

export async function writeManagedEntry(file: string, e: SshHostEntry): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const text = await fs.readFile(file, 'utf8').catch(() => '');
  const next = upsertHostEntry(text, e);
  const tmp = `${file}.${process.pid}.tmp`;
  await fs.writeFile(tmp, next, { mode: 0o600 });
  await fs.rename(tmp, file);
}

/** `Include ~/.ssh/ferry_config` (with `~` where the file is under the home folder). */
export function includeLine(file: string, home = os.homedir()): string {
  const rel = path.relative(home, file);
  const shown = !rel.startsWith('..') && !path.isAbsolute(rel) ? `~/${rel.split(path.sep).join('/')}` : file;
  return `Include ${/\s/.test(shown) ? `"${shown}"` : shown}`;
}

/** Whether an ssh config's text already includes the managed file (by any spelling of its path). */
export function configIncludes(sshConfigText: string, file: string, home = os.homedir()): boolean {
  for (const raw of sshConfigText.split('\n')) {
    const m = /^\s*Include\s+(.+?)\s*$/i.exec(raw);
    if (!m?.[1]) continue;
    for (const word of m[1].split(/\s+/)) {
      const w = word.replace(/^"|"$/g, '');
      const abs = w.startsWith('~/') ? path.join(home, w.slice(2)) : path.isAbsolute(w) ? w : path.join(home, '.ssh', w);
      if (path.resolve(abs) === path.resolve(file)) return true;
      if (/[*?]/.test(abs) && globToRegExp(path.resolve(abs)).test(path.resolve(file))) return true;
    }
  }
  return false;
}

/** An ssh_config glob (`*`, `?`) over one path, as a RegExp. */
function globToRegExp(glob: string): RegExp {
  const body = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]');
  return new RegExp(`^${body}$`);
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/**
 * The remote folder a job's attempt runs in, when its target recorded one: the SSH target (and
 * the cloud target over it) records `runAbs`, the run folder, whose `work/` holds the code.
 */
export function remoteFolder(attempt: AttemptRecord | undefined): string | undefined {
  const h = attempt?.handle;
  const run = str(h?.runAbs);
  if (run) return `${run.replace(/\/+$/, '')}/work`;
  return str(h?.runDir) ?? str(h?.workdir) ?? str(h?.work) ?? str(h?.dir);
}

/** How to reach a job's machine with OpenSSH, from its attempt's handle. */
export type SshReach =
  /** An `ssh:<alias>` job: the alias in the user's ssh config. */
  | { kind: 'alias'; alias: string }
  /** A cloud job: the per-instance config file the cloud target wrote, and its Host alias. */
  | { kind: 'config'; configFile: string; alias: string }
  /** A cloud job without that file: a Host entry to write into the managed config. */
  | { kind: 'entry'; entry: SshHostEntry };

/** The alias of an `ssh:` job: the one its attempt recorded, else the target's. */
export function sshAliasOf(job: JobRecord): string | undefined {
  if (!job.target.startsWith('ssh:')) return undefined;
  const h = job.attempts[job.attempts.length - 1]?.handle;
  return str(h?.alias) ?? (job.target.slice(4) || undefined);
}

/**
 * What Open SSH Terminal connects with: the alias for an SSH host; for a cloud instance the
 * config the cloud target wrote (`sshConfig` + `sshAlias`) when it still exists, else an entry
 * built from host/port/user/identityFile. Undefined for a local job or one with no machine yet.
 */
export function sshReachForJob(job: JobRecord, exists: (file: string) => boolean): SshReach | undefined {
  if (job.target === 'local') return undefined;
  const alias = sshAliasOf(job);
  if (alias) return { kind: 'alias', alias };
  const h = job.attempts[job.attempts.length - 1]?.handle;
  const configFile = str(h?.sshConfig);
  const hostAlias = str(h?.sshAlias);
  if (configFile && hostAlias && exists(configFile)) return { kind: 'config', configFile, alias: hostAlias };
  const entry = hostEntryForJob(job, () => {
    throw new UserError('not an ssh: job');
  });
  return entry ? { kind: 'entry', entry } : undefined;
}

/**
 * The Host entry for the machine a job's current attempt runs on: an `ssh:<alias>` target is
 * resolved through the user's ssh config; a cloud instance through what its attempt recorded
 * (host, port, user). Undefined for a local job.
 */
export function hostEntryForJob(job: JobRecord, resolve: (alias: string) => ResolvedHost): SshHostEntry | undefined {
  const attempt = job.attempts[job.attempts.length - 1];
  if (job.target === 'local') return undefined;
  if (job.target.startsWith('ssh:')) {
    const alias = sshAliasOf(job) ?? job.target.slice(4);
    const h = resolve(alias);
    const jump = h.jump ? `${h.jump.user}@${h.jump.hostname}${h.jump.port !== 22 ? `:${h.jump.port}` : ''}` : undefined;
    return {
      name: managedAlias(alias),
      hostName: h.hostname,
      port: h.port,
      user: h.user,
      ...(h.identityFilesExplicit && h.identityFiles[0] ? { identityFile: h.identityFiles[0] } : {}),
      ...(jump ? { proxyJump: jump } : {}),
    };
  }
  const hd = attempt?.handle;
  const host = str(hd?.host) ?? str(hd?.hostname) ?? str(hd?.ip);
  if (!host) return undefined;
  const port = typeof hd?.port === 'number' ? hd.port : undefined;
  const user = str(hd?.user) ?? 'root';
  const identityFile = str(hd?.identityFile);
  return { name: managedAlias(`${job.name}-${job.id.slice(-6)}`), hostName: host, ...(port ? { port } : {}), user, ...(identityFile ? { identityFile } : {}) };
}
