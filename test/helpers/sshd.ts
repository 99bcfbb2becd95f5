/**
 * Test harness: a real OpenSSH `sshd` on 127.0.0.1 with a temp config, host key and
 * authorized_keys, plus client keys, an ssh config (`Host testbox`) and a known_hosts for it.
 * Nothing leaves loopback. Needs no root beyond what the caller has: when run as root, sshd
 * insists on its privilege-separation folder, which is created if missing.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

export const SSHD_BIN = process.env.FERRY_TEST_SSHD ?? '/usr/sbin/sshd';

export interface StartSshdOptions {
  /** Login user (default: the current user; only existing users can log in). */
  user?: string;
  /** Alias written in the ssh config (default `testbox`). */
  alias?: string;
  /** Listen on this port (default: a free one). */
  port?: number;
  /** Extra public keys (authorized_keys lines) accepted for the user. */
  authorizedKeys?: string[];
  /** Extra sshd_config lines. */
  sshdConfig?: string[];
}

export interface Sshd {
  host: string;
  port: number;
  user: string;
  alias: string;
  /** Folder holding every file of this instance (removed by stop()). */
  dir: string;
  /** ssh config with `Host <alias>` (HostName, Port, User, IdentityFile, IdentitiesOnly). */
  configPath: string;
  /** known_hosts holding the host key as `[127.0.0.1]:port`. */
  knownHostsPath: string;
  /** Unencrypted ed25519 client key. */
  keyPath: string;
  /** ed25519 client key encrypted with `passphrase`. */
  encryptedKeyPath: string;
  passphrase: string;
  /** `ssh-ed25519 AAAA...` of the server's current host key. */
  hostKeyPub: string;
  /** The pid of the listening sshd. */
  pid(): number;
  /** The `Host` block for this server, to compose configs (ProxyJump tests). */
  configBlock(alias?: string, extra?: string[]): string;
  /** argv prefix for the system ssh/rsync with this server's config and known_hosts. */
  sshArgs(): string[];
  /** Kills every per-connection sshd child: all sessions drop, the listener stays. */
  killConnections(): Promise<number>;
  /** Restarts on the same port with a NEW host key; known_hosts keeps the old one. */
  rotateHostKey(): Promise<void>;
  /** What sshd wrote to stderr (for failing tests). */
  log(): string;
  stop(): Promise<void>;
}

function run(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr || r.error?.message}`);
  return r.stdout;
}

function keygen(file: string, passphrase = ''): string {
  run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', passphrase, '-C', path.basename(file), '-f', file]);
  return readFileSync(`${file}.pub`, 'utf8').trim();
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** Resolves once the port answers with an SSH banner. */
async function waitForBanner(port: number, child: ChildProcess, log: () => string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`sshd exited with ${child.exitCode}: ${log()}`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      const done = (v: boolean): void => {
        s.destroy();
        resolve(v);
      };
      s.setTimeout(1000, () => done(false));
      s.once('data', (d) => done(d.toString('latin1').startsWith('SSH-')));
      s.once('error', () => done(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`sshd did not answer on port ${port}: ${log()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Processes on this machine from /proc (no `ps` needed): pid, ppid, pgid and argv. */
export function processes(): { pid: number; ppid: number; pgid: number; args: string }[] {
  const out: { pid: number; ppid: number; pgid: number; args: string }[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      // Fields after the parenthesised command: state ppid pgrp ...
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const args = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0').join(' ').trim();
      out.push({ pid: Number(name), ppid: Number(f[1]), pgid: Number(f[2]), args });
    } catch {
      // gone while we looked
    }
  }
  return out;
}

/** Waits until no process mentions `text` in its argv (job leftovers); returns what remains. */
export async function processesMentioning(text: string, waitMs = 8000): Promise<string[]> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const left = processes().filter((p) => p.args.includes(text) && p.pid !== process.pid);
    if (left.length === 0 || Date.now() > deadline) return left.map((p) => `${p.pid} ${p.args}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function childPids(pid: number): number[] {
  return processes()
    .filter((p) => p.ppid === pid)
    .map((p) => p.pid);
}

export async function startSshd(opts: StartSshdOptions = {}): Promise<Sshd> {
  if (!existsSync(SSHD_BIN)) throw new Error(`no sshd at ${SSHD_BIN} (apt-get install openssh-server)`);
  if (process.getuid?.() === 0 && !existsSync('/run/sshd')) mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ferry-sshd-'));
  const user = opts.user ?? os.userInfo().username;
  const alias = opts.alias ?? 'testbox';
  const host = '127.0.0.1';
  const port = opts.port ?? (await freePort());
  const hostKeyFile = path.join(dir, 'host_ed25519');
  let hostKeyPub = keygen(hostKeyFile);
  const keyPath = path.join(dir, 'id_ed25519');
  const encryptedKeyPath = path.join(dir, 'id_ed25519_enc');
  const passphrase = "correct horse 'battery' staple";
  const pubs = [keygen(keyPath), keygen(encryptedKeyPath, passphrase), ...(opts.authorizedKeys ?? [])];
  writeFileSync(path.join(dir, 'authorized_keys'), `${pubs.join('\n')}\n`, { mode: 0o600 });
  const sshdConfig = path.join(dir, 'sshd_config');
  writeFileSync(
    sshdConfig,
    [
      `Port ${port}`,
      `ListenAddress ${host}`,
      `HostKey ${hostKeyFile}`,
      `PidFile ${path.join(dir, 'sshd.pid')}`,
      `AuthorizedKeysFile ${path.join(dir, 'authorized_keys')}`,
      'StrictModes no',
      'PermitRootLogin yes',
      'UsePAM no',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'PubkeyAuthentication yes',
      'AllowTcpForwarding yes',
      'PermitTTY no',
      'PrintMotd no',
      'MaxStartups 100:30:200',
      'MaxSessions 100',
      'Subsystem sftp internal-sftp',
      'LogLevel ERROR',
      ...(opts.sshdConfig ?? []),
      '',
    ].join('\n'),
  );
  const configBlock = (a = alias, extra: string[] = []): string =>
    [`Host ${a}`, `  HostName ${host}`, `  Port ${port}`, `  User ${user}`, `  IdentityFile ${keyPath}`, '  IdentitiesOnly yes', ...extra.map((l) => `  ${l}`), ''].join('\n');
  const configPath = path.join(dir, 'ssh_config');
  writeFileSync(configPath, configBlock());
  const knownHostsPath = path.join(dir, 'known_hosts');
  writeFileSync(knownHostsPath, `[${host}]:${port} ${hostKeyPub}\n`);

  let child: ChildProcess;
  let stderr = '';
  const launch = async (): Promise<void> => {
    stderr = '';
    child = spawn(SSHD_BIN, ['-D', '-e', '-f', sshdConfig], { stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr?.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    await waitForBanner(port, child, () => stderr);
  };
  const kill = async (): Promise<void> => {
    const c = child;
    if (c.exitCode !== null || c.signalCode !== null) return;
    const pid = c.pid;
    const gone = new Promise<void>((r) => c.once('exit', () => r()));
    // Sessions first, so no per-connection sshd outlives the test.
    if (pid) for (const p of childPids(pid)) safeKill(p, 'SIGKILL');
    c.kill('SIGTERM');
    await Promise.race([gone, new Promise((r) => setTimeout(r, 3000))]);
    if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  };
  await launch();

  return {
    host,
    port,
    user,
    alias,
    dir,
    configPath,
    knownHostsPath,
    keyPath,
    encryptedKeyPath,
    passphrase,
    get hostKeyPub() {
      return hostKeyPub;
    },
    pid: () => child.pid ?? 0,
    configBlock,
    sshArgs: () => ['-F', configPath, '-o', `UserKnownHostsFile=${knownHostsPath}`, '-o', 'StrictHostKeyChecking=yes', '-o', 'BatchMode=yes'],
    async killConnections() {
      const pids = child.pid ? childPids(child.pid) : [];
      for (const p of pids) safeKill(p, 'SIGKILL');
      return pids.length;
    },
    async rotateHostKey() {
      await kill();
      rmSync(hostKeyFile, { force: true });
      rmSync(`${hostKeyFile}.pub`, { force: true });
      hostKeyPub = keygen(hostKeyFile);
      await launch();
    },
    log: () => stderr,
    async stop() {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function safeKill(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

/** Hashes a known_hosts file in place the way OpenSSH does (`ssh-keygen -H`). */
export function hashKnownHosts(file: string): void {
  run('ssh-keygen', ['-q', '-H', '-f', file]);
  rmSync(`${file}.old`, { force: true });
}

/** Starts an ssh-agent; returns its socket and a stop(). Undefined when none is installed. */
export async function startAgent(): Promise<{ sock: string; add(key: string): void; stop(): void } | undefined> {
  const which = spawnSync('sh', ['-c', 'command -v ssh-agent'], { encoding: 'utf8' });
  if (which.status !== 0) return undefined;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ferry-agent-'));
  const sock = path.join(dir, 'agent.sock');
  // -D keeps it in the foreground as our child, so stop() kills exactly this one.
  const child = spawn('ssh-agent', ['-D', '-a', sock], { stdio: 'ignore' });
  for (let i = 0; i < 100 && !existsSync(sock); i++) await new Promise((r) => setTimeout(r, 20));
  return {
    sock,
    add(key: string) {
      const r = spawnSync('ssh-add', ['-q', key], { env: { ...process.env, SSH_AUTH_SOCK: sock }, encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`ssh-add failed: ${r.stderr}`);
    },
    stop() {
      child.kill('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
