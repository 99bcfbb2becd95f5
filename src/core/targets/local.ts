import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { attemptDir, checkpointsDir, stagingDir } from '../jobs/paths';
import type { AttemptRecord, CheckpointRecord, JobRecord } from '../jobs/types';
import { SUPERVISOR_SCRIPT, parseExitFile, parseStepFile, signalOfExitCode } from '../remote/supervisor';
import { InfraError, UserError, throwIfAborted } from '../util/errors';
import { sampleLocalGpuUtil } from './gpuUtil';
import { copyAtomic, copyTree, isTempName, pathSize, stepFromName } from './localFs';
import type { ExitStatus, RunningJob, Target, TargetContext } from './target';
import { sleep } from '../util/sleep';

const POLL_MS = 200;

export interface LocalTargetOptions {
  /** USD per hour of this machine (setting `ferry.local.pricePerHour`, env FERRY_LOCAL_PRICE_PER_HOUR). */
  pricePerHour?: number;
  home: string;
}

/** Where one attempt of a local job lives. */
interface LocalPaths {
  work: string;
  meta: string;
  checkpointDir: string;
  outputDir: string;
}

function localPaths(home: string, job: JobRecord, attempt: number): LocalPaths {
  const work = stagingDir(home, job.id, attempt);
  return {
    work,
    meta: path.join(attemptDir(home, job.id, attempt), 'meta'),
    checkpointDir: path.resolve(work, job.spec.checkpoints.path),
    outputDir: path.join(work, 'outputs'),
  };
}

/** Environment every job gets (DESIGN.md, "The job"). */
export function ferryEnv(job: JobRecord, attempt: number, p: { checkpointDir: string; outputDir: string }, resumeFrom?: string): Record<string, string> {
  const env: Record<string, string> = {
    FERRY_JOB_ID: job.id,
    FERRY_JOB_NAME: job.name,
    FERRY_ATTEMPT: String(attempt),
    FERRY_CHECKPOINT_DIR: p.checkpointDir,
    FERRY_OUTPUT_DIR: p.outputDir,
  };
  if (resumeFrom) env.FERRY_RESUME_FROM = resumeFrom;
  return env;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}


async function readText(p: string): Promise<string | undefined> {
  return fs.readFile(p, 'utf8').catch(() => undefined);
}

/** A job running on this machine under the supervisor. Works the same after a controller restart. */
export class LocalRunningJob implements RunningJob {
  readonly handle: Record<string, string | number | boolean | null>;
  constructor(
    private readonly job: JobRecord,
    private readonly p: LocalPaths,
    private readonly pid: number,
  ) {
    this.handle = { kind: 'local', pid, meta: p.meta, work: p.work, log: this.logFile };
  }

  get logFile(): string {
    return path.join(this.p.meta, 'log');
  }

  async step(): Promise<'setup' | 'run' | 'done'> {
    return parseStepFile((await readText(path.join(this.p.meta, 'step'))) ?? '') ?? 'setup';
  }

  async readLog(offset: number): Promise<{ data: Buffer; next: number }> {
    const fh = await fs.open(this.logFile, 'r').catch(() => undefined);
    if (!fh) return { data: Buffer.alloc(0), next: offset };
    try {
      const { size } = await fh.stat();
      if (size <= offset) return { data: Buffer.alloc(0), next: offset };
      const len = Math.min(size - offset, 4 * 1024 * 1024);
      const buf = Buffer.alloc(len);
      const { bytesRead } = await fh.read(buf, 0, len, offset);
      return { data: buf.subarray(0, bytesRead), next: offset + bytesRead };
    } finally {
      await fh.close();
    }
  }

  /** The exit status if the job has ended, else undefined. */
  async poll(): Promise<ExitStatus | undefined> {
    const exit = parseExitFile((await readText(path.join(this.p.meta, 'exit'))) ?? '');
    if (exit) return { exitCode: exit.exitCode, step: exit.step, signal: signalOfExitCode(exit.exitCode) };
    if (!isAlive(this.pid) && !groupAlive(this.pid)) {
      // The supervisor was killed hard (SIGKILL, reboot) before it could write its exit file.
      const again = parseExitFile((await readText(path.join(this.p.meta, 'exit'))) ?? '');
      if (again) return { exitCode: again.exitCode, step: again.step, signal: signalOfExitCode(again.exitCode) };
      const step = await this.step();
      return { exitCode: null, signal: 'SIGKILL', step: step === 'setup' ? 'setup' : 'run' };
    }
    return undefined;
  }

  async wait(signal?: AbortSignal): Promise<ExitStatus> {
    for (;;) {
      const st = await this.poll();
      if (st) return st;
      await sleep(POLL_MS, signal);
    }
  }

  async stop(graceMs = 10_000): Promise<void> {
    if (!groupAlive(this.pid)) return;
    try {
      process.kill(-this.pid, 'SIGTERM');
    } catch {
      return;
    }
    const deadline = Date.now() + graceMs;
    while (Date.now() < deadline) {
      if (!groupAlive(this.pid)) return;
      await sleep(100);
    }
    try {
      process.kill(-this.pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
    while (groupAlive(this.pid)) await sleep(50);
  }

  async listCheckpoints(): Promise<Omit<CheckpointRecord, 'attempt' | 'locations'>[]> {
    const names = await fs.readdir(this.p.checkpointDir).catch(() => [] as string[]);
    const out: Omit<CheckpointRecord, 'attempt' | 'locations'>[] = [];
    for (const name of names.sort()) {
      if (isTempName(name)) continue;
      const full = path.join(this.p.checkpointDir, name);
      const st = await fs.lstat(full).catch(() => undefined);
      if (!st || st.isSymbolicLink()) continue;
      const sizeBytes = await pathSize(full).catch(() => 0);
      out.push({ name, sizeBytes, createdAt: new Date(st.mtimeMs).toISOString(), step: stepFromName(name) });
    }
    return out;
  }

  async fetchCheckpoint(name: string, destDir: string): Promise<string> {
    if (name.includes('/') || name.includes('\\') || name === '..' || name === '.') throw new UserError(`bad checkpoint name "${name}"`);
    const dest = path.join(destDir, name);
    await copyAtomic(path.join(this.p.checkpointDir, name), dest);
    return dest;
  }

  sampleGpuUtil(): Promise<number | undefined> {
    // The job's PATH, so a job that brings its own nvidia-smi (or a test's fake) is asked.
    return sampleLocalGpuUtil({ ...process.env, ...this.job.spec.env });
  }

  async fetchOutputs(destDir: string): Promise<string[]> {
    const copied: string[] = [];
    const sources = new Set<string>(['outputs', ...this.job.spec.outputs.map((o) => o.replace(/\/+$/, ''))]);
    for (const rel of sources) {
      const src = path.resolve(this.p.work, rel);
      if (!src.startsWith(this.p.work + path.sep)) continue; // never read outside the run dir
      if (!(await fs.lstat(src).catch(() => undefined))) continue;
      const dest = path.join(destDir, rel);
      await copyAtomic(src, dest);
      copied.push(dest);
    }
    return copied;
  }
}

/** Runs jobs on this machine, in a staging copy of the workdir under FERRY_HOME. */
export class LocalTarget implements Target {
  readonly ref = 'local';
  readonly kind = 'local' as const;
  constructor(private readonly opts: LocalTargetOptions) {}

  pricePerHour(): number {
    return this.opts.pricePerHour ?? 0;
  }

  async provision(): Promise<void> {
    // This machine is already here.
  }

  async sync(ctx: TargetContext): Promise<void> {
    const { job, attempt, signal } = ctx;
    const p = localPaths(this.opts.home, job, attempt.n);
    await fs.rm(p.work, { recursive: true, force: true });
    await copyTree(job.workdir, p.work, { exclude: job.spec.exclude, signal });
    const specDir = job.specFile ? path.dirname(job.specFile) : job.workdir;
    for (const d of job.spec.data) {
      throwIfAborted(signal);
      if (/^s3:\/\//i.test(d.from)) throw new UserError(`data: ${d.from}: s3:// sources are not supported on the local target yet`);
      const src = path.resolve(specDir, d.from);
      const dest = path.resolve(p.work, d.to);
      if (dest !== p.work && !dest.startsWith(p.work + path.sep)) throw new UserError(`data: "${d.to}" points outside the run folder`);
      const st = await fs.stat(src).catch(() => undefined);
      if (!st) throw new UserError(`data: ${d.from} does not exist (resolved to ${src})`);
      if (st.isDirectory()) await copyTree(src, dest, { signal, exclude: [] });
      else await copyAtomic(src, dest);
    }
  }

  async start(ctx: TargetContext): Promise<RunningJob> {
    const { job, attempt } = ctx;
    const p = localPaths(this.opts.home, job, attempt.n);
    await fs.mkdir(p.meta, { recursive: true });
    await fs.mkdir(p.checkpointDir, { recursive: true });
    await fs.mkdir(p.outputDir, { recursive: true });
    let resumePath: string | undefined;
    if (ctx.resumeFrom) {
      const src = path.join(checkpointsDir(this.opts.home, job.id), ctx.resumeFrom);
      if (!(await fs.lstat(src).catch(() => undefined))) throw new UserError(`checkpoint "${ctx.resumeFrom}" has no local copy (looked in ${src})`);
      resumePath = path.join(p.checkpointDir, ctx.resumeFrom);
      await copyAtomic(src, resumePath);
    }
    const supervisor = path.join(p.meta, 'supervisor.sh');
    await fs.writeFile(supervisor, SUPERVISOR_SCRIPT, { mode: 0o755 });
    await fs.writeFile(path.join(p.meta, 'setup.sh'), job.spec.setup ? `${job.spec.setup}\n` : '');
    await fs.writeFile(path.join(p.meta, 'run.sh'), `${job.spec.run}\n`);
    const env = { ...process.env, ...job.spec.env, ...ctx.env, ...ferryEnv(job, attempt.n, p, resumePath) };
    // detached: the supervisor leads a new session and process group, so it outlives the
    // controller and `stop` can signal the whole group.
    const child = spawn('sh', [supervisor, p.meta, p.work], { cwd: p.work, env, detached: true, stdio: 'ignore' });
    const pid = await new Promise<number>((resolve, reject) => {
      child.once('error', (err) => reject(new InfraError(`could not start the job: ${err.message}`, { cause: err })));
      child.once('spawn', () => resolve(child.pid ?? -1));
    });
    child.unref();
    if (pid <= 0) throw new InfraError('could not start the job: no process id');
    return new LocalRunningJob(job, p, pid);
  }

  async attach(job: JobRecord, attempt: AttemptRecord): Promise<RunningJob> {
    const pid = attempt.handle?.pid;
    if (typeof pid !== 'number') throw new InfraError(`job ${job.id} attempt ${attempt.n} has no process to attach to`);
    return new LocalRunningJob(job, localPaths(this.opts.home, job, attempt.n), pid);
  }

  async release(): Promise<void> {
    // Nothing to give back; the staging copy stays for inspection until the job is deleted.
  }
}
