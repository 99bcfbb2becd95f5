/**
 * One connection per host, shared by all work on it: sync, log tailing, checkpoint polling and
 * metrics reuse the same SSH session (multiplexed channels) instead of paying a handshake each.
 */
import { SshConnection, type ConnectOptions } from './connection';
import { resolveHost, type ResolveOptions } from './sshConfig';

export interface PoolOptions extends ConnectOptions, ResolveOptions {}

export class SshPool {
  private readonly conns = new Map<string, SshConnection>();
  constructor(private readonly opts: PoolOptions = {}) {}

  /** The shared connection for `alias` (resolved from the ssh config once, connected lazily). */
  get(alias: string, overrides: Partial<PoolOptions> = {}): SshConnection {
    const o = { ...this.opts, ...overrides };
    const key = `${alias}\0${o.configPath ?? ''}\0${o.knownHostsPath ?? ''}`;
    let c = this.conns.get(key);
    if (!c) {
      c = new SshConnection(resolveHost(alias, o), o);
      this.conns.set(key, c);
    }
    return c;
  }

  closeAll(): void {
    for (const c of this.conns.values()) c.close();
    this.conns.clear();
  }
}

let shared: SshPool | undefined;

/** The process-wide pool (the CLI closes it before exiting). */
export function sharedPool(): SshPool {
  return (shared ??= new SshPool());
}
