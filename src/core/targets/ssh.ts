/**
 * The SSH target (`ssh:<alias>`): the user's own machine reached through their ssh config.
 *
 * Remote layout, per attempt (base default `~/.ferry`):
 *   <base>/jobs/<jobId>/attempt-<n>/work   the synced workdir (the job's cwd)
 *   <base>/jobs/<jobId>/attempt-<n>/meta   the supervisor's files: supervisor.sh, setup.sh,
 *                                          run.sh, env.sh (0600), pid, step, heartbeat, exit, log
 * The job runs under the shared POSIX-sh supervisor, started with `setsid` (nohup where setsid
 * is missing) so it survives the connection. The environment, secrets included, goes through
 * env.sh, sourced by the launching shell: values never appear on a command line that `ps`
 * would show. Everything else is read over SFTP (no shell): logs by byte offset, the step and
 * exit files, the checkpoint folder.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { checkpointsDir } from '../jobs/paths';
import type { AttemptRecord, CheckpointRecord, JobRecord } from '../jobs/types';
import type { ConnectOptions, SshConnection } from '../remote/connection';
import { SshPool, sharedPool } from '../remote/pool';
import { RemoteFs, isNoSuchFile } from '../remote/sftp';
import { SUPERVISOR_SCRIPT, parseExitFile, parseStepFile, signalOfExitCode } from '../remote/supervisor';
import { syncTree } from '../sync/sync';
import { InfraError, UserError, throwIfAborted } from '../util/errors';
import { nullLogger, type Logger } from '../util/logger';
import { shJoin, shQuote } from '../util/quote';
import { parseGpuUtilCsv, NVIDIA_SMI_UTIL_ARGS } from './gpuUtil';
import { ferryEnv } from './local';
import { isTempName, stepFromName } from './localFs';
import type { ExitStatus, RunningJob, Target, TargetContext } from './target';
import { sleep } from '../util/sleep';

/** What every target reached over SSH (a host, a Slurm login node) is built from. */
export interface SshReachOptions {
  /** ssh config alias (or `[user@]host[:port]`). */
  alias: string;
  /** ssh config file (default FERRY_SSH_CONFIG, then ~/.ssh/config). */
  configPath?: string;
  /** known_hosts (default FERRY_KNOWN_HOSTS, then ~/.ssh/known_hosts). */
  knownHostsPath?: string;
  confirmHostKey?: ConnectOptions['confirmHostKey'];
  passphrase?: ConnectOptions['passphrase'];
  /** Connections are shared through a pool (default: the process-wide one). */
  pool?: SshPool;
  logger?: Logger;
  env?: NodeJS.ProcessEnv;
  /** Poll interval for wait() (ms). */
  pollMs?: number;
}

export interface SshTargetOptions extends SshReachOptions {
  /** USD per hour, for cost tracking (an own box usually costs 0). */
  pricePerHour?: number;
  /** Remote folder for run dirs (default FERRY_SSH_REMOTE_BASE, then `~/.ferry`). */
  remoteBase?: string;
}

/** The reattach handle stored in the attempt. No secrets. */
interface SshHandle {
  kind: 'ssh';
  alias: string;
  /** Remote run dir as addressed (may start with `~/`). */
  run: string;
  /** Absolute remote run dir. */
  runAbs: string;
  pid: number;
  /** True when the supervisor leads its own process group (setsid worked). */
  group: boolean;
}

const LOG_CHUNK = 1024 * 1024;
/** A heartbeat that has not moved for this long makes wait() check the process itself. */
const STALE_HEARTBEAT_MS = 20_000;


/** `export K='v'` lines; keys must be shell names (anything else could inject code). */
export function envFile(env: Record<string, string>): string {
  const lines: string[] = [];
  for (const [k, v] of Object.entries(env)) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) throw new UserError(`env: "${k}" is not a valid environment variable name`);
    lines.push(`export ${k}=${shQuote(v)}`);
  }
  return `${lines.join('\n')}\n`;
}

/**
 * Remote watchdog: ends the job at budget.max_duration even with no controller alive. It
 * leaves as soon as the job has ended (exit file, or the supervisor's group gone, or the run
 * dir removed), so it never outlives the job, and it only signals the group the pid file names.
 */
function watchdogScript(maxSeconds: number): string {
  const nap = Math.max(1, Math.min(5, Math.ceil(maxSeconds)));
  return `#!/bin/sh
# Ferry watchdog. Usage: sh watchdog.sh META_DIR
meta="$1"
deadline=$(( $(date +%s) + ${Math.ceil(maxSeconds)} ))
seen=0
while [ -d "$meta" ] && [ ! -f "$meta/exit" ]; do
  pg=$(cat "$meta/pid" 2>/dev/null)
  if [ -n "$pg" ]; then
    seen=1
    kill -0 -"$pg" 2>/dev/null || kill -0 "$pg" 2>/dev/null || exit 0
  elif [ "$seen" -eq 1 ]; then
    exit 0
  fi
  if [ "$(date +%s)" -ge "$deadline" ]; then
    [ -n "$pg" ] || exit 0
    echo "max_duration" > "$meta/watchdog"
    kill -TERM -"$pg" 2>/dev/null || kill -TERM "$pg" 2>/dev/null
    i=0
    while [ $i -lt 30 ] && [ ! -f "$meta/exit" ] && kill -0 "$pg" 2>/dev/null; do sleep 1; i=$((i+1)); done
    [ -f "$meta/exit" ] || kill -KILL -"$pg" 2>/dev/null || kill -KILL "$pg" 2>/dev/null
    exit 0
  fi
  sleep ${nap}
done
`;
}

function checkName(name: string): void {
  if (!name || name.includes('/') || name === '.' || name === '..' || name.includes('\0')) throw new UserError(`bad checkpoint name "${name}"`);
}

/** A job running on an SSH host under the supervisor. Rebuilt from its handle after a restart. */
export class SshRunningJob implements RunningJob {
  readonly handle: Record<string, string | number | boolean | null>;
  private readonly rfs: RemoteFs;
  private lastBeat = '';
  private lastBeatChange = Date.now();
  private stopped = false;

  constructor(
    private readonly conn: SshConnection,
    private readonly job: JobRecord,
    private readonly h: SshHandle,
    private readonly pollMs = 1000,
  ) {
    this.rfs = new RemoteFs(conn);
    this.handle = { ...h };
  }

  private get meta(): string {
    return `${this.h.runAbs}/meta`;
  }

  private get work(): string {
    return `${this.h.runAbs}/work`;
  }

  private get checkpointDir(): string {
    return path.posix.join(this.work, this.job.spec.checkpoints.path);
  }

  private async readSmall(name: string, signal?: AbortSignal): Promise<string | undefined> {
    return this.conn.retrying(async () => {
      try {
        return (await this.rfs.readFile(`${this.meta}/${name}`, signal)).toString('utf8');
      } catch (err) {
        if (isNoSuchFile(err)) return undefined;
        throw err;
      }
    }, signal);
  }

  async step(): Promise<'setup' | 'run' | 'done'> {
    return parseStepFile((await this.readSmall('step')) ?? '') ?? 'setup';
  }

  async readLog(offset: number, signal?: AbortSignal): Promise<{ data: Buffer; next: number }> {
    const { data } = await this.conn.retrying(() => this.rfs.readRange(`${this.meta}/log`, offset, LOG_CHUNK, signal), signal);
    return { data, next: offset + data.length };
  }

  /** Is the supervisor (or anything in its group) still there? One exec. */
  private async alive(signal?: AbortSignal): Promise<boolean> {
    const target = this.h.group ? `-${this.h.pid}` : String(this.h.pid);
    const r = await this.conn.retrying(() => this.conn.exec(`kill -0 ${shQuote(target)} 2>/dev/null`, { signal, timeoutMs: 30_000 }), signal);
    return r.code === 0;
  }

  /** The exit status if the job has ended, else undefined. */
  async poll(signal?: AbortSignal): Promise<ExitStatus | undefined> {
    const exit = parseExitFile((await this.readSmall('exit', signal)) ?? '');
    if (exit) return { exitCode: exit.exitCode, step: exit.step, signal: signalOfExitCode(exit.exitCode) };
    const beat = (await this.readSmall('heartbeat', signal)) ?? '';
    if (beat !== this.lastBeat) {
      this.lastBeat = beat;
      this.lastBeatChange = Date.now();
    }
    // Cheap SFTP reads while the heartbeat moves; a process check only when it stops moving.
    if (this.stopped || Date.now() - this.lastBeatChange > STALE_HEARTBEAT_MS) {
      if (!(await this.alive(signal))) {
        const again = parseExitFile((await this.readSmall('exit', signal)) ?? '');
        if (again) return { exitCode: again.exitCode, step: again.step, signal: signalOfExitCode(again.exitCode) };
        const step = await this.step();
        return { exitCode: null, signal: 'SIGKILL', step: step === 'setup' ? 'setup' : 'run' };
      }
      this.lastBeatChange = Date.now();
    }
    return undefined;
  }

  async wait(signal?: AbortSignal): Promise<ExitStatus> {
    for (;;) {
      const st = await this.poll(signal);
      if (st) return st;
      await sleep(this.pollMs, signal);
    }
  }

  async stop(graceMs = 10_000): Promise<void> {
    this.stopped = true;
    const pg = this.h.group ? `-${this.h.pid}` : String(this.h.pid);
    const tenths = Math.max(1, Math.ceil(graceMs / 100));
    // One remote script: TERM to the group, then KILL after the grace; returns once all are gone.
    // (No `kill --`: dash's kill does not take it, and `-<pgid>` is unambiguous after a signal.)
    const script = [
      `pg=${shQuote(pg)}`,
      'kill -TERM "$pg" 2>/dev/null || exit 0',
      'i=0',
      'while kill -0 "$pg" 2>/dev/null; do',
      `  if [ "$i" -ge ${tenths} ]; then kill -KILL "$pg" 2>/dev/null; fi`,
      '  sleep 0.1 2>/dev/null || { sleep 1; i=$((i+9)); }',
      '  i=$((i+1))',
      'done',
    ].join('\n');
    await this.conn.retrying(() => this.conn.run(script, { what: 'stopping the job', timeoutMs: graceMs + 30_000 }));
  }

  async listCheckpoints(): Promise<Omit<CheckpointRecord, 'attempt' | 'locations'>[]> {
    return this.conn.retrying(async () => {
      let list;
      try {
        list = await this.rfs.readdir(this.checkpointDir);
      } catch (err) {
        if (isNoSuchFile(err)) return [];
        throw err;
      }
      const out: Omit<CheckpointRecord, 'attempt' | 'locations'>[] = [];
      for (const e of list.sort((a, b) => (a.name < b.name ? -1 : 1))) {
        if (isTempName(e.name) || e.type === 'symlink' || e.type === 'other') continue;
        const sizeBytes = e.type === 'dir' ? await this.dirSize(`${this.checkpointDir}/${e.name}`) : e.size;
        out.push({ name: e.name, sizeBytes, createdAt: new Date(e.mtime * 1000).toISOString(), step: stepFromName(e.name) });
      }
      return out;
    });
  }

  private async dirSize(p: string): Promise<number> {
    let total = 0;
    for (const e of await this.rfs.readdir(p)) {
      if (e.type === 'file') total += e.size;
      else if (e.type === 'dir') total += await this.dirSize(`${p}/${e.name}`);
    }
    return total;
  }

  async fetchCheckpoint(name: string, destDir: string, signal?: AbortSignal): Promise<string> {
    checkName(name);
    await fs.mkdir(destDir, { recursive: true });
    const s = await syncTree({ from: { conn: this.conn, path: this.checkpointDir }, to: destDir, only: [name], ignoreFiles: false, signal });
    const dest = path.join(destDir, name);
    if (!(await fs.lstat(dest).catch(() => undefined))) {
      throw new InfraError(`checkpoint ${name} was not found on ${this.h.alias}${s.skipped.length ? ` (${s.skipped.map((x) => x.reason).join('; ')})` : ''}`);
    }
    return dest;
  }

  async fetchOutputs(destDir: string, signal?: AbortSignal): Promise<string[]> {
    const rels = [...new Set(['outputs', ...this.job.spec.outputs.map((o) => o.replace(/^\.\/+/, '').replace(/\/+$/, ''))])].filter((r) => r !== '' && !r.split('/').includes('..') && !r.startsWith('/'));
    await fs.mkdir(destDir, { recursive: true });
    await syncTree({ from: { conn: this.conn, path: this.work }, to: destDir, only: rels, ignoreFiles: false, signal });
    const out: string[] = [];
    for (const r of rels) {
      const p = path.join(destDir, ...r.split('/'));
      if (await fs.lstat(p).catch(() => undefined)) out.push(p);
    }
    return out;
  }

  async sampleGpuUtil(signal?: AbortSignal): Promise<number | undefined> {
    // The job's environment (PATH included), so the nvidia-smi the job would see is asked.
    const cmd = `. ${shQuote(`${this.meta}/env.sh`)} 2>/dev/null; ${shJoin(['nvidia-smi', ...NVIDIA_SMI_UTIL_ARGS])}`;
    const r = await this.conn.exec(cmd, { signal, timeoutMs: 20_000 }).catch(() => undefined);
    return r && r.code === 0 ? parseGpuUtilCsv(r.stdout.toString('utf8')) : undefined;
  }
}

/** Runs jobs on a machine reached over SSH. */
export class SshTarget implements Target {
  readonly ref: string;
  readonly kind = 'ssh' as const;
  private readonly opts: SshTargetOptions;
  private readonly logger: Logger;
  private conn?: SshConnection;

  constructor(opts: SshTargetOptions) {
    if (!opts.alias) throw new UserError('ssh target: empty host alias');
    this.opts = opts;
    this.ref = `ssh:${opts.alias}`;
    this.logger = opts.logger ?? nullLogger;
  }

  pricePerHour(): number {
    return this.opts.pricePerHour ?? 0;
  }

  /** The shared connection to the host. */
  connection(): SshConnection {
    if (!this.conn) {
      const pool = this.opts.pool ?? sharedPool();
      const o = this.opts;
      this.conn = pool.get(o.alias, {
        configPath: o.configPath,
        knownHostsPath: o.knownHostsPath,
        confirmHostKey: o.confirmHostKey,
        passphrase: o.passphrase,
        logger: this.logger,
        env: o.env,
      });
    }
    return this.conn;
  }

  private base(): string {
    const b = this.opts.remoteBase ?? (this.opts.env ?? process.env).FERRY_SSH_REMOTE_BASE ?? '~/.ferry';
    return b.replace(/\/+$/, '');
  }

  /** Absolute remote path (a `~/` path resolved against the remote home). */
  private async abs(p: string, signal?: AbortSignal): Promise<string> {
    if (p === '~' || p.startsWith('~/')) return path.posix.join(await this.connection().home(signal), p.slice(1));
    if (p.startsWith('/')) return p;
    return path.posix.join(await this.connection().home(signal), p);
  }

  private runDir(job: JobRecord, n: number): string {
    return `${this.base()}/jobs/${job.id}/attempt-${n}`;
  }

  async provision(ctx: TargetContext): Promise<void> {
    // The machine is already there: connecting now surfaces host key and auth problems
    // before anything is copied.
    await this.connection().connect(ctx.signal);
  }

  async sync(ctx: TargetContext): Promise<void> {
    const { job, attempt, signal } = ctx;
    const conn = this.connection();
    const work = `${this.runDir(job, attempt.n)}/work`;
    const s = await syncTree({
      from: job.workdir,
      to: { conn, path: work },
      exclude: job.spec.exclude,
      signal,
      logger: ctx.logger,
    });
    ctx.logger.info(`synced ${s.transferred.files} files (${s.transferred.bytes} bytes) to ${conn.label}:${work}${s.noop ? ' (nothing changed)' : ''}`);
    for (const sk of s.skipped) ctx.logger.warn(`not synced: ${sk.path}: ${sk.reason}`);
    const specDir = job.specFile ? path.dirname(job.specFile) : job.workdir;
    const rfs = new RemoteFs(conn);
    for (const d of job.spec.data) {
      throwIfAborted(signal);
      if (/^s3:\/\//i.test(d.from)) throw new UserError(`data: ${d.from}: s3:// sources are not supported on SSH targets yet`);
      const to = path.posix.normalize(d.to.replace(/^\.\/+/, ''));
      if (to.startsWith('/') || to === '..' || to.startsWith('../')) throw new UserError(`data: "${d.to}" points outside the run folder`);
      const src = path.resolve(specDir, d.from);
      const st = await fs.stat(src).catch(() => undefined);
      if (!st) throw new UserError(`data: ${d.from} does not exist (resolved to ${src})`);
      const dest = to === '.' ? work : `${work}/${to}`;
      if (st.isDirectory()) {
        await syncTree({ from: src, to: { conn, path: dest }, ignoreFiles: false, signal, logger: ctx.logger });
      } else {
        await new RemoteSideDirs(rfs).ensure(path.posix.dirname(dest), signal);
        await rfs.uploadFile(src, dest, signal);
      }
    }
  }

  async start(ctx: TargetContext): Promise<RunningJob> {
    const { job, attempt, signal } = ctx;
    const conn = this.connection();
    const rfs = new RemoteFs(conn);
    const run = this.runDir(job, attempt.n);
    const runAbs = await this.abs(run, signal);
    const meta = `${runAbs}/meta`;
    const work = `${runAbs}/work`;
    const checkpointDir = path.posix.join(work, job.spec.checkpoints.path);
    if (checkpointDir !== work && !checkpointDir.startsWith(`${work}/`)) throw new UserError(`checkpoints.path "${job.spec.checkpoints.path}" points outside the workdir`);
    const outputDir = `${work}/outputs`;
    const dirs = new RemoteSideDirs(rfs);
    await dirs.ensure(meta, signal);
    await dirs.ensure(checkpointDir, signal);
    await dirs.ensure(outputDir, signal);

    let resumePath: string | undefined;
    if (ctx.resumeFrom) {
      checkName(ctx.resumeFrom);
      const local = path.join(checkpointsDir(ctx.home, job.id), ctx.resumeFrom);
      const st = await fs.lstat(local).catch(() => undefined);
      resumePath = `${checkpointDir}/${ctx.resumeFrom}`;
      const there = await rfs.lstat(resumePath, signal);
      if (!there) {
        // The chosen checkpoint goes back up first (a new attempt starts in a fresh run dir).
        if (!st) throw new UserError(`checkpoint "${ctx.resumeFrom}" has no local copy (looked in ${local})`);
        if (st.isDirectory()) await syncTree({ from: path.dirname(local), to: { conn, path: checkpointDir }, only: [ctx.resumeFrom], ignoreFiles: false, signal });
        else await rfs.uploadFile(local, resumePath, signal);
      }
    }

    const env = { ...job.spec.env, ...ctx.env, ...ferryEnv(job, attempt.n, { checkpointDir, outputDir }, resumePath) };
    await rfs.writeFileAtomic(`${meta}/env.sh`, envFile(env), 0o600, signal);
    await rfs.writeFileAtomic(`${meta}/supervisor.sh`, SUPERVISOR_SCRIPT, 0o755, signal);
    await rfs.writeFileAtomic(`${meta}/setup.sh`, job.spec.setup ? `${job.spec.setup}\n` : '', 0o644, signal);
    await rfs.writeFileAtomic(`${meta}/run.sh`, `${job.spec.run}\n`, 0o644, signal);
    for (const f of ['pid', 'exit', 'step']) await rfs.unlink(`${meta}/${f}`).catch(() => undefined);
    const maxDuration = job.spec.budget.max_duration;
    if (maxDuration) await rfs.writeFileAtomic(`${meta}/watchdog.sh`, watchdogScript(maxDuration), 0o755, signal);

    // The launch line holds paths only; values come from env.sh. setsid makes the supervisor a
    // session and process-group leader (stop signals the whole group); nohup is the fallback.
    const m = shQuote(meta);
    const w = shQuote(work);
    const sup = `${shQuote(`${meta}/supervisor.sh`)} ${m} ${w} </dev/null >/dev/null 2>&1 &`;
    const dog = maxDuration ? `${shQuote(`${meta}/watchdog.sh`)} ${m} </dev/null >/dev/null 2>&1 &` : undefined;
    const launch = [
      `cd ${w} || exit 97`,
      `. ${shQuote(`${meta}/env.sh`)} || exit 98`,
      'if command -v setsid >/dev/null 2>&1; then',
      `  setsid sh ${sup}`,
      ...(dog ? [`  setsid sh ${dog}`] : []),
      '  echo group',
      'else',
      `  nohup sh ${sup}`,
      ...(dog ? [`  nohup sh ${dog}`] : []),
      '  echo single',
      'fi',
    ].join('\n');
    const out = await conn.run(launch, { signal, what: 'starting the job' });
    const group = out.trim().split('\n')[0] === 'group';
    // The supervisor writes its own pid (the group id) first thing.
    let pid: number | undefined;
    const deadline = Date.now() + 15_000;
    while (pid === undefined) {
      const text = await rfs.readFile(`${meta}/pid`, signal).catch(() => undefined);
      const n = text ? Number(text.toString('utf8').trim()) : NaN;
      if (Number.isInteger(n) && n > 0) pid = n;
      else if (Date.now() > deadline) throw new InfraError(`the job did not start on ${conn.label}: no pid file in ${meta} after 15 s`);
      else await sleep(50, signal);
    }
    const handle: SshHandle = { kind: 'ssh', alias: this.opts.alias, run, runAbs, pid, group };
    return new SshRunningJob(conn, job, handle, this.opts.pollMs);
  }

  async attach(job: JobRecord, attempt: AttemptRecord): Promise<RunningJob> {
    const h = attempt.handle;
    if (!h || h.kind !== 'ssh' || typeof h.pid !== 'number' || typeof h.runAbs !== 'string') {
      throw new InfraError(`job ${job.id} attempt ${attempt.n} has no SSH process to attach to`);
    }
    const handle: SshHandle = { kind: 'ssh', alias: String(h.alias ?? this.opts.alias), run: String(h.run ?? h.runAbs), runAbs: h.runAbs, pid: h.pid, group: h.group !== false };
    return new SshRunningJob(this.connection(), job, handle, this.opts.pollMs);
  }

  async release(): Promise<void> {
    // The machine is the user's: nothing to give back. The run dir stays for inspection.
  }
}

/** mkdir -p over SFTP for absolute remote paths. */
class RemoteSideDirs {
  constructor(private readonly rfs: RemoteFs) {}
  async ensure(abs: string, signal?: AbortSignal): Promise<void> {
    const parts = abs.split('/').filter(Boolean);
    let cur = abs.startsWith('/') ? '' : '.';
    for (const p of parts) {
      cur = cur === '.' ? p : `${cur}/${p}`;
      await this.rfs.mkdir(cur, undefined, signal);
    }
  }
}
