import { promises as fs } from 'node:fs';
import { hostname } from 'node:os';
import * as path from 'node:path';
import { mirrorCheckpoint, pruneMirror } from '../checkpoints/mirror';
import { ensureLocalCheckpoint, latestCheckpoint } from '../checkpoints/restore';
import type { S3ClientOptions } from '../s3/index';
import { BudgetGuard, IdleDetector, type Notice, type StopVerdict } from '../cost/budget';
import { jobCost, summarizeCost } from '../cost/meter';
import type { ExitStatus, RunningJob, Target, TargetContext } from '../targets/target';
import type { RetryEvent } from '../spec/types';
import { CancelledError, FerryError, InstanceLostError, errorMessage, isCancelled } from '../util/errors';
import type { Logger } from '../util/logger';
import { materializeS3Data } from './dataSources';
import { attemptDir, checkpointsDir, outputsDir } from './paths';
import { isTerminal } from './stateMachine';
import type { JobStore } from './store';
import type { AttemptRecord, CheckpointRecord, JobRecord, JobState } from './types';

/**
 * The runner drives one attempt of a job through its states around a Target:
 * PROVISIONING -> SYNCING -> SETUP -> RUNNING -> SUCCEEDED | FAILED | CANCELLED | STOPPED_BY_BUDGET.
 * While the job runs it mirrors the log home by byte offset, brings each complete checkpoint
 * home, keeps the cost current and enforces the budget's hard limits. It never owns the job's
 * life: the job runs detached under the supervisor, so a killed controller can `follow` again.
 */
export interface RunnerOptions {
  store: JobStore;
  home: string;
  target: Target;
  logger: Logger;
  /** Aborting cancels the job (stops it on the target). */
  signal?: AbortSignal;
  /** Live log bytes as they arrive (CLI foreground view, VS Code terminal). */
  onLog?: (chunk: Buffer) => void;
  /** The record after every change worth showing. */
  onUpdate?: (job: JobRecord) => void;
  /** Checkpoint name to resume from (sets FERRY_RESUME_FROM). */
  resumeFrom?: string;
  /** Extra environment for the job (resolved secrets). */
  env?: Record<string, string>;
  pollMs?: number;
  /** Grace between SIGTERM and SIGKILL when stopping. */
  stopGraceMs?: number;
  /** Start the log stream at this offset of the current attempt (reattach: where the viewer was). */
  logOffset?: number;
  now?: () => Date;
  /** Budget and autostop warnings, once each (also written to the job's events). */
  onNotice?: (n: Notice) => void;
  /** The monthly cap (config/settings); reaching it stops paid jobs. */
  monthlyBudget?: number;
  /** Fraction of a budget at which to warn (default 0.8). */
  warnFraction?: number;
  /** How often to sample GPU utilization for autostop (default 10 s; FERRY_GPU_SAMPLE_MS). */
  gpuSampleMs?: number;
  /** S3 endpoint and credentials for `checkpoints.mirror` (default: the AWS environment). */
  s3?: S3ClientOptions;
}

const DEFAULT_POLL_MS = 250;
const CHECKPOINT_EVERY_MS = 1000;

function iso(d: Date): string {
  return d.toISOString();
}

/** Where the log of an attempt is read from at home: the local target's own file, else a mirror. */
export function attemptLogPath(home: string, job: JobRecord, attempt: AttemptRecord): string {
  const local = attempt.handle?.log;
  return typeof local === 'string' ? local : path.join(attemptDir(home, job.id, attempt.n), 'log.txt');
}

function currentAttempt(job: JobRecord): AttemptRecord {
  const a = job.attempts[job.attempts.length - 1];
  if (!a) throw new FerryError(`job ${job.id} has no attempt`);
  return a;
}

/** Starts a new attempt of a PENDING job and follows it (and any recovery) to the end. */
export async function runJob(jobId: string, opts: RunnerOptions): Promise<JobRecord> {
  return driveJob(jobId, opts, undefined);
}

/**
 * Follows a started attempt to its end: logs, steps, checkpoints, cost, budget, and recovery
 * when the machine is lost. Used right after `start` and again after a controller restart.
 */
export async function followJob(jobId: string, running: RunningJob, opts: RunnerOptions): Promise<JobRecord> {
  return driveJob(jobId, opts, running);
}

/** What ended an attempt, before the job's fate is decided. */
interface AttemptOutcome {
  state: JobState;
  exitCode: number | null;
  reason: string;
  outputs: string[];
  /** Set when the attempt may be retried: which retry.on event it is. */
  retryEvent?: RetryEvent;
}

async function driveJob(jobId: string, opts: RunnerOptions, first: RunningJob | undefined): Promise<JobRecord> {
  const now = opts.now ?? (() => new Date());
  let running = first;
  let resumeFrom = opts.resumeFrom;
  let logOffset = opts.logOffset;
  const avoid: string[] = [];
  for (;;) {
    if (!running) {
      const started = await startAttempt(jobId, opts, resumeFrom, avoid);
      if ('final' in started) return started.final;
      running = started.running;
    }
    const outcome = await followAttempt(jobId, running, { ...opts, logOffset });
    running = undefined;
    logOffset = undefined;
    const job = await opts.store.get(jobId);
    if (!job) throw new FerryError(`job ${jobId} not found`);
    const retry = job.spec.retry;
    if (outcome.retryEvent && retry.on.includes(outcome.retryEvent) && job.attempts.length < retry.max_attempts && !isTerminal(job.state)) {
      // Recovery: end this attempt, then start the next one from the freshest checkpoint.
      const lost = job.attempts[job.attempts.length - 1];
      if (lost?.offer) avoid.push(lost.offer.id);
      resumeFrom = latestCheckpoint(job)?.name ?? resumeFrom;
      const recovering = await opts.store.transition(jobId, 'RECOVERING', {
        message: `${outcome.reason}; attempt ${job.attempts.length + 1} of ${retry.max_attempts}${resumeFrom ? ` from ${resumeFrom}` : ''}`,
        patch: (r) => {
          const a = r.attempts[r.attempts.length - 1];
          if (a && !a.endedAt) {
            a.endedAt = now().toISOString();
            a.exitCode = outcome.exitCode;
            a.exitReason = outcome.reason;
          }
          r.cost = jobCost(r, now());
        },
      });
      opts.onUpdate?.(recovering);
      opts.onNotice?.({ level: 'warning', code: 'budget-warn', message: `${job.name}: ${outcome.reason}; recovering (attempt ${job.attempts.length + 1} of ${retry.max_attempts})` });
      continue;
    }
    const final = await finalize(opts.store, jobId, { state: outcome.state, exitCode: outcome.exitCode, reason: outcome.reason, now: now(), outputs: outcome.outputs });
    opts.onUpdate?.(final);
    return final;
  }
}

/** Creates the attempt record, then provision, sync and start. */
async function startAttempt(
  jobId: string,
  opts: RunnerOptions,
  resumeFrom: string | undefined,
  avoid: string[],
): Promise<{ running: RunningJob } | { final: JobRecord }> {
  const { store, target } = opts;
  const now = opts.now ?? (() => new Date());
  const signal = opts.signal ?? new AbortController().signal;
  let job = await store.get(jobId);
  if (!job) throw new FerryError(`job ${jobId} not found`);
  if (resumeFrom) {
    // Resume from the freshest copy Ferry can reach: the local one, else the S3 mirror's.
    const ck = job.checkpoints.find((c) => c.name === resumeFrom);
    if (ck) await ensureLocalCheckpoint(opts.home, job, ck, opts.logger);
  }
  const attempt: AttemptRecord = {
    n: job.attempts.length + 1,
    target: target.ref,
    pricePerHour: target.pricePerHour(),
    startedAt: iso(now()),
    ...(resumeFrom ? { resumeFrom } : {}),
  };
  job = await store.transition(jobId, 'PROVISIONING', {
    message: resumeFrom ? `attempt ${attempt.n} on ${target.ref}, resuming from ${resumeFrom}` : `attempt ${attempt.n} on ${target.ref}`,
    patch: (r) => {
      r.attempts.push(attempt);
      r.controller = { pid: process.pid, hostname: hostname() };
      r.error = undefined;
      r.exitCode = null;
    },
  });
  opts.onUpdate?.(job);
  const record: TargetContext['record'] = async (patch) => {
    job = await store.update(jobId, (r) => {
      Object.assign(currentAttempt(r), patch);
    });
    Object.assign(attempt, patch);
    opts.onUpdate?.(job);
  };
  const ctx: TargetContext = { job, attempt, logger: opts.logger, signal, home: opts.home, resumeFrom, env: opts.env ?? {}, record, avoid };
  let running: RunningJob | undefined;
  try {
    await target.provision(ctx);
    job = await moveTo(store, jobId, 'SYNCING', opts);
    const data = await materializeS3Data(job.spec.data, { home: opts.home, signal, logger: opts.logger, s3: opts.s3 });
    await target.sync({ ...ctx, job: { ...job, spec: { ...job.spec, data } } });
    job = await moveTo(store, jobId, 'SETUP', opts);
    running = await target.start({ ...ctx, job });
    const handle = running.handle;
    job = await store.update(jobId, (r) => {
      const a = currentAttempt(r);
      a.handle = handle;
    });
    opts.onUpdate?.(job);
  } catch (err) {
    // Anything before the job started: give the machine back, record why, never leak an instance.
    if (running) await running.stop(opts.stopGraceMs).catch(() => undefined);
    await target.release(ctx).catch((e) => opts.logger.error(`release after a failed start: ${errorMessage(e)}`));
    const cancelled = isCancelled(err);
    const final = await finalize(store, jobId, {
      state: cancelled ? 'CANCELLED' : 'FAILED',
      exitCode: cancelled ? 130 : null,
      reason: cancelled ? 'cancelled' : errorMessage(err),
      now: now(),
    });
    opts.onUpdate?.(final);
    if (cancelled) return { final };
    throw err;
  }
  return { running };
}

const LOST_AFTER_FAILURES = 3;
const GIVE_UP_AFTER_FAILURES = 40;

/** Follows one attempt to its end; brings checkpoints and outputs home and releases the machine. */
async function followAttempt(jobId: string, running: RunningJob, opts: RunnerOptions): Promise<AttemptOutcome> {
  const { store } = opts;
  const now = opts.now ?? (() => new Date());
  const pollMs = opts.pollMs ?? DEFAULT_POLL_MS;
  const signal = opts.signal;
  let job = await store.get(jobId);
  if (!job) throw new FerryError(`job ${jobId} not found`);
  const attempt = currentAttempt(job);
  const mirror = typeof attempt.handle?.log === 'string' ? undefined : attemptLogPath(opts.home, job, attempt);
  let offset = opts.logOffset ?? 0;
  if (mirror) {
    // The mirror's size is exactly how much of the remote log we already have: no gap, no dup.
    await fs.mkdir(path.dirname(mirror), { recursive: true });
    const have = (await fs.stat(mirror).catch(() => undefined))?.size ?? 0;
    offset = Math.max(offset, have);
  }
  if (job.controller?.pid !== process.pid) {
    job = await store.update(jobId, (r) => {
      r.controller = { pid: process.pid, hostname: hostname() };
    });
  }

  const seen = new Map<string, string>(); // name -> size|mtime at the previous look
  const known = new Set(job.checkpoints.filter((c) => c.attempt === attempt.n).map((c) => c.name));
  let lastCheckpointLook = 0;
  let lastCostSave = Date.now();
  let stopReason: StopVerdict | undefined;
  const guard = new BudgetGuard({ warnFraction: opts.warnFraction, monthlyBudget: opts.monthlyBudget });
  const autostop = job.spec.autostop;
  const idle = autostop ? new IdleDetector({ idleMinutes: autostop.idle_minutes, minUtil: autostop.min_gpu_util, name: job.name }) : undefined;
  const gpuEvery = opts.gpuSampleMs ?? (Number(process.env.FERRY_GPU_SAMPLE_MS) || 10_000);
  let lastGpuSample = 0;
  let gpuMissingSaid = false;
  let monthSpent: number | undefined;
  let lastMonthLook = 0;
  const notify = async (n: Notice) => {
    opts.onNotice?.(n);
    await store.appendEvent(jobId, { type: 'note', message: `${n.level}: ${n.message}` }).catch(() => undefined);
  };
  let exit: ExitStatus | undefined;
  let waitErr: unknown;
  const waiter = running.wait().then(
    (st) => (exit = st),
    (e) => (waitErr = e),
  );
  void waiter;

  const drainLog = async () => {
    for (;;) {
      const { data, next } = await running.readLog(offset);
      if (data.length === 0) return;
      if (mirror) await fs.appendFile(mirror, data);
      offset = next;
      opts.onLog?.(data);
    }
  };

  const collectCheckpoints = async (final: boolean) => {
    const list = await running.listCheckpoints();
    const fresh: CheckpointRecord[] = [];
    for (const c of list) {
      if (known.has(c.name)) continue;
      const sig = `${c.sizeBytes}|${c.createdAt}`;
      // A checkpoint counts once it is unchanged across two looks (or the job has ended): a
      // file still being written under its final name is not taken for a whole one.
      if (!final && seen.get(c.name) !== sig) {
        seen.set(c.name, sig);
        continue;
      }
      const local = await running.fetchCheckpoint(c.name, checkpointsDir(opts.home, jobId)).catch((e) => {
        opts.logger.warn(`could not copy checkpoint ${c.name} home: ${errorMessage(e)}`);
        return undefined;
      });
      known.add(c.name);
      fresh.push({
        ...c,
        attempt: attempt.n,
        locations: [
          ...(running.handle.kind === 'local' ? [] : [{ kind: 'remote' as const, uri: `${attempt.target}:${c.name}` }]),
          ...(local ? [{ kind: 'local' as const, uri: local }] : []),
        ],
      });
    }
    if (fresh.length === 0) return;
    let pruned: string[] = [];
    job = await store.update(jobId, (r) => {
      r.checkpoints.push(...fresh);
      r.cost = jobCost(r, now());
      pruned = pruneCheckpointRecords(r);
    });
    for (const c of fresh) await store.appendEvent(jobId, { type: 'checkpoint', message: `${c.name}${c.step !== undefined ? ` (step ${c.step})` : ''}` });
    for (const p of pruned) await fs.rm(p, { recursive: true, force: true });
    opts.onUpdate?.(job);
    const mirror = job.spec.checkpoints.mirror;
    if (mirror) {
      for (const c of fresh) {
        const local = c.locations.find((l) => l.kind === 'local')?.uri;
        if (local) mirrors = mirrors.then(() => mirrorOne(mirror, c.name, local));
      }
    }
  };

  // S3 uploads run one after another beside the loop, so a large checkpoint never stalls the
  // log; the attempt waits for them before it ends.
  let mirrors: Promise<void> = Promise.resolve();
  const mirrorOne = async (mirror: string, name: string, localPath: string) => {
    try {
      const uri = await mirrorCheckpoint({ localPath, name, mirror, jobId, logger: opts.logger, s3: opts.s3 });
      job = await store.update(jobId, (r) => {
        const rec = r.checkpoints.find((c) => c.name === name);
        if (rec && !rec.locations.some((l) => l.kind === 's3')) rec.locations.push({ kind: 's3', uri });
      });
      const keep = job.spec.checkpoints.keep;
      if (keep) {
        const keepNames = job.checkpoints.slice(-keep).map((c) => c.name);
        await pruneMirror({ mirror, jobId, keepNames, logger: opts.logger, s3: opts.s3 });
      }
      opts.onUpdate?.(job);
    } catch (e) {
      opts.logger.warn(`could not mirror checkpoint ${name} to ${mirror}: ${errorMessage(e)}`);
    }
  };

  let failures = 0;
  let lostReason: string | undefined;
  let looked = false;
  try {
    for (;;) {
      if (signal?.aborted) throw new CancelledError();
      if (waitErr instanceof InstanceLostError) {
        lostReason = waitErr.message;
        break;
      }
      try {
        await drainLog();
        // A lost machine is not an end: the loop's top turns it into recovery.
        if (exit || (waitErr && !(waitErr instanceof InstanceLostError))) break;
        const step = await running.step();
        if (step === 'run' && job.state === 'SETUP') job = await moveTo(store, jobId, 'RUNNING', opts);
        if (running.status) {
          const st = running.status();
          const saved = currentAttempt(job).handle ?? {};
          if (Object.entries(st).some(([k, v]) => saved[k] !== v)) {
            job = await store.update(jobId, (r) => {
              const a = currentAttempt(r);
              a.handle = { ...a.handle, ...st };
            });
            opts.onUpdate?.(job);
          }
        }
        if (Date.now() - lastCheckpointLook >= CHECKPOINT_EVERY_MS) {
          lastCheckpointLook = Date.now();
          await collectCheckpoints(false);
          looked = true;
        }
        failures = 0;
      } catch (e) {
        if (isCancelled(e) || e instanceof FerryError === false) throw e;
        // The machine stopped answering. The connection layer reconnects with backoff; after a
        // few failures in a row ask the provider whether the machine is gone.
        failures++;
        opts.logger.warn(`${job.target}: ${errorMessage(e)} (${failures} in a row)`);
        if (failures >= LOST_AFTER_FAILURES && opts.target.isLost && (await opts.target.isLost(attempt).catch(() => false))) {
          lostReason = `instance lost (${errorMessage(e)})`;
          break;
        }
        if (failures >= GIVE_UP_AFTER_FAILURES) throw e;
        await new Promise((r) => setTimeout(r, Math.min(5000, 250 * 2 ** failures)));
        continue;
      }
      if (looked) {
        looked = false;
        const fresh = await store.get(jobId);
        if (fresh) job = fresh;
        if (isTerminal(job.state)) break; // stopped from elsewhere (`ferry stop`, the extension)
        if (opts.monthlyBudget !== undefined && Date.now() - lastMonthLook >= 30_000) {
          lastMonthLook = Date.now();
          monthSpent = summarizeCost(await store.list(), { now: now() }).month;
        }
      }
      {
        // Budgets are checked on every poll (cheap, in memory) so a limit is never overshot by
        // more than one poll interval.
        const verdict = guard.check(job, currentAttempt(job), now(), monthSpent);
        for (const n of verdict.notices) await notify(n);
        stopReason = verdict.stop;
        if (stopReason) break;
        if (idle && running.sampleGpuUtil && Date.now() - lastGpuSample >= gpuEvery) {
          lastGpuSample = Date.now();
          const util = await running.sampleGpuUtil().catch(() => undefined);
          if (util === undefined) {
            if (!gpuMissingSaid) opts.logger.warn(`autostop is set but ${job.target} reports no GPU utilization (nvidia-smi not found); autostop is off`);
            gpuMissingSaid = true;
          } else {
            job = await store.update(jobId, (r) => {
              const a = currentAttempt(r);
              const g = a.gpuUtil ?? { avg: 0, samples: 0, last: 0 };
              a.gpuUtil = { avg: (g.avg * g.samples + util) / (g.samples + 1), samples: g.samples + 1, last: util };
            });
            const v = idle.sample(util, Date.now());
            if (v.notice) await notify(v.notice);
            if (v.stop) {
              await notify({ level: 'warning', code: 'autostop-stop', message: `${job.name}: ${v.stop.reason}; stopping it` });
              stopReason = v.stop;
              break;
            }
          }
        }
        if (Date.now() - lastCostSave >= 5000) {
          lastCostSave = Date.now();
          job = await store.update(jobId, (r) => {
            r.cost = jobCost(r, now());
          });
          opts.onUpdate?.(job);
        }
      }
      await new Promise((r) => setTimeout(r, pollMs));
    }
  } catch (err) {
    if (!isCancelled(err)) throw err;
    stopReason = { state: 'CANCELLED', reason: 'cancelled' };
  }

  if (stopReason?.state === 'STOPPED_BY_BUDGET') {
    await notify({ level: 'warning', code: 'budget-stop', message: `${job.name}: ${stopReason.reason}; stopping it (checkpoints come home first)` });
  }
  if (lostReason) {
    // Nothing to stop or fetch on a machine that is gone; give it back (terminate) and recover.
    const ctxLost: TargetContext = { job, attempt, logger: opts.logger, signal: new AbortController().signal, home: opts.home, env: {} };
    await opts.target.release(ctxLost).catch((e) => opts.logger.error(`release failed: ${errorMessage(e)}`));
    return { state: 'FAILED', exitCode: null, reason: lostReason, outputs: [], retryEvent: 'preemption' };
  }
  if (stopReason || (isTerminal(job.state) && !exit)) {
    await running.stop(opts.stopGraceMs).catch((e) => opts.logger.error(`stop failed: ${errorMessage(e)}`));
    exit = await running.wait().catch(() => ({ exitCode: null, step: 'run' as const, signal: 'SIGKILL' }));
  }
  if (waitErr && !exit) throw waitErr;
  await drainLog().catch(() => undefined);
  await collectCheckpoints(true).catch((e) => opts.logger.warn(`checkpoints: ${errorMessage(e)}`));
  await mirrors;
  const outputs = await running.fetchOutputs(outputsDir(opts.home, jobId)).catch((e) => {
    opts.logger.warn(`outputs: ${errorMessage(e)}`);
    return [] as string[];
  });
  const ctx: TargetContext = { job, attempt, logger: opts.logger, signal: new AbortController().signal, home: opts.home, env: {} };
  await opts.target.release(ctx).catch((e) => opts.logger.error(`release failed: ${errorMessage(e)}`));

  const st = exit ?? { exitCode: null, step: 'run' as const };
  let state: JobState;
  let reason: string;
  if (stopReason) {
    state = stopReason.state;
    reason = stopReason.reason;
  } else if (st.exitCode === 0 && st.step === 'run') {
    state = 'SUCCEEDED';
    reason = 'exit 0';
  } else {
    state = 'FAILED';
    reason =
      st.reason ??
      (st.exitCode === null
        ? `killed${st.signal ? ` by ${st.signal}` : ''}`
        : st.step === 'setup'
          ? `setup failed with exit code ${st.exitCode}`
          : `exited with code ${st.exitCode}`);
  }
  const retryEvent: RetryEvent | undefined = !stopReason && state === 'FAILED' && st.step === 'run' && st.exitCode !== null ? 'error' : undefined;
  return { state, exitCode: st.exitCode, reason, outputs, ...(retryEvent ? { retryEvent } : {}) };
}

async function moveTo(store: JobStore, id: string, to: JobState, opts: RunnerOptions): Promise<JobRecord> {
  const job = await store.transition(id, to);
  opts.onUpdate?.(job);
  return job;
}

/**
 * Ends the current attempt and the job. Idempotent: when another process (a `ferry stop`, a
 * second controller) already ended the job, its state stands and only missing facts are added.
 */
export async function finalize(
  store: JobStore,
  id: string,
  f: { state: JobState; exitCode: number | null; reason: string; now: Date; outputs?: string[] },
): Promise<JobRecord> {
  const patch = (r: JobRecord) => {
    const a = r.attempts[r.attempts.length - 1];
    if (a && !a.endedAt) {
      a.endedAt = f.now.toISOString();
      a.exitCode = f.exitCode;
      a.exitReason = f.reason;
    }
    if (f.outputs?.length) r.outputs = [...new Set([...r.outputs, ...f.outputs])];
    if (r.exitCode === null && f.exitCode !== null) r.exitCode = f.exitCode;
    r.cost = jobCost(r, f.now);
    r.controller = undefined;
  };
  const cur = await store.get(id);
  if (cur && isTerminal(cur.state)) return store.update(id, patch);
  // SETUP -> SUCCEEDED is not a transition; a job that ended before we saw it run did run.
  if (cur?.state === 'SETUP' && f.state === 'SUCCEEDED') await store.transition(id, 'RUNNING');
  try {
    return await store.transition(id, f.state, {
      message: f.reason,
      patch: (r) => {
        patch(r);
        r.exitCode = f.exitCode;
        if (f.state !== 'SUCCEEDED') r.error = f.reason;
      },
    });
  } catch (err) {
    // Lost a race with another finalizer: keep its state, add our facts.
    const again = await store.get(id);
    if (again && isTerminal(again.state)) return store.update(id, patch);
    throw err;
  }
}

/**
 * Applies `checkpoints.keep` to the local copies: the newest `keep` stay; older ones lose their
 * local location (and their record, when no copy is left anywhere). Returns the paths to delete.
 */
export function pruneCheckpointRecords(job: JobRecord): string[] {
  const keep = job.spec.checkpoints.keep;
  if (!keep) return [];
  // Every place: the local copies are deleted here, the S3 copies by pruneMirror (same rule:
  // the newest `keep` names), remote copies go with the instance.
  const drop = job.checkpoints.slice(0, Math.max(0, job.checkpoints.length - keep));
  const paths: string[] = [];
  for (const c of drop) {
    for (const l of c.locations) if (l.kind === 'local') paths.push(l.uri);
    c.locations = c.locations.filter((l) => l.kind !== 'local' && l.kind !== 's3');
  }
  job.checkpoints = job.checkpoints.filter((c) => !drop.includes(c));
  return paths;
}
