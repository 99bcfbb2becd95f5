import { buildDashboard, type DashboardViewModel, type OrphanInstance } from '../../core/cost/dashboard';
import type { JobStore } from '../../core/jobs/store';
import type { JobRecord } from '../../core/jobs/types';
import { errorMessage } from '../../core/util/errors';
import type { Logger } from '../../core/util/logger';
import { MIN_PUSH_INTERVAL_MS } from '../../shared/dashboardConstants';
import { parseWebviewMessage, type DashboardUiState, type HostToWebview, type WebviewToHost } from '../../shared/dashboardProtocol';

/**
 * The dashboard's host-side brain, free of `vscode` so it is unit-tested directly: it parses
 * every webview message (a bad one is logged and dropped, never acted on), checks action
 * requests against the job store, and pushes the view model: after `ready`, on every store
 * change and, while a job is active, every few seconds (its cost grows by the second). Pushes
 * are throttled to one per MIN_PUSH_INTERVAL_MS (at most 2 a second), and the last change in a
 * burst always gets through.
 */

/** What the panel does in the rest of the extension (its commands) or in the OS. */
export interface DashboardActions {
  resumeFrom(jobId: string, checkpoint: string): Promise<void>;
  downloadCheckpoint(jobId: string, checkpoint: string): Promise<void>;
  /** Shows a local file or folder in the OS file manager. */
  reveal(path: string): Promise<void>;
  openJobLogs(jobId: string): Promise<void>;
  runLocally(): Promise<void>;
}

/** Settings that shape the numbers, read on every push so a change shows at once. */
export interface DashboardSettings {
  monthlyCap?: number;
  dailyCap?: number;
  checkpointWarnAfterSec?: number;
  /** Day and month boundaries in UTC. */
  utc?: boolean;
}

/** Facts from outside the job store, when the extension has them. */
export interface DashboardSources {
  settings?: () => DashboardSettings;
  /** Average GPU utilization (percent) by job id. */
  gpuUtil?: () => Readonly<Record<string, number>> | undefined | Promise<Readonly<Record<string, number>> | undefined>;
  /** Instances found running with no live job (a provider scan). */
  orphans?: () => readonly OrphanInstance[] | Promise<readonly OrphanInstance[]>;
}

export interface DashboardControllerOptions extends DashboardSources {
  store: Pick<JobStore, 'list' | 'get'>;
  /** FERRY_HOME, named in the empty state. */
  home?: string;
  logger: Logger;
  post: (msg: HostToWebview) => PromiseLike<boolean> | boolean | void;
  actions: DashboardActions;
  /** The UI state a restored panel had. */
  ui?: DashboardUiState;
  /** The clock the numbers are computed for (tests). */
  now?: () => Date;
  minPushIntervalMs?: number;
  /** While a job is active, re-push this often (ms). Default 10 s; 0 turns it off. */
  tickMs?: number;
}

/**
 * The job id `ferry.openDashboard` was invoked with: a plain id, a Jobs-tree node (`{ kind:
 * 'job' | 'attempt' | 'checkpoints' | 'checkpoint', jobId }`) or anything holding `job.id`.
 */
export function jobIdFromArg(arg: unknown): string | undefined {
  if (typeof arg === 'string') return arg;
  if (typeof arg !== 'object' || arg === null) return undefined;
  const o = arg as { jobId?: unknown; job?: { id?: unknown } | null };
  if (typeof o.jobId === 'string') return o.jobId;
  if (typeof o.job === 'object' && o.job !== null && typeof o.job.id === 'string') return o.job.id;
  return undefined;
}

type ActionMessage = Extract<WebviewToHost, { type: 'downloadCheckpoint' | 'resumeFrom' | 'revealCheckpoint' | 'openJobLogs' | 'runLocally' }>;

/** A request the host refuses, with the reason shown in the webview. */
class Refused extends Error {}

export class DashboardController {
  private ui: DashboardUiState;
  private ready = false;
  private visible = true;
  private disposed = false;
  private dirty = false;
  private lastPushAt = Number.NEGATIVE_INFINITY;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private inFlight: Promise<void> | undefined;
  private readonly ticker: ReturnType<typeof setInterval> | undefined;
  private pendingSelect: { jobId: string | null } | undefined;
  private lastModel: DashboardViewModel | undefined;
  private readonly minInterval: number;
  /** Pushes posted so far (tests and the log). */
  pushes = 0;

  constructor(private readonly o: DashboardControllerOptions) {
    this.ui = { ...(o.ui ?? {}) };
    this.minInterval = o.minPushIntervalMs ?? MIN_PUSH_INTERVAL_MS;
    const tick = o.tickMs ?? 10_000;
    if (tick > 0) {
      this.ticker = setInterval(() => {
        if (this.lastModel?.jobs.some((j) => j.active)) this.schedulePush();
      }, tick);
      this.ticker.unref?.();
    }
  }

  get uiState(): DashboardUiState {
    return { ...this.ui };
  }

  get model(): DashboardViewModel | undefined {
    return this.lastModel;
  }

  /** A hidden webview is not pushed to; it gets the latest state when it shows again. */
  setVisible(visible: boolean): void {
    this.visible = visible;
    // A webview that is not retained is torn down when hidden and reloads when shown: its
    // next `ready` says when it can take messages again.
    if (!visible) this.ready = false;
    if (visible && this.dirty) this.schedulePush();
  }

  /** Selects a job from the host side (the Jobs tree's "show in dashboard"). */
  select(jobId: string | null): void {
    this.ui.selectedJobId = jobId;
    if (this.ready && this.lastModel) {
      void this.post({ type: 'selected', jobId });
      if (jobId !== null && !this.lastModel.chart.series.some((s) => s.jobId === jobId)) this.schedulePush();
    } else {
      this.pendingSelect = { jobId };
    }
  }

  /** Parses and handles one message from the webview. Never throws. */
  async handleMessage(raw: unknown): Promise<void> {
    if (this.disposed) return;
    const parsed = parseWebviewMessage(raw);
    if (!parsed.ok) {
      this.o.logger.warn(`dashboard: ignored a malformed message from the webview (${parsed.error})`);
      return;
    }
    const m = parsed.message;
    switch (m.type) {
      case 'ready':
        this.ready = true;
        if (m.ui) this.ui = { ...this.ui, ...m.ui };
        if (this.pendingSelect) this.ui.selectedJobId = this.pendingSelect.jobId;
        this.schedulePush();
        return;
      case 'selectJob': {
        this.ui.selectedJobId = m.jobId;
        const charted = this.lastModel?.chart.series.some((s) => s.jobId === m.jobId) ?? true;
        if (m.jobId !== null && !charted) this.schedulePush();
        return;
      }
      case 'setRange':
        if (this.ui.range !== m.range) {
          this.ui.range = m.range;
          this.schedulePush();
        }
        return;
      default:
        await this.runAction(m);
    }
  }

  private async runAction(m: ActionMessage): Promise<void> {
    try {
      await this.act(m);
      await this.post({ type: 'ack', requestId: m.requestId, ok: true });
    } catch (err) {
      const message = errorMessage(err);
      if (err instanceof Refused) this.o.logger.warn(`dashboard: ${m.type} refused: ${message}`);
      else this.o.logger.error(`dashboard: ${m.type} failed: ${message}`);
      await this.post({ type: 'ack', requestId: m.requestId, ok: false, message });
    }
  }

  private async act(m: ActionMessage): Promise<void> {
    const a = this.o.actions;
    switch (m.type) {
      case 'runLocally':
        return a.runLocally();
      case 'openJobLogs':
        await this.job(m.jobId);
        return a.openJobLogs(m.jobId);
      case 'resumeFrom': {
        const job = await this.job(m.jobId);
        this.checkpoint(job, m.checkpoint);
        if (job.state !== 'SUCCEEDED' && job.state !== 'FAILED' && job.state !== 'CANCELLED' && job.state !== 'STOPPED_BY_BUDGET') {
          throw new Refused(`job ${job.name} is ${job.state}; it can be resumed once it has finished`);
        }
        return a.resumeFrom(job.id, m.checkpoint);
      }
      case 'downloadCheckpoint': {
        const job = await this.job(m.jobId);
        const c = this.checkpoint(job, m.checkpoint);
        if (!c.locations.some((l) => l.kind !== 'local')) throw new Refused(`checkpoint ${c.name} has no copy to download from`);
        return a.downloadCheckpoint(job.id, c.name);
      }
      case 'revealCheckpoint': {
        const job = await this.job(m.jobId);
        const c = this.checkpoint(job, m.checkpoint);
        // The path comes from the job record, never from the webview.
        const local = c.locations.find((l) => l.kind === 'local');
        if (!local) throw new Refused(`checkpoint ${c.name} has no copy on this machine; download it first`);
        return a.reveal(local.uri);
      }
    }
  }

  private async job(jobId: string): Promise<JobRecord> {
    const job = await this.o.store.get(jobId);
    if (!job) throw new Refused(`no job with id ${jobId}`);
    return job;
  }

  private checkpoint(job: JobRecord, name: string): JobRecord['checkpoints'][number] {
    const c = job.checkpoints.find((x) => x.name === name);
    if (!c) throw new Refused(`job ${job.name} has no checkpoint ${name}`);
    return c;
  }

  // ---- pushing state -----------------------------------------------------------------------

  /** Asks for a state push: now if the last one is old enough, else once the interval has passed. */
  schedulePush(): void {
    if (this.disposed) return;
    this.dirty = true;
    if (!this.ready || !this.visible || this.timer !== undefined || this.inFlight !== undefined) return;
    const wait = Math.max(0, this.lastPushAt + this.minInterval - Date.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.pushNow();
    }, wait);
  }

  /** Resolves once no push is waiting or running (tests). */
  async idle(): Promise<void> {
    while (this.timer !== undefined || this.inFlight !== undefined) {
      if (this.inFlight) await this.inFlight;
      else await new Promise((r) => setTimeout(r, 5));
    }
  }

  private async pushNow(): Promise<void> {
    if (this.disposed || !this.dirty || !this.ready || !this.visible) return;
    this.dirty = false;
    this.lastPushAt = Date.now();
    const run = (async (): Promise<void> => {
      const model = await this.buildModel();
      if (!model || this.disposed) return;
      this.lastModel = model;
      this.pushes++;
      await this.post({ type: 'state', state: model });
      if (this.pendingSelect) {
        const { jobId } = this.pendingSelect;
        this.pendingSelect = undefined;
        await this.post({ type: 'selected', jobId });
      }
    })();
    this.inFlight = run;
    try {
      await run;
    } finally {
      this.inFlight = undefined;
      if (this.dirty) this.schedulePush();
    }
  }

  private async buildModel(): Promise<DashboardViewModel | undefined> {
    try {
      const [jobs, gpuUtil, orphans] = await Promise.all([this.o.store.list(), this.o.gpuUtil?.(), this.o.orphans?.()]);
      const s = this.o.settings?.() ?? {};
      const selected = this.ui.selectedJobId;
      return buildDashboard({
        jobs,
        now: this.o.now?.() ?? new Date(),
        range: this.ui.range,
        utc: s.utc,
        monthlyCap: s.monthlyCap,
        dailyCap: s.dailyCap,
        checkpointWarnAfterSec: s.checkpointWarnAfterSec,
        gpuUtil,
        orphans,
        chartJobIds: selected ? [selected] : [],
        home: this.o.home,
      });
    } catch (err) {
      this.o.logger.error(`dashboard: cannot read the job store: ${errorMessage(err)}`);
      return undefined;
    }
  }

  private async post(msg: HostToWebview): Promise<void> {
    if (this.disposed) return;
    try {
      await this.o.post(msg);
    } catch (err) {
      // The panel was closed between the check and the post: nothing to tell.
      this.o.logger.debug(`dashboard: post ${msg.type} failed: ${errorMessage(err)}`);
    }
  }

  dispose(): void {
    this.disposed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    if (this.ticker !== undefined) clearInterval(this.ticker);
    this.timer = undefined;
  }
}
