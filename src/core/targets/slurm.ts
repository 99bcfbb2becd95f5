/**
 * The Slurm target (`slurm:<alias>`): a cluster whose login node is `<alias>` in the ssh config.
 * The workdir is synced to the cluster's shared filesystem exactly as the SSH target does it
 * (<base>/jobs/<jobId>/attempt-<n>/work), a batch script is written beside it (meta/) and
 * submitted with `sbatch --parsable`. The job is followed with `scontrol show job` (always
 * there) and `sacct` (only where accounting is on), its output read by byte offset over SFTP,
 * stopped with `scancel`. Preemption, node failure and requeues end the attempt with an
 * InstanceLostError, so the runner's recovery submits a new one from the latest checkpoint.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { checkpointsDir } from '../jobs/paths';
import type { AttemptRecord, CheckpointRecord, JobRecord } from '../jobs/types';
import type { SshConnection } from '../remote/connection';
import { RemoteFs, isNoSuchFile } from '../remote/sftp';
import { parseExitFile, parseStepFile } from '../remote/supervisor';
import { batchJob, submitCommand } from '../slurm/script';
import { parseSacct, parseSbatchParsable, parseScontrolJob, SACCT_FIELDS, type ScontrolJob } from '../slurm/parse';
import { mapSlurmState, type SlurmStateInfo } from '../slurm/states';
import { slurmPricePerHour } from '../slurm/cost';
import { syncTree } from '../sync/sync';
import { InfraError, InstanceLostError, UserError } from '../util/errors';
import { nullLogger, type Logger } from '../util/logger';
import { shJoin, shQuote } from '../util/quote';
import { ferryEnv } from './local';
import { SshRunningJob, SshTarget, envFile, type SshReachOptions } from './ssh';
import type { ExitStatus, RunningJob, Target, TargetContext } from './target';
import { sleep } from '../util/sleep';

/** `alias` is the login node's ssh config alias. */
export interface SlurmTargetOptions extends SshReachOptions {
  /** USD per GPU-hour (default 0); a job costs nodes x GPUs x hours x this. */
  pricePerGpuHour?: number;
  /** Folder on the shared filesystem for run dirs (default FERRY_SLURM_REMOTE_BASE, then `~/.ferry`). */
  remoteBase?: string;
  /** Shell lines run before every Slurm command (e.g. `module load slurm`). */
  profile?: string;
}

/** The reattach handle stored in the attempt. */
export interface SlurmHandle {
  kind: 'slurm';
  alias: string;
  slurmJobId: string;
  run: string;
  runAbs: string;
  nodes: number;
  /** While pending: Slurm's reason (`Priority`, `Resources`) and place among pending jobs (1 = next). */
  queueReason: string | null;
  queuePosition: number | null;
  /** The last Slurm state seen. */
  slurmState: string | null;
}

const LOG_CHUNK = 1024 * 1024;
/** An exit file while Slurm still calls the job active: give Slurm this many polls to say why. */
const EXIT_FILE_GRACE_POLLS = 4;


/** The signal an ended Slurm state stands for, when the job did not just exit. */
function signalOfState(slurm: string): string | undefined {
  switch (slurm) {
    case 'CANCELLED':
    case 'TIMEOUT':
    case 'DEADLINE':
    case 'REVOKED':
      return 'SIGTERM';
    case 'OUT_OF_MEMORY':
    case 'BOOT_FAIL':
      return 'SIGKILL';
    default:
      return undefined;
  }
}

/** One look at the job: the scontrol record (undefined once Slurm forgot it) and the pending queue. */
interface Look {
  job?: ScontrolJob;
  pending: string[];
}

/** Runs Slurm commands on the login node. */
export class SlurmCommands {
  constructor(
    private readonly conn: SshConnection,
    private readonly profile?: string,
  ) {}

  private wrap(cmd: string): string {
    return this.profile ? `${this.profile}\n${cmd}` : cmd;
  }

  async exec(cmd: string, signal?: AbortSignal): Promise<{ code: number | null; stdout: string; stderr: string }> {
    const r = await this.conn.retrying(() => this.conn.exec(this.wrap(cmd), { signal, timeoutMs: 60_000 }), signal);
    return { code: r.code, stdout: r.stdout.toString('utf8'), stderr: r.stderr.toString('utf8') };
  }

  /** `scontrol show job` and the pending queue (priority order), in one round trip. */
  async look(jobId: string, signal?: AbortSignal): Promise<Look> {
    const r = await this.exec(`${shJoin(['scontrol', 'show', 'job', '-o', jobId])} 2>&1; echo "--ferry--$?"; ${shJoin(['squeue', '-h', '-t', 'PENDING', '--sort=-p,i', '-o', '%i'])} 2>/dev/null`, signal);
    const m = /^([\s\S]*?)--ferry--(\d+)\n?([\s\S]*)$/.exec(r.stdout);
    if (!m) throw new InfraError(`cannot ask Slurm about job ${jobId}: ${(r.stderr || r.stdout).trim().slice(0, 300) || `exit ${r.code}`}`);
    const [, text = '', code, queue = ''] = m;
    const pending = queue.split('\n').map((l) => l.trim()).filter(Boolean);
    if (code !== '0') {
      // Slurm forgot the job (MinJobAge passed): not an error. Anything else is (no controller...).
      if (/invalid job id/i.test(text)) return { pending };
      throw new InfraError(`scontrol show job ${jobId} failed: ${text.trim().split('\n').slice(-2).join(' | ') || `exit ${code}`}`);
    }
    return { job: parseScontrolJob(text), pending };
  }

  /** sacct's record, or undefined where accounting is off or it does not know the job. */
  async sacct(jobId: string, signal?: AbortSignal) {
    const r = await this.exec(`${shJoin(['sacct', '-n', '-X', '-P', '-j', jobId, '-o', SACCT_FIELDS])} 2>/dev/null`, signal);
    if (r.code !== 0) return undefined;
    return parseSacct(r.stdout).find((row) => row.jobId === jobId);
  }

  async cancel(jobId: string, signal?: AbortSignal): Promise<void> {
    await this.exec(`${shJoin(['scancel', jobId])} 2>/dev/null`, signal);
  }
}

/** A submitted Slurm job. Rebuilt from its handle after a controller restart. */
export class SlurmRunningJob implements RunningJob {
  readonly handle: Record<string, string | number | boolean | null>;
  private readonly h: SlurmHandle;
  private readonly rfs: RemoteFs;
  private readonly files: SshRunningJob;
  private readonly cmds: SlurmCommands;
  private exitSeenPolls = 0;
  private lastInfo?: SlurmStateInfo;
  /** Set once the allocation is known lost; step() reports it from then on. */
  private lost?: InstanceLostError;

  constructor(
    private readonly conn: SshConnection,
    job: JobRecord,
    h: SlurmHandle,
    opts: { pollMs?: number; profile?: string; logger?: Logger } = {},
  ) {
    this.h = h;
    this.handle = h as unknown as Record<string, string | number | boolean | null>;
    this.rfs = new RemoteFs(conn);
    this.cmds = new SlurmCommands(conn, opts.profile);
    // Checkpoints and outputs live in the workdir as on an SSH host: the SSH job reads them.
    this.files = new SshRunningJob(conn, job, { kind: 'ssh', alias: h.alias, run: h.run, runAbs: h.runAbs, pid: 0, group: false });
    this.pollMs = opts.pollMs ?? 1000;
    this.logger = opts.logger ?? nullLogger;
  }

  private readonly pollMs: number;
  private readonly logger: Logger;

  get slurmJobId(): string {
    return this.h.slurmJobId;
  }

  private get meta(): string {
    return `${this.h.runAbs}/meta`;
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

  /** What the runner keeps in the attempt's handle: queue reason and position while pending. */
  status(): Record<string, string | number | boolean | null> {
    return {
      slurmJobId: this.h.slurmJobId,
      nodes: this.h.nodes,
      queueReason: this.h.queueReason,
      queuePosition: this.h.queuePosition,
      slurmState: this.h.slurmState,
    };
  }

  /** The latest Slurm state seen, mapped (undefined before the first poll). */
  slurmState(): SlurmStateInfo | undefined {
    return this.lastInfo;
  }

  async step(): Promise<'setup' | 'run' | 'done'> {
    if (this.lost) throw this.lost;
    return parseStepFile((await this.readSmall('step')) ?? '') ?? 'setup';
  }

  async readLog(offset: number, signal?: AbortSignal): Promise<{ data: Buffer; next: number }> {
    return this.readFileFrom(`${this.meta}/log`, offset, signal);
  }

  /** One node's output (rank 0 is the first node), by byte offset. */
  async readNodeLog(rank: number, offset: number, signal?: AbortSignal): Promise<{ data: Buffer; next: number }> {
    if (!Number.isInteger(rank) || rank < 0 || rank >= this.h.nodes) throw new UserError(`node ${rank} is not a node of this job (it has ${this.h.nodes})`);
    return this.readFileFrom(`${this.meta}/node-${rank}.log`, offset, signal);
  }

  private async readFileFrom(p: string, offset: number, signal?: AbortSignal): Promise<{ data: Buffer; next: number }> {
    const { data } = await this.conn.retrying(() => this.rfs.readRange(p, offset, LOG_CHUNK, signal), signal);
    return { data, next: offset + data.length };
  }

  private async exitFile(signal?: AbortSignal): Promise<ExitStatus | undefined> {
    const e = parseExitFile((await this.readSmall('exit', signal)) ?? '');
    return e ? { exitCode: e.exitCode, step: e.step } : undefined;
  }

  private async stepNow(): Promise<'setup' | 'run'> {
    return (await this.step()) === 'setup' ? 'setup' : 'run';
  }

  /** The exit status once the job has ended, else undefined. Throws InstanceLostError when preempted. */
  async poll(signal?: AbortSignal): Promise<ExitStatus | undefined> {
    const look = await this.cmds.look(this.h.slurmJobId, signal);
    if (look.job) {
      const info = mapSlurmState(look.job.state, look.job.reason);
      this.note(info);
      if (info.phase === 'lost' || look.job.restarts > 0) {
        // Slurm would run it again from scratch in the same folder; Ferry's recovery resumes it
        // from a checkpoint in a fresh attempt instead.
        await this.cmds.cancel(this.h.slurmJobId, signal).catch(() => undefined);
        const why = info.phase === 'lost' ? info.reason : `Slurm: requeued (restart ${look.job.restarts}${look.job.reason !== 'None' ? `; reason: ${look.job.reason}` : ''})`;
        this.lost = new InstanceLostError(`Slurm job ${this.h.slurmJobId} lost its allocation: ${why}`);
        throw this.lost;
      }
      if (info.phase === 'queued') {
        const pos = look.pending.indexOf(this.h.slurmJobId);
        this.h.queueReason = look.job.reason;
        this.h.queuePosition = pos >= 0 ? pos + 1 : null;
        return undefined;
      }
      this.h.queueReason = null;
      this.h.queuePosition = null;
      if (info.phase === 'ended') return this.ended(info, look.job.exitCode, signal);
      const exit = await this.exitFile(signal);
      if (exit && ++this.exitSeenPolls > EXIT_FILE_GRACE_POLLS) return exit;
      return undefined;
    }
    // Slurm has forgotten the job (MinJobAge passed, or it never reached the controller).
    const acct = await this.cmds.sacct(this.h.slurmJobId, signal).catch(() => undefined);
    if (acct) {
      const info = mapSlurmState(acct.state, acct.reason);
      this.note(info);
      if (info.phase === 'lost') throw (this.lost = new InstanceLostError(`Slurm job ${this.h.slurmJobId} lost its allocation: ${info.reason}`));
      if (info.phase === 'ended') return this.ended(info, acct.exitCode, signal);
    }
    const exit = await this.exitFile(signal);
    if (exit) return exit;
    return { exitCode: null, step: await this.stepNow(), reason: `Slurm no longer knows job ${this.h.slurmJobId} and it left no exit status` };
  }

  private note(info: SlurmStateInfo): void {
    if (this.lastInfo?.reason !== info.reason) this.logger.info(`slurm job ${this.h.slurmJobId}: ${info.reason}`);
    this.lastInfo = info;
    this.h.slurmState = info.slurm;
  }

  private async ended(info: SlurmStateInfo, slurmExit: number | null, signal?: AbortSignal): Promise<ExitStatus> {
    const exit = await this.exitFile(signal);
    if (info.slurm === 'COMPLETED' || info.slurm === 'FAILED') {
      if (exit) return exit;
      return { exitCode: slurmExit, step: await this.stepNow(), ...(info.slurm === 'FAILED' ? { reason: info.reason } : {}) };
    }
    const sig = signalOfState(info.slurm);
    return { exitCode: null, step: exit?.step ?? (await this.stepNow()), ...(sig ? { signal: sig } : {}), reason: info.reason };
  }

  /**
   * Resolves when the job has ended. A lost allocation does not reject: from then on step()
   * throws the InstanceLostError, the runner's connection-failure path asks isLost() (true) and
   * recovers, and this promise stays pending without holding a timer. (Rejecting here races the
   * runner's log drain, which treats a wait error that arrives mid-poll as fatal.)
   */
  async wait(signal?: AbortSignal): Promise<ExitStatus> {
    let failures = 0;
    for (;;) {
      let st: ExitStatus | undefined;
      try {
        st = await this.poll(signal);
        failures = 0;
      } catch (err) {
        if (err instanceof InstanceLostError) return new Promise<ExitStatus>(() => undefined);
        // A controller that does not answer for a moment (restart, failover) is not the job's end.
        if (!(err instanceof InfraError) || ++failures > 10) throw err;
        this.logger.warn(`slurm job ${this.h.slurmJobId}: ${err.message}`);
      }
      if (st) return st;
      await sleep(this.pollMs, signal);
    }
  }

  /** scancel, then wait until Slurm no longer runs or queues the job (it sends TERM, then KILL after KillWait). */
  async stop(graceMs = 10_000): Promise<void> {
    await this.cmds.cancel(this.h.slurmJobId);
    const deadline = Date.now() + graceMs + 60_000;
    while (Date.now() < deadline) {
      const look = await this.cmds.look(this.h.slurmJobId);
      if (!look.job) return;
      const info = mapSlurmState(look.job.state, look.job.reason);
      this.note(info);
      if (info.phase === 'ended') return;
      await sleep(Math.min(this.pollMs, 500));
    }
    throw new InfraError(`Slurm job ${this.h.slurmJobId} did not end after scancel`);
  }

  listCheckpoints(): Promise<Omit<CheckpointRecord, 'attempt' | 'locations'>[]> {
    return this.files.listCheckpoints();
  }

  fetchCheckpoint(name: string, destDir: string, signal?: AbortSignal): Promise<string> {
    return this.files.fetchCheckpoint(name, destDir, signal);
  }

  fetchOutputs(destDir: string, signal?: AbortSignal): Promise<string[]> {
    return this.files.fetchOutputs(destDir, signal);
  }
}

/** Submits jobs to a Slurm cluster through its login node. */
export class SlurmTarget implements Target {
  readonly ref: string;
  readonly kind = 'slurm' as const;
  private readonly opts: SlurmTargetOptions;
  private readonly logger: Logger;
  /** The SSH target of the login node: connection and workdir sync are its. */
  private readonly ssh: SshTarget;
  private price: number;

  constructor(opts: SlurmTargetOptions) {
    if (!opts.alias) throw new UserError('slurm target: empty login node alias');
    this.opts = opts;
    this.ref = `slurm:${opts.alias}`;
    this.logger = opts.logger ?? nullLogger;
    this.price = 0;
    this.ssh = new SshTarget({
      alias: opts.alias,
      configPath: opts.configPath,
      knownHostsPath: opts.knownHostsPath,
      confirmHostKey: opts.confirmHostKey,
      passphrase: opts.passphrase,
      remoteBase: this.base(),
      pool: opts.pool,
      logger: this.logger,
      env: opts.env,
    });
  }

  /** USD per hour of the last job seen (nodes x GPUs x price per GPU-hour); the per-GPU price before. */
  pricePerHour(): number {
    return this.price || 0;
  }

  pricePerGpuHour(): number {
    return this.opts.pricePerGpuHour ?? 0;
  }

  connection(): SshConnection {
    return this.ssh.connection();
  }

  private base(): string {
    const b = this.opts.remoteBase ?? (this.opts.env ?? process.env).FERRY_SLURM_REMOTE_BASE ?? '~/.ferry';
    return b.replace(/\/+$/, '');
  }

  private async abs(p: string, signal?: AbortSignal): Promise<string> {
    if (p.startsWith('/')) return p;
    const home = await this.connection().home(signal);
    return p === '~' ? home : path.posix.join(home, p.startsWith('~/') ? p.slice(2) : p);
  }

  async provision(ctx: TargetContext): Promise<void> {
    await this.ssh.provision(ctx);
    this.price = slurmPricePerHour(ctx.job.spec, this.pricePerGpuHour());
    await ctx.record?.({ pricePerHour: this.price });
  }

  async sync(ctx: TargetContext): Promise<void> {
    await this.ssh.sync(ctx);
  }

  async start(ctx: TargetContext): Promise<RunningJob> {
    const { job, attempt, signal } = ctx;
    const conn = this.connection();
    const rfs = new RemoteFs(conn);
    const run = `${this.base()}/jobs/${job.id}/attempt-${attempt.n}`;
    const runAbs = await this.abs(run, signal);
    const meta = `${runAbs}/meta`;
    const work = `${runAbs}/work`;
    const checkpointDir = path.posix.join(work, job.spec.checkpoints.path);
    if (checkpointDir !== work && !checkpointDir.startsWith(`${work}/`)) throw new UserError(`checkpoints.path "${job.spec.checkpoints.path}" points outside the workdir`);
    const outputDir = `${work}/outputs`;
    await conn.run(`mkdir -p ${shJoin([meta, checkpointDir, outputDir])}`, { signal, what: 'creating the run folder' });

    let resumePath: string | undefined;
    if (ctx.resumeFrom) {
      const name = ctx.resumeFrom;
      if (!name || name.includes('/') || name === '.' || name === '..') throw new UserError(`bad checkpoint name "${name}"`);
      resumePath = `${checkpointDir}/${name}`;
      if (!(await rfs.lstat(resumePath, signal))) {
        // A new attempt has a fresh run dir: the checkpoint goes back up from its local copy.
        const local = path.join(checkpointsDir(ctx.home, job.id), name);
        const st = await fs.lstat(local).catch(() => undefined);
        if (!st) throw new UserError(`checkpoint "${name}" has no local copy (looked in ${local})`);
        if (st.isDirectory()) await syncTree({ from: path.dirname(local), to: { conn, path: checkpointDir }, only: [name], ignoreFiles: false, signal });
        else await rfs.uploadFile(local, resumePath, signal);
      }
    }

    const env = { ...job.spec.env, ...ctx.env, ...ferryEnv(job, attempt.n, { checkpointDir, outputDir }, resumePath) };
    const paths = { meta, work };
    const b = batchJob(job.spec, job.id, paths);
    const submit = submitCommand(b, paths);
    await rfs.writeFileAtomic(`${meta}/env.sh`, envFile(env), 0o600, signal);
    await rfs.writeFileAtomic(`${meta}/setup.sh`, job.spec.setup ? `${job.spec.setup}\n` : '', 0o644, signal);
    await rfs.writeFileAtomic(`${meta}/run.sh`, `${job.spec.run}\n`, 0o644, signal);
    await rfs.writeFileAtomic(`${meta}/node.sh`, b.nodeScript, 0o755, signal);
    await rfs.writeFileAtomic(`${meta}/batch.sh`, b.script, 0o755, signal);
    await rfs.writeFileAtomic(`${meta}/submit.sh`, `#!/bin/sh\n${submit}\n`, 0o755, signal);
    for (const f of ['exit', 'step', 'step.now', 'log']) await rfs.unlink(`${meta}/${f}`).catch(() => undefined);

    const cmds = new SlurmCommands(conn, this.opts.profile);
    const r = await cmds.exec(`cd ${shQuote(work)} && ${submit}`, signal);
    if (r.code !== 0) {
      // Slurm's own words: `sbatch: error: invalid partition specified: nope`.
      const msg = r.stderr.trim().split('\n').filter(Boolean).slice(-3).join(' | ') || r.stdout.trim() || `exit ${r.code}`;
      const text = `sbatch refused the job on ${conn.label}: ${msg}`;
      // Bad partition, account, qos, options: the spec is at fault (exit 2); anything else is infra.
      throw /invalid|unrecognized|not recognized|unknown/i.test(msg) ? new UserError(text) : new InfraError(text);
    }
    const { jobId } = parseSbatchParsable(r.stdout);
    ctx.logger.info(`submitted Slurm job ${jobId} on ${conn.label} (${b.sbatchArgs.slice(2).join(' ')})`);
    await ctx.record?.({ instanceId: jobId });
    const handle: SlurmHandle = {
      kind: 'slurm',
      alias: this.opts.alias,
      slurmJobId: jobId,
      run,
      runAbs,
      nodes: job.spec.resources.nodes ?? 1,
      queueReason: null,
      queuePosition: null,
      slurmState: null,
    };
    return new SlurmRunningJob(conn, job, handle, { pollMs: this.opts.pollMs, profile: this.opts.profile, logger: ctx.logger });
  }

  async attach(job: JobRecord, attempt: AttemptRecord): Promise<RunningJob> {
    const h = attempt.handle;
    if (!h || h.kind !== 'slurm' || typeof h.slurmJobId !== 'string' || typeof h.runAbs !== 'string') {
      throw new InfraError(`job ${job.id} attempt ${attempt.n} has no Slurm job to attach to`);
    }
    const handle: SlurmHandle = {
      kind: 'slurm',
      alias: String(h.alias ?? this.opts.alias),
      slurmJobId: h.slurmJobId,
      run: String(h.run ?? h.runAbs),
      runAbs: h.runAbs,
      nodes: typeof h.nodes === 'number' ? h.nodes : 1,
      queueReason: null,
      queuePosition: null,
      slurmState: null,
    };
    return new SlurmRunningJob(this.connection(), job, handle, { pollMs: this.opts.pollMs, profile: this.opts.profile, logger: this.logger });
  }

  /** After connection failures: does Slurm say the job lost its allocation? */
  async isLost(attempt: AttemptRecord, signal?: AbortSignal): Promise<boolean> {
    const id = attempt.handle?.slurmJobId;
    if (typeof id !== 'string') return false;
    const look = await new SlurmCommands(this.connection(), this.opts.profile).look(id, signal);
    if (!look.job) return false;
    return mapSlurmState(look.job.state, look.job.reason).phase === 'lost' || look.job.restarts > 0;
  }

  async release(ctx: TargetContext): Promise<void> {
    // Nothing is rented; a job still queued or running for this attempt is cancelled so a lost
    // or abandoned attempt never keeps (or later takes) an allocation.
    const id = ctx.attempt.handle?.slurmJobId;
    if (typeof id !== 'string') return;
    const look = await new SlurmCommands(this.connection(), this.opts.profile).look(id).catch(() => undefined);
    if (look?.job && mapSlurmState(look.job.state).phase !== 'ended') await new SlurmCommands(this.connection(), this.opts.profile).cancel(id);
  }
}
