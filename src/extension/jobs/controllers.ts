/**
 * The jobs this extension host follows as their controller (DESIGN.md, "The job"). A job runs
 * detached on its target; the controller mirrors its log, brings checkpoints home, keeps the
 * cost and ends it. Here the controller lives inside the extension host:
 *
 * - `start` runs a new attempt (runJob), `attach` follows a started one (followJob);
 * - `cancel` aborts the runner, which stops the job (CANCELLED), as Ctrl-C does in the CLI;
 * - `detachAll` (deactivate, window reload) stops following WITHOUT stopping the job, and
 *   clears the controller field so the next window (or `ferry logs -f`) reattaches at once;
 * - `reattachOrphans` (activation) follows every active job whose controller died.
 *
 * No `vscode` here.
 */
import { hostname } from 'node:os';
import { controllerAlive } from '../../core/jobs/reconcile';
import { finalize, followJob, runJob, type RunnerOptions } from '../../core/jobs/runner';
import { isTerminal } from '../../core/jobs/stateMachine';
import type { JobStore } from '../../core/jobs/store';
import type { JobRecord } from '../../core/jobs/types';
import type { RunningJob, Target, TargetContext } from '../../core/targets/target';
import { CancelledError, FerryError, errorMessage, isCancelled } from '../../core/util/errors';
import type { Logger } from '../../core/util/logger';

/** Thrown inside the runner when this host stops following a job it does not stop. */
export class DetachedError extends FerryError {
  constructor() {
    super('stopped following the job (it keeps running)');
    this.name = 'DetachedError';
  }
}

export interface ControllerDeps {
  store: JobStore;
  home: string;
  logger: Logger;
  targetFor(ref: string): Promise<Target>;
  /** Settings that shape a runner (budget, grace); read when a run starts. */
  runnerDefaults(): Pick<RunnerOptions, 'monthlyBudget' | 'warnFraction' | 'stopGraceMs'>;
  /** Budget and autostop notices for the user. */
  onNotice?(job: JobRecord, message: string, level: 'info' | 'warning'): void;
  /** Every record the runner writes (the model shows it without waiting for the watch). */
  onUpdate?(job: JobRecord): void;
  /** A followed job ended (or following it failed). */
  onSettled?(jobId: string, result: { job?: JobRecord; error?: unknown }): void;
}

interface Followed {
  abort: AbortController;
  detach: AbortController;
  done: Promise<JobRecord | undefined>;
}

/** Rejects `wait()` once detached, so followJob returns without ending the job. */
class DetachableRunningJob implements RunningJob {
  constructor(
    private readonly inner: RunningJob,
    private readonly detached: AbortSignal,
  ) {}
  get handle(): RunningJob['handle'] {
    return this.inner.handle;
  }
  step(): ReturnType<RunningJob['step']> {
    return this.inner.step();
  }
  readLog(offset: number, signal?: AbortSignal): ReturnType<RunningJob['readLog']> {
    return this.inner.readLog(offset, signal);
  }
  async wait(signal?: AbortSignal): ReturnType<RunningJob['wait']> {
    if (this.detached.aborted) throw new DetachedError();
    const both = signal ? AbortSignal.any([signal, this.detached]) : this.detached;
    try {
      return await this.inner.wait(both);
    } catch (err) {
      if (this.detached.aborted) throw new DetachedError();
      throw err;
    }
  }
  stop(graceMs?: number): Promise<void> {
    return this.inner.stop(graceMs);
  }
  listCheckpoints(): ReturnType<RunningJob['listCheckpoints']> {
    return this.inner.listCheckpoints();
  }
  fetchCheckpoint(name: string, destDir: string, signal?: AbortSignal): Promise<string> {
    return this.inner.fetchCheckpoint(name, destDir, signal);
  }
  sampleGpuUtil(signal?: AbortSignal): Promise<number | undefined> {
    return this.inner.sampleGpuUtil ? this.inner.sampleGpuUtil(signal) : Promise.resolve(undefined);
  }
  fetchOutputs(destDir: string, signal?: AbortSignal): Promise<string[]> {
    return this.inner.fetchOutputs(destDir, signal);
  }
}

/** A target whose started jobs can be detached from. */
class DetachableTarget implements Target {
  constructor(
    private readonly inner: Target,
    private readonly detached: AbortSignal,
  ) {}
  get ref(): string {
    return this.inner.ref;
  }
  get kind(): Target['kind'] {
    return this.inner.kind;
  }
  pricePerHour(): number {
    return this.inner.pricePerHour();
  }
  provision(ctx: TargetContext): Promise<void> {
    return this.inner.provision(ctx);
  }
  sync(ctx: TargetContext): Promise<void> {
    return this.inner.sync(ctx);
  }
  async start(ctx: TargetContext): Promise<RunningJob> {
    return new DetachableRunningJob(await this.inner.start(ctx), this.detached);
  }
  async attach(job: JobRecord, attempt: JobRecord['attempts'][number]): Promise<RunningJob> {
    return new DetachableRunningJob(await this.inner.attach(job, attempt), this.detached);
  }
  release(ctx: TargetContext): Promise<void> {
    return this.inner.release(ctx);
  }
}

export interface StartOptions {
  resumeFrom?: string;
  onUpdate?(job: JobRecord): void;
}

export class JobControllers {
  private readonly followed = new Map<string, Followed>();
  private disposed = false;

  constructor(private readonly deps: ControllerDeps) {}

  isFollowing(jobId: string): boolean {
    return this.followed.has(jobId);
  }

  get followedIds(): string[] {
    return [...this.followed.keys()];
  }

  /** Runs a new attempt of a PENDING job under this host. Resolves when the job has ended. */
  start(jobId: string, target: Target, opts: StartOptions = {}): Promise<JobRecord | undefined> {
    return this.follow(jobId, (t, base) => runJob(jobId, { ...base, target: t, resumeFrom: opts.resumeFrom, onUpdate: this.updates(opts.onUpdate) }), target);
  }

  /** Follows a started attempt (after a reload, or for a job whose controller died). */
  async attach(job: JobRecord, onUpdate?: (job: JobRecord) => void): Promise<JobRecord | undefined> {
    const existing = this.followed.get(job.id);
    if (existing) return existing.done;
    const attempt = job.attempts[job.attempts.length - 1];
    if (!attempt?.handle) throw new FerryError(`job ${job.id} has no started attempt to follow`);
    const target = await this.deps.targetFor(job.target);
    return this.follow(
      job.id,
      async (t, base) => followJob(job.id, await t.attach(job, attempt), { ...base, target: t, onUpdate: this.updates(onUpdate) }),
      target,
    );
  }

  /** Aborts the runner of a followed job: it stops the job and ends it CANCELLED. */
  cancel(jobId: string): boolean {
    const f = this.followed.get(jobId);
    if (!f) return false;
    f.abort.abort();
    return true;
  }

  /** Resolves when the followed job ends (undefined when not followed here). */
  whenDone(jobId: string): Promise<JobRecord | undefined> | undefined {
    return this.followed.get(jobId)?.done;
  }

  /**
   * Follows every active job nobody follows any more (its controller process is gone), the
   * way `ferry logs -f` would. A job that never started is ended FAILED, as `ferry jobs` does.
   */
  async reattachOrphans(jobs: readonly JobRecord[]): Promise<string[]> {
    const taken: string[] = [];
    for (const job of jobs) {
      if (this.disposed) break;
      if (isTerminal(job.state) || this.followed.has(job.id) || controllerAlive(job)) continue;
      // Re-read right before taking over: another window may have just done so.
      const fresh = await this.deps.store.get(job.id).catch(() => undefined);
      if (!fresh || isTerminal(fresh.state) || controllerAlive(fresh)) continue;
      const attempt = fresh.attempts[fresh.attempts.length - 1];
      if (!attempt?.handle) {
        // A CLI may have created it a moment ago and be about to start it.
        if (fresh.state === 'PENDING' && Date.now() - Date.parse(fresh.createdAt) < 60_000) continue;
        await finalize(this.deps.store, fresh.id, { state: 'FAILED', exitCode: null, reason: 'the controller stopped before the job started', now: new Date() })
          .then((j) => this.deps.onUpdate?.(j))
          .catch((e) => this.deps.logger.warn(`reconcile ${fresh.id}: ${errorMessage(e)}`));
        continue;
      }
      this.deps.logger.info(`reattaching to ${fresh.name} (${fresh.id}), ${fresh.state} on ${fresh.target}`);
      taken.push(fresh.id);
      void this.attach(fresh).catch((e) => this.deps.logger.warn(`reattach ${fresh.id}: ${errorMessage(e)}`));
    }
    return taken;
  }

  /** Stops following every job without stopping any; their controller field is cleared. */
  async detachAll(): Promise<void> {
    this.disposed = true;
    const all = [...this.followed.entries()];
    for (const [, f] of all) f.detach.abort();
    await Promise.all(all.map(([, f]) => f.done.catch(() => undefined)));
    await Promise.all(
      all.map(([id]) =>
        this.deps.store
          .update(id, (r) => {
            if (r.controller?.pid === process.pid && r.controller.hostname === hostname()) r.controller = undefined;
          })
          .catch(() => undefined),
      ),
    );
  }

  private updates(extra?: (job: JobRecord) => void): (job: JobRecord) => void {
    return (job) => {
      this.deps.onUpdate?.(job);
      extra?.(job);
    };
  }

  private follow(
    jobId: string,
    run: (target: Target, base: Omit<RunnerOptions, 'target'>) => Promise<JobRecord>,
    target: Target,
  ): Promise<JobRecord | undefined> {
    if (this.disposed) return Promise.reject(new CancelledError('Ferry is shutting down'));
    const existing = this.followed.get(jobId);
    if (existing) return existing.done;
    const abort = new AbortController();
    const detach = new AbortController();
    const base: Omit<RunnerOptions, 'target'> = {
      store: this.deps.store,
      home: this.deps.home,
      logger: this.deps.logger,
      signal: abort.signal,
      ...this.deps.runnerDefaults(),
      onNotice: (n) => {
        const job = this.deps.store.get(jobId);
        void job.then((j) => j && this.deps.onNotice?.(j, n.message, n.level));
      },
    };
    const done = (async (): Promise<JobRecord | undefined> => {
      try {
        const job = await run(new DetachableTarget(target, detach.signal), base);
        this.deps.onSettled?.(jobId, { job });
        return job;
      } catch (err) {
        if (err instanceof DetachedError || detach.signal.aborted) return undefined;
        if (!isCancelled(err)) this.deps.logger.error(`job ${jobId}: ${errorMessage(err)}`);
        this.deps.onSettled?.(jobId, { error: err });
        throw err;
      } finally {
        this.followed.delete(jobId);
      }
    })();
    this.followed.set(jobId, { abort, detach, done });
    // A follower nobody awaits must not become an unhandled rejection.
    done.catch(() => undefined);
    return done;
  }
}
