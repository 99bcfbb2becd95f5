/**
 * One SSH connection to one host, shared by all work on it (the pool hands the same instance to
 * every caller). It reconnects with backoff when the link drops, verifies host keys against
 * known_hosts (never accepting silently), authenticates with the agent and key files (asking
 * for passphrases through a callback), and caps concurrent channels under sshd's MaxSessions.
 * Every operation takes an AbortSignal.
 *
 * ssh2 is the only untyped-ish boundary in the engine; its types stay inside this folder.
 */
import { promises as fs } from 'node:fs';
import type { Readable, Writable } from 'node:stream';
import { Client, utils, type AnyAuthMethod, type AuthHandlerMiddleware, type ClientChannel, type ConnectConfig, type ParsedKey, type SFTPWrapper } from 'ssh2';
import { CancelledError, InfraError, errorMessage, throwIfAborted } from '../util/errors';
import { nullLogger, type Logger } from '../util/logger';
import { appendKnownHost, checkHostKey, defaultKnownHostsPath, fingerprint, keyBlobType, knownHostsName, knownKeyTypes, readKnownHosts } from './knownHosts';
import { describeHost, type ResolvedHost } from './sshConfig';

export interface HostKeyPrompt {
  /** The alias the user asked for. */
  alias: string;
  /** The known_hosts name (`host` or `[host]:port`). */
  host: string;
  keyType: string;
  fingerprint: string;
  knownHostsPath: string;
}

export interface ConnectOptions {
  /** known_hosts file (default FERRY_KNOWN_HOSTS, then ~/.ssh/known_hosts). */
  knownHostsPath?: string;
  /** Asked for an unknown host key; true appends it to known_hosts. Absent: refused. */
  confirmHostKey?: (prompt: HostKeyPrompt) => Promise<boolean>;
  /** Asked for an encrypted key's passphrase; undefined skips that key. */
  passphrase?: (keyPath: string) => Promise<string | undefined>;
  /** Agent socket; default the host's IdentityAgent, then SSH_AUTH_SOCK. null: no agent. */
  agentSocket?: string | null;
  logger?: Logger;
  /** Handshake timeout (prompts excluded). Default: ConnectTimeout, else 20 s. */
  readyTimeoutMs?: number;
  keepaliveIntervalMs?: number;
  keepaliveCountMax?: number;
  /** Most channels open at once (sshd's MaxSessions defaults to 10; sftp holds one). */
  maxChannels?: number;
  /** Reconnect attempts after the link was up once (first connects try twice). */
  reconnectAttempts?: number;
  env?: NodeJS.ProcessEnv;
}

export interface ExecOptions {
  signal?: AbortSignal;
  /** Written to the remote stdin, then closed. Without it stdin is closed at once. */
  stdin?: Buffer | string;
  /** Fails with an InfraError after this long (the remote command gets SIGKILL). */
  timeoutMs?: number;
}

export interface ExecResult {
  /** null when the remote command died of a signal. */
  code: number | null;
  signal?: string;
  stdout: Buffer;
  stderr: Buffer;
}

/** A running remote command with its streams. */
export interface RemoteProcess {
  stdin: Writable;
  stdout: Readable;
  stderr: Readable;
  /** Settles when the channel closes: the exit status, or a lost-connection InfraError. */
  done: Promise<{ code: number | null; signal?: string }>;
  /** Sends the signal (when the server supports it) and closes the channel. */
  kill(signal?: 'TERM' | 'KILL' | 'INT'): void;
}

/** Thrown when the connection died under an operation; safe operations retry on it. */
export class ConnectionLostError extends InfraError {
  constructor(host: string, cause?: unknown) {
    super(`connection to ${host} was lost`, { cause, hint: 'Ferry reconnects on the next operation; check the network if this repeats' });
    this.name = 'ConnectionLostError';
  }
}

const TRANSIENT = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'EAI_AGAIN', 'ECONNABORTED']);

// Parsed keys are cached for the life of the process so a passphrase is asked once.
const keyCache = new Map<string, ParsedKey>();

/** Host key algorithms, the types known_hosts pins for this host first. */
function hostKeyAlgorithms(knownTypes: string[]): string[] {
  const all = ['ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521', 'rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'];
  const first = knownTypes.flatMap((t) => (t === 'ssh-rsa' ? ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'] : [t]));
  return [...new Set([...first.filter((t) => all.includes(t)), ...all])];
}

class Semaphore {
  private active = 0;
  private waiters: (() => void)[] = [];
  constructor(private readonly max: number) {}
  async acquire(signal?: AbortSignal): Promise<() => void> {
    if (this.active >= this.max) {
      await new Promise<void>((resolve, reject) => {
        const go = (): void => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        };
        const onAbort = (): void => {
          this.waiters = this.waiters.filter((w) => w !== go);
          reject(new CancelledError());
        };
        this.waiters.push(go);
        signal?.addEventListener('abort', onAbort, { once: true });
      });
    }
    this.active++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.active--;
      this.waiters.shift()?.();
    };
  }
}

function abortable<T>(p: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return p;
  throwIfAborted(signal);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(new CancelledError());
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return abortable(new Promise((r) => setTimeout(r, ms)), signal);
}

export class SshConnection {
  readonly host: ResolvedHost;
  private readonly opts: ConnectOptions;
  private readonly logger: Logger;
  private readonly jump?: SshConnection;
  private client?: Client;
  private connecting?: Promise<Client>;
  private sftpSession?: Promise<SFTPWrapper>;
  private everConnected = false;
  private closed = false;
  private readonly channels: Semaphore;
  private homeDir?: string;
  /** Counts successful connects; a change means a reconnect happened. */
  generation = 0;

  constructor(host: ResolvedHost, opts: ConnectOptions = {}) {
    this.host = host;
    this.opts = opts;
    this.logger = opts.logger ?? nullLogger;
    this.channels = new Semaphore(opts.maxChannels ?? 8);
    if (host.jump) this.jump = new SshConnection(host.jump, opts);
  }

  get label(): string {
    return this.host.alias;
  }

  /** Connects now (or reuses the live connection). */
  async connect(signal?: AbortSignal): Promise<void> {
    const release = this.hold();
    try {
      await this.ensure(signal);
    } finally {
      release();
    }
  }

  isConnected(): boolean {
    return this.client !== undefined;
  }

  private ensure(signal?: AbortSignal): Promise<Client> {
    if (this.closed) return Promise.reject(new InfraError(`connection to ${this.label} is closed`));
    if (this.client) return Promise.resolve(this.client);
    // One connect attempt is shared by every caller; each caller can still give up on it.
    this.connecting ??= this.connectWithRetry().finally(() => {
      this.connecting = undefined;
    });
    return abortable(this.connecting, signal);
  }

  private async connectWithRetry(): Promise<Client> {
    const attempts = this.everConnected ? (this.opts.reconnectAttempts ?? 5) : 2;
    let delay = 250;
    for (let i = 1; ; i++) {
      try {
        const c = await this.connectOnce();
        this.everConnected = true;
        this.generation++;
        return c;
      } catch (err) {
        const code = (err as { code?: string }).code ?? ((err as Error).cause as { code?: string } | undefined)?.code;
        const transient = err instanceof ConnectionLostError || (code !== undefined && TRANSIENT.has(code)) || /timed out|ECONNRESET|socket hang up/i.test(errorMessage(err));
        if (!transient || i >= attempts || this.closed) throw this.wrapConnectError(err);
        this.logger.debug(`ssh ${this.label}: connect failed (${errorMessage(err)}), retry in ${delay} ms`);
        await sleep(delay);
        delay = Math.min(delay * 2, 4000);
      }
    }
  }

  private wrapConnectError(err: unknown): Error {
    if (err instanceof InfraError || err instanceof CancelledError) return err;
    const e = err as Error & { code?: string; level?: string };
    const where = describeHost(this.host);
    if (e.level === 'client-authentication') {
      return new InfraError(`authentication to ${where} failed (tried: ${this.triedAuth.join(', ') || 'nothing'})`, {
        cause: err,
        hint: `check User and IdentityFile for "${this.label}" in your ssh config, or add your key to the agent (ssh-add)`,
      });
    }
    if (e.code && TRANSIENT.has(e.code)) {
      return new InfraError(`cannot reach ${where}: ${e.code}`, { cause: err, hint: `is the host up and sshd listening on port ${this.host.port}? check HostName/Port for "${this.label}"` });
    }
    if (e.code === 'ENOTFOUND') return new InfraError(`cannot resolve host name "${this.host.hostname}" for ${this.label}`, { cause: err, hint: 'check HostName in your ssh config' });
    return new InfraError(`ssh connection to ${where} failed: ${e.message}`, { cause: err });
  }

  private triedAuth: string[] = [];
  private busy = 0;

  /**
   * Marks work in flight. While nothing is in flight the socket is unref'd, so an idle pooled
   * connection never keeps a CLI process from exiting; while something is, it is ref'd, so
   * the process waits for the answer.
   */
  hold(): () => void {
    this.busy++;
    const releaseJump = this.jump?.hold();
    this.applyRef();
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.busy--;
      releaseJump?.();
      this.applyRef();
    };
  }

  private applyRef(): void {
    const sock = (this.client as unknown as { _sock?: { ref?: () => void; unref?: () => void } } | undefined)?._sock;
    if (this.busy > 0) sock?.ref?.();
    else sock?.unref?.();
  }

  /** Pings when the server has been quiet; a server silent for count+1 intervals is dead. */
  private startKeepalive(client: Client): void {
    const every = this.opts.keepaliveIntervalMs ?? (this.host.serverAliveIntervalS ? this.host.serverAliveIntervalS * 1000 : 15_000);
    const countMax = this.opts.keepaliveCountMax ?? this.host.serverAliveCountMax ?? 3;
    if (!(every > 0)) return;
    const inner = client as unknown as { _sock?: { on(ev: 'data', fn: () => void): void }; _protocol?: { ping(): void } };
    let lastRx = Date.now();
    inner._sock?.on('data', () => {
      lastRx = Date.now();
    });
    const timer = setInterval(() => {
      const quiet = Date.now() - lastRx;
      if (quiet > every * (countMax + 1)) {
        this.logger.debug(`ssh ${this.label}: no answer to keepalives for ${Math.round(quiet / 1000)} s, dropping the connection`);
        clearInterval(timer);
        client.destroy();
      } else if (quiet >= every) {
        // keepalive@openssh.com with want-reply: any answer counts as a sign of life.
        inner._protocol?.ping();
      }
    }, every);
    timer.unref();
    client.once('close', () => clearInterval(timer));
  }

  private async connectOnce(): Promise<Client> {
    const h = this.host;
    let sock: ConnectConfig['sock'];
    if (this.jump) {
      const jc = await this.jump.ensure();
      sock = await new Promise<ClientChannel>((resolve, reject) => {
        jc.forwardOut('127.0.0.1', 0, h.hostname, h.port, (err, ch) => (err ? reject(new InfraError(`jump host ${this.jump?.label} could not open a tunnel to ${h.hostname}:${h.port}: ${err.message}`, { cause: err })) : resolve(ch)));
      });
    }
    const knownHostsPath = this.opts.knownHostsPath ?? defaultKnownHostsPath(this.opts.env);
    const entries = await readKnownHosts(knownHostsPath);
    const khName = h.hostKeyAlias ?? knownHostsName(h.hostname, h.port);
    const client = new Client();
    let failure: Error | undefined;
    const readyMs = this.opts.readyTimeoutMs ?? (h.connectTimeoutS ? h.connectTimeoutS * 1000 : 20_000);
    this.triedAuth = [];

    return new Promise<Client>((resolve, reject) => {
      let settled = false;
      let timer: NodeJS.Timeout | undefined;
      const arm = (): void => {
        clearTimeout(timer);
        timer = setTimeout(() => fail(new InfraError(`ssh handshake with ${describeHost(h)} timed out after ${readyMs} ms`, { hint: 'is it an SSH server? is the network slow?' })), readyMs);
      };
      // Prompts wait for a human: the handshake clock stops while one is open.
      const paused = async <T>(fn: () => Promise<T>): Promise<T> => {
        clearTimeout(timer);
        try {
          return await fn();
        } finally {
          if (!settled) arm();
        }
      };
      const fail = (err: Error): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        client.removeAllListeners('ready');
        client.on('error', () => {});
        client.end();
        client.destroy();
        reject(failure ?? err);
      };
      client.once('ready', () => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.client = client;
        // Small requests (stat, rename, log reads) must not wait on Nagle + delayed ACK.
        client.setNoDelay(true);
        this.startKeepalive(client);
        this.applyRef();
        this.logger.debug(`ssh ${this.label}: connected to ${describeHost(h)}`);
        resolve(client);
      });
      client.on('error', (err: Error) => {
        if (!settled) fail(err);
        else this.logger.debug(`ssh ${this.label}: ${err.message}`);
      });
      client.on('close', () => {
        if (!settled) fail(new ConnectionLostError(this.label));
        if (this.client === client) {
          this.client = undefined;
          this.sftpSession = undefined;
          this.logger.debug(`ssh ${this.label}: connection closed`);
        }
      });
      const cfg: ConnectConfig = {
        host: h.hostname,
        port: h.port,
        username: h.user,
        sock,
        readyTimeout: 0,
        // ssh2's own keepalive timer is not unref'd and would keep every CLI process alive;
        // startKeepalive() below does the same job with a timer that does not.
        keepaliveInterval: 0,
        algorithms: {
          // AES-GCM first: with AES-NI it is the fastest cipher OpenSSL offers both sides.
          cipher: ['aes128-gcm@openssh.com', 'aes256-gcm@openssh.com', 'chacha20-poly1305@openssh.com', 'aes128-ctr', 'aes256-ctr'],
          serverHostKey: hostKeyAlgorithms(knownKeyTypes(entries, khName)) as NonNullable<NonNullable<ConnectConfig['algorithms']>['serverHostKey']>,
        },
        hostVerifier: (key: Buffer, verify: (ok: boolean) => void) => {
          void paused(() => this.verifyHostKey(key, knownHostsPath, khName)).then(
            () => verify(true),
            (err: Error) => {
              failure = err;
              verify(false);
            },
          );
        },
        authHandler: this.authHandler((err) => {
          failure = err;
        }, paused),
      };
      arm();
      try {
        client.connect(cfg);
      } catch (err) {
        fail(err as Error);
      }
    });
  }

  private async verifyHostKey(blob: Buffer, file: string, name: string): Promise<void> {
    // Re-read: another process may have just accepted this host.
    const entries = await readKnownHosts(file);
    const verdict = checkHostKey(entries, name, blob);
    const fp = fingerprint(blob);
    const type = keyBlobType(blob);
    if (verdict.status === 'known') return;
    if (verdict.status === 'revoked') {
      throw new InfraError(`host key ${type} ${fp} of ${this.label} (${name}) is marked @revoked in ${file}:${verdict.entry.line}; refusing to connect`);
    }
    if (verdict.status === 'changed') {
      const old = fingerprint(verdict.entry.key);
      throw new InfraError(
        `host key for ${this.label} (${name}) has changed: the server offered ${type} ${fp}, but ${file}:${verdict.entry.line} has ${verdict.entry.keyType} ${old}. ` +
          'Someone could be intercepting the connection, or the host was reinstalled; refusing to connect.',
        { hint: `if the change is expected, remove line ${verdict.entry.line} of ${file} (ssh-keygen -R '${name}' -f '${file}') and connect again` },
      );
    }
    const ask = this.opts.confirmHostKey;
    if (!ask) {
      throw new InfraError(`host key of ${this.label} (${name}) is unknown: ${type} ${fp} is not in ${file}`, {
        hint: 'accept it with --accept-new-host-key, or connect once with ssh to add it to known_hosts',
      });
    }
    const ok = await ask({ alias: this.label, host: name, keyType: type, fingerprint: fp, knownHostsPath: file });
    if (!ok) throw new InfraError(`host key of ${this.label} (${name}) ${type} ${fp} was not accepted`);
    const hashed = entries.some((e) => e.patterns.startsWith('|1|'));
    await appendKnownHost(file, name, blob, hashed);
    this.logger.info(`added ${name} (${type} ${fp}) to ${file}`);
  }

  /** Agent first (unless IdentitiesOnly), then each identity file that exists. */
  private authHandler(onError: (err: Error) => void, paused: <T>(fn: () => Promise<T>) => Promise<T>): AuthHandlerMiddleware {
    const h = this.host;
    const env = this.opts.env ?? process.env;
    const agent = this.opts.agentSocket === null ? undefined : (this.opts.agentSocket ?? (h.identityAgent === 'none' ? undefined : (h.identityAgent ?? env.SSH_AUTH_SOCK)));
    const queue: (() => Promise<AnyAuthMethod | undefined>)[] = [];
    if (agent && !h.identitiesOnly) {
      queue.push(async () => {
        this.triedAuth.push('agent');
        return { type: 'agent', username: h.user, agent };
      });
    }
    for (const file of h.identityFiles) {
      queue.push(async () => {
        const key = await paused(() => this.loadKey(file));
        if (!key) return undefined;
        this.triedAuth.push(file);
        return { type: 'publickey', username: h.user, key };
      });
    }
    if (agent && h.identitiesOnly) {
      // IdentitiesOnly with an agent: OpenSSH still signs with the agent's copy of those keys.
      queue.push(async () => {
        this.triedAuth.push('agent');
        return { type: 'agent', username: h.user, agent };
      });
    }
    return (_left, _partial, next) => {
      const step = async (): Promise<void> => {
        for (;;) {
          const f = queue.shift();
          // ssh2 takes `false` as "no more methods", which its types do not declare.
          if (!f) return next(false as unknown as AnyAuthMethod);
          const m = await f();
          if (m) return next(m);
        }
      };
      step().catch((err: Error) => {
        onError(err);
        next(false as unknown as AnyAuthMethod);
      });
    };
  }

  /** Reads and parses a private key; asks for the passphrase of an encrypted one. */
  private async loadKey(file: string): Promise<ParsedKey | undefined> {
    const cached = keyCache.get(file);
    if (cached) return cached;
    const data = await fs.readFile(file).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT' && !this.host.identityFilesExplicit) return undefined;
      if (err.code === 'ENOENT') {
        this.logger.warn(`ssh ${this.label}: IdentityFile ${file} does not exist`);
        return undefined;
      }
      throw new InfraError(`cannot read key ${file}: ${err.message}`);
    });
    if (!data) return undefined;
    let parsed = utils.parseKey(data);
    if (parsed instanceof Error && /passphrase|encrypted/i.test(parsed.message)) {
      if (!this.opts.passphrase) {
        this.logger.warn(`ssh ${this.label}: ${file} is encrypted and no passphrase prompt is available; skipped`);
        return undefined;
      }
      for (let tries = 0; tries < 3; tries++) {
        const pass = await this.opts.passphrase(file);
        if (pass === undefined) return undefined;
        parsed = utils.parseKey(data, pass);
        if (!(parsed instanceof Error)) break;
        if (!/bad passphrase|integrity/i.test(parsed.message)) break;
      }
      if (parsed instanceof Error) throw new InfraError(`cannot decrypt ${file}: wrong passphrase`, { hint: 'check the passphrase, or load the key into ssh-agent' });
    }
    if (parsed instanceof Error) {
      this.logger.warn(`ssh ${this.label}: cannot use ${file}: ${parsed.message}`);
      return undefined;
    }
    const key = Array.isArray(parsed) ? parsed[0] : parsed;
    if (key) keyCache.set(file, key);
    return key;
  }

  /** Starts a remote command; its channel counts against maxChannels until it closes. */
  async spawn(cmd: string, opts: { signal?: AbortSignal } = {}): Promise<RemoteProcess> {
    throwIfAborted(opts.signal);
    const unhold = this.hold();
    let release: () => void = () => {};
    let client: Client;
    let ch: ClientChannel;
    try {
      release = await this.channels.acquire(opts.signal);
      client = await this.ensure(opts.signal);
      ch = await new Promise<ClientChannel>((resolve, reject) => {
        client.exec(cmd, (err, c) => {
          if (!err) return resolve(c);
          // A refused channel on a live link (MaxSessions) is not a lost connection.
          reject(this.client === client ? new InfraError(`${this.label} refused a new session: ${err.message}`, { cause: err, hint: 'raise MaxSessions in the server sshd_config' }) : new ConnectionLostError(this.label, err));
        });
      });
    } catch (err) {
      release();
      unhold();
      throw err;
    }
    let exit: { code: number | null; signal?: string } | undefined;
    ch.on('exit', (code: number | null, sig?: string) => {
      exit = code === null || code === undefined ? { code: null, signal: sig ? `SIG${sig}` : undefined } : { code };
    });
    const done = new Promise<{ code: number | null; signal?: string }>((resolve, reject) => {
      // Abort settles at once. The remote command gets SIGKILL where the server relays signals
      // (OpenSSH refuses for sessions without privilege separation, e.g. root logins) and its
      // channel is closed, so a command reading stdin or writing stdout ends with it.
      const onAbort = (): void => {
        kill('KILL');
        reject(new CancelledError());
      };
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      ch.on('close', () => {
        release();
        unhold();
        opts.signal?.removeEventListener('abort', onAbort);
        if (opts.signal?.aborted) reject(new CancelledError());
        else if (exit) resolve(exit);
        else reject(new ConnectionLostError(this.label));
      });
    });
    done.catch(() => {});
    const kill = (sig: 'TERM' | 'KILL' | 'INT' = 'TERM'): void => {
      // ssh2's channel.signal() is a no-op once stdin was ended (it checks `writable`), and
      // exec() ends stdin at once; send the request through the protocol object instead.
      const inner = ch as unknown as { outgoing?: { id: number; state: string }; _client?: { _protocol?: { signal(id: number, sig: string): void } } };
      try {
        if (inner.outgoing?.state === 'open') inner._client?._protocol?.signal(inner.outgoing.id, sig);
      } catch {
        // signals are optional in the protocol; closing the channel is what counts
      }
      ch.close();
    };
    return { stdin: ch, stdout: ch, stderr: ch.stderr, done, kill };
  }

  /** Runs a remote command to completion and collects its output. */
  async exec(cmd: string, opts: ExecOptions = {}): Promise<ExecResult> {
    const p = await this.spawn(cmd, { signal: opts.signal });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    p.stdout.on('data', (d: Buffer) => out.push(d));
    p.stderr.on('data', (d: Buffer) => err.push(d));
    let timer: NodeJS.Timeout | undefined;
    let timedOut = false;
    if (opts.timeoutMs) {
      timer = setTimeout(() => {
        timedOut = true;
        p.kill('KILL');
      }, opts.timeoutMs);
    }
    if (opts.stdin !== undefined) p.stdin.end(opts.stdin);
    else p.stdin.end();
    try {
      const r = await p.done;
      if (timedOut) throw new InfraError(`remote command on ${this.label} timed out after ${opts.timeoutMs} ms`);
      return { ...r, stdout: Buffer.concat(out), stderr: Buffer.concat(err) };
    } catch (e) {
      if (timedOut) throw new InfraError(`remote command on ${this.label} timed out after ${opts.timeoutMs} ms`);
      throw e;
    } finally {
      clearTimeout(timer);
    }
  }

  /** exec that must succeed: a non-zero exit is an InfraError quoting stderr. */
  async run(cmd: string, opts: ExecOptions & { what?: string } = {}): Promise<string> {
    const r = await this.exec(cmd, opts);
    if (r.code !== 0) {
      const msg = r.stderr.toString('utf8').trim().split('\n').slice(-3).join(' | ');
      throw new InfraError(`${opts.what ?? 'remote command'} failed on ${this.label} (exit ${r.code ?? r.signal}): ${msg || '(no output)'}`);
    }
    return r.stdout.toString('utf8');
  }

  /** The connection's SFTP session (one, shared; reopened after a reconnect). */
  async sftp(signal?: AbortSignal): Promise<SFTPWrapper> {
    const client = await this.ensure(signal);
    if (!this.sftpSession) {
      const p = (async () => {
        const release = await this.channels.acquire();
        try {
          const s = await new Promise<SFTPWrapper>((resolve, reject) => client.sftp((err, w) => (err ? reject(new InfraError(`cannot open SFTP on ${this.label}: ${err.message}`, { cause: err, hint: 'is the sftp subsystem enabled in sshd_config?' })) : resolve(w))));
          s.on('close', () => {
            release();
            if (this.sftpSession === p) this.sftpSession = undefined;
          });
          return s;
        } catch (err) {
          release();
          throw err;
        }
      })();
      this.sftpSession = p;
      p.catch(() => {
        if (this.sftpSession === p) this.sftpSession = undefined;
      });
    }
    return abortable(this.sftpSession, signal);
  }

  /** The remote home folder (absolute), cached. */
  async home(signal?: AbortSignal): Promise<string> {
    if (this.homeDir) return this.homeDir;
    const release = this.hold();
    try {
      const s = await this.sftp(signal);
      const found = new Promise<string>((resolve, reject) =>
        s.realpath('.', (err, p) => (err ? reject(new InfraError(`cannot find the home folder on ${this.label}: ${err.message}`)) : resolve(p))),
      );
      this.homeDir = await abortable(found, signal);
    } finally {
      release();
    }
    return this.homeDir;
  }

  /**
   * Runs `fn` and, when the connection drops under it, reconnects and runs it again (for
   * idempotent work only: reads, listings, stats).
   */
  async retrying<T>(fn: () => Promise<T>, signal?: AbortSignal, attempts = 3): Promise<T> {
    for (let i = 1; ; i++) {
      try {
        return await fn();
      } catch (err) {
        if (!(err instanceof ConnectionLostError) || i >= attempts) throw err;
        throwIfAborted(signal);
        this.logger.debug(`ssh ${this.label}: retrying after a lost connection`);
      }
    }
  }

  /** Tears the link down without closing the connection object (the next call reconnects). */
  drop(): void {
    this.client?.end();
    this.client?.destroy();
  }

  close(): void {
    this.closed = true;
    this.drop();
    this.client = undefined;
    this.sftpSession = undefined;
    this.jump?.close();
  }
}
