/**
 * Resolves a host alias the way OpenSSH would, from the user's ssh config (FERRY_SSH_CONFIG,
 * default ~/.ssh/config), with the maintained `ssh-config` parser: Host aliases and patterns,
 * HostName (with %h), User, Port, IdentityFile (~ and % tokens expanded), IdentitiesOnly,
 * IdentityAgent, HostKeyAlias, ConnectTimeout, ServerAliveInterval and ProxyJump (one or more
 * hops, each resolved through the config again, as `ssh -J` does).
 */
import { readdirSync, readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import SSHConfig from 'ssh-config';
import { UserError } from '../util/errors';

export interface ResolvedHost {
  /** What the caller asked for (`gpu-box`, `alice@gpu-box`, `host:2222`). */
  alias: string;
  hostname: string;
  port: number;
  user: string;
  /** Absolute paths, in the order to try. */
  identityFiles: string[];
  /** True when the config named identity files (else the OpenSSH defaults are listed). */
  identityFilesExplicit: boolean;
  identitiesOnly: boolean;
  /** Agent socket from IdentityAgent (`none` disables the agent); else SSH_AUTH_SOCK is used. */
  identityAgent?: string;
  /** Name looked up in known_hosts (HostKeyAlias, else hostname). */
  hostKeyAlias?: string;
  connectTimeoutS?: number;
  serverAliveIntervalS?: number;
  serverAliveCountMax?: number;
  /** The hop this host is reached through (itself possibly behind another hop). */
  jump?: ResolvedHost;
}

export interface ResolveOptions {
  /** ssh config file; default FERRY_SSH_CONFIG, then ~/.ssh/config. A missing file is empty. */
  configPath?: string;
  env?: NodeJS.ProcessEnv;
}

const MAX_HOPS = 8;

export function defaultSshConfigPath(env: NodeJS.ProcessEnv = process.env): string {
  return env.FERRY_SSH_CONFIG || path.join(os.homedir(), '.ssh', 'config');
}

/** Splits `[user@]host[:port]` (and `[v6]:port`); an alias never contains `@` or `:` itself. */
export function parseDestination(dest: string): { user?: string; host: string; port?: number } {
  let rest = dest;
  let user: string | undefined;
  const at = rest.lastIndexOf('@');
  if (at >= 0) {
    user = rest.slice(0, at);
    rest = rest.slice(at + 1);
  }
  let port: number | undefined;
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(rest);
  if (v6) {
    rest = v6[1] ?? '';
    if (v6[2]) port = Number(v6[2]);
  } else {
    const m = /^([^:]+):(\d+)$/.exec(rest);
    if (m) {
      rest = m[1] ?? '';
      port = Number(m[2]);
    }
  }
  if (!rest) throw new UserError(`"${dest}" is not a host (expected [user@]host[:port] or an ssh config alias)`);
  if (port !== undefined && !(port > 0 && port < 65536)) throw new UserError(`"${dest}": port out of range`);
  return { user, host: rest, port };
}

function first(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

function all(v: string | string[] | undefined): string[] {
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

function yes(v: string | undefined): boolean {
  return v !== undefined && /^(yes|true)$/i.test(v);
}

function num(v: string | undefined, what: string, alias: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new UserError(`ssh config for "${alias}": ${what} "${v}" is not a number`);
  return n;
}

/** Expands `~` and the % tokens OpenSSH allows in IdentityFile and IdentityAgent. */
function expandPath(p: string, t: { host: string; alias: string; user: string; port: number }): string {
  const home = os.homedir();
  let s = p.replace(/%(.)/g, (m, c: string) => {
    switch (c) {
      case '%':
        return '%';
      case 'd':
        return home;
      case 'h':
        return t.host;
      case 'n':
        return t.alias;
      case 'r':
        return t.user;
      case 'u':
        return os.userInfo().username;
      case 'p':
        return String(t.port);
      case 'l':
        return os.hostname();
      default:
        return m;
    }
  });
  if (s === '~') s = home;
  else if (s.startsWith('~/')) s = path.join(home, s.slice(2));
  return s;
}

/**
 * Inlines `Include` files (the parser keeps the directive but does not follow it). Relative
 * paths are under ~/.ssh, as OpenSSH reads them; `*` and `?` glob the file name part.
 */
function inlineIncludes(text: string, depth = 0): string {
  if (depth > 16) throw new UserError('ssh config: Include nested more than 16 levels (a loop?)');
  return text.replace(/^[ \t]*Include[ \t=]+(.+)$/gim, (_m, args: string) => {
    const out: string[] = [];
    for (const raw of args.match(/"[^"]*"|\S+/g) ?? []) {
      let p = raw.replace(/^"|"$/g, '');
      if (p.startsWith('~/')) p = path.join(os.homedir(), p.slice(2));
      else if (!path.isAbsolute(p)) p = path.join(os.homedir(), '.ssh', p);
      const dir = path.dirname(p);
      const base = path.basename(p);
      let files = [p];
      if (/[*?]/.test(base)) {
        const re = new RegExp(`^${base.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
        try {
          files = readdirSync(dir).filter((n) => re.test(n)).sort().map((n) => path.join(dir, n));
        } catch {
          files = [];
        }
      }
      for (const f of files) {
        try {
          out.push(inlineIncludes(readFileSync(f, 'utf8'), depth + 1));
        } catch {
          // A missing include is not an error for OpenSSH either.
        }
      }
    }
    return out.join('\n');
  });
}

let cache: { key: string; config: SSHConfig } | undefined;

function loadConfig(file: string): SSHConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return SSHConfig.parse('');
    throw new UserError(`cannot read ssh config ${file}: ${(err as Error).message}`);
  }
  // Re-parsed when the text changes; the config is read on every connect, so keep it cheap.
  const key = `${file}\0${text}`;
  if (cache && cache.key === key) return cache.config;
  const config = SSHConfig.parse(inlineIncludes(text));
  cache = { key, config };
  return config;
}

/**
 * Resolves `alias` (an ssh config Host alias, or `[user@]host[:port]`) to connection
 * parameters. Never runs `Match exec` commands: a config must not execute code in Ferry.
 */
export function resolveHost(alias: string, opts: ResolveOptions = {}): ResolvedHost {
  const configPath = opts.configPath ?? defaultSshConfigPath(opts.env);
  const config = loadConfig(configPath);
  return resolveWith(config, alias, configPath, 0);
}

function resolveWith(config: SSHConfig, alias: string, configPath: string, depth: number, jumpOverride?: ResolvedHost | null): ResolvedHost {
  if (depth > MAX_HOPS) throw new UserError(`ssh config ${configPath}: ProxyJump chain for "${alias}" is longer than ${MAX_HOPS} hops (a loop?)`);
  const dest = parseDestination(alias);
  const c = config.compute(dest.host, { ignoreCase: true, matchExec: false });
  const hostname = (first(c.hostname) ?? dest.host).replace(/%h/g, dest.host).replace(/%%/g, '%');
  const user = dest.user ?? first(c.user) ?? os.userInfo().username;
  const port = dest.port ?? num(first(c.port), 'Port', alias) ?? 22;
  const tokens = { host: hostname, alias: dest.host, user, port };
  const explicit = all(c.identityfile).filter((f) => f.toLowerCase() !== 'none');
  const identityFiles = (explicit.length > 0 ? explicit : ['~/.ssh/id_ed25519', '~/.ssh/id_ecdsa', '~/.ssh/id_rsa']).map((f) => expandPath(f, tokens));
  const agent = first(c.identityagent);
  const resolved: ResolvedHost = {
    alias,
    hostname,
    port,
    user,
    identityFiles,
    identityFilesExplicit: explicit.length > 0,
    identitiesOnly: yes(first(c.identitiesonly)),
    identityAgent: agent === undefined ? undefined : agent === 'SSH_AUTH_SOCK' ? undefined : agent === 'none' ? 'none' : expandPath(agent, tokens),
    hostKeyAlias: first(c.hostkeyalias),
    connectTimeoutS: num(first(c.connecttimeout), 'ConnectTimeout', alias),
    serverAliveIntervalS: num(first(c.serveraliveinterval), 'ServerAliveInterval', alias),
    serverAliveCountMax: num(first(c.serveralivecountmax), 'ServerAliveCountMax', alias),
  };
  if (jumpOverride !== undefined) {
    if (jumpOverride) resolved.jump = jumpOverride;
    return resolved;
  }
  const pj = first(c.proxyjump);
  if (pj && pj.toLowerCase() !== 'none') {
    // `ProxyJump a,b`: reach a (through its own config), then b through a, then the target.
    let prev: ResolvedHost | undefined;
    for (const hop of pj.split(',').map((s) => s.trim()).filter(Boolean)) {
      prev = prev ? resolveWith(config, hop, configPath, depth + 1, prev) : resolveWith(config, hop, configPath, depth + 1);
    }
    if (prev) resolved.jump = prev;
  }
  if (first(c.proxycommand) && !resolved.jump) {
    throw new UserError(`ssh config for "${alias}" uses ProxyCommand, which Ferry does not run`, { hint: 'use ProxyJump instead' });
  }
  return resolved;
}

/** `user@host:port` via `jump` for messages. */
export function describeHost(h: ResolvedHost): string {
  const base = `${h.user}@${h.hostname}${h.port === 22 ? '' : `:${h.port}`}`;
  return h.jump ? `${base} via ${describeHost(h.jump)}` : base;
}
