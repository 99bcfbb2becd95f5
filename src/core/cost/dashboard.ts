import { isActive, isTerminal } from '../jobs/stateMachine';
import type { AttemptRecord, CheckpointRecord, JobRecord } from '../jobs/types';
import { attemptCostBetween, attemptProvider, burnRate, formatUsd, jobCost, summarizeCost } from './meter';
import {
  RANGE_MS,
  type CapBar,
  type ChartSeries,
  type CheckpointTimeline,
  type CostChart,
  type CostRange,
  type DashboardViewModel,
  type JobBudgetBar,
  type JobRow,
  type Money,
  type OrphanInstance,
  type OrphanView,
  type StaleCheckpointWarning,
} from './dashboardTypes';

export * from './dashboardTypes';

/**
 * Builds the Cost & Checkpoints dashboard's view model from job records alone (plus the few
 * facts the store does not hold: caps from settings, GPU metrics, orphans found by a provider
 * scan). Pure and vscode-free: the extension host calls it on every store change, the tests
 * call it with fixed dates. Every amount comes from meter.ts, so the panel and `ferry cost`
 * agree to the cent.
 */

export interface DashboardInput {
  jobs: readonly JobRecord[];
  now: Date;
  /** The chart's range and the "spend in range" figure. Default 7d. */
  range?: CostRange;
  /** Day and month boundaries in UTC instead of local time (as summarizeCost). */
  utc?: boolean;
  /** Monthly spending cap in USD (a setting); no bar without one. */
  monthlyCap?: number;
  /** Daily spending cap in USD (a setting); no bar without one. */
  dailyCap?: number;
  /** A preemptible running job with no checkpoint for longer than this gets a warning. Default 30 min. */
  checkpointWarnAfterSec?: number;
  /** Average GPU utilization (percent) by job id, when metrics were collected. */
  gpuUtil?: Readonly<Record<string, number>>;
  /** Orphans found outside the store (a provider scan); merged with those the store shows. */
  orphans?: readonly OrphanInstance[];
  /** How many jobs the chart draws (the most expensive in the range). Default 8. */
  chartMaxJobs?: number;
  /** Jobs the chart draws whatever their cost (the selected one). */
  chartJobIds?: readonly string[];
  /** FERRY_HOME, shown in the empty state. */
  home?: string;
}

const HOUR_MS = 3_600_000;
export const DEFAULT_CHECKPOINT_WARN_SEC = 30 * 60;
const DEFAULT_CHART_JOBS = 8;
/** Chart sample spacing per range; attempt starts and ends are added as exact breakpoints. */
const CHART_STEP_MS: Readonly<Record<CostRange, number>> = { '24h': 15 * 60_000, '7d': HOUR_MS, '30d': 6 * HOUR_MS };
/** Exit reasons that mean the machine was lost, so the next attempt is a recovery. */
const LOST_REASON = /preempt|interrupt|instance lost|lost instance|reclaim|evict|spot|recover|host (?:went )?down/i;

export function money(usd: number): Money {
  return { usd, text: formatUsd(usd) };
}

function ms(iso: string | undefined | null): number {
  return typeof iso === 'string' ? Date.parse(iso) : Number.NaN;
}

function validPrice(p: unknown): number {
  return typeof p === 'number' && Number.isFinite(p) && p > 0 ? p : 0;
}

function periodBounds(now: Date, utc: boolean): { dayEnd: number; monthEnd: number } {
  if (utc) {
    return {
      dayEnd: Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1),
      monthEnd: Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1),
    };
  }
  return {
    dayEnd: new Date(now.getFullYear(), now.getMonth(), now.getDate() + 1).getTime(),
    monthEnd: new Date(now.getFullYear(), now.getMonth() + 1, 1).getTime(),
  };
}

/** When the job started: its startedAt, else its first attempt's start. */
function jobStartMs(job: JobRecord): number {
  const s = ms(job.startedAt);
  if (Number.isFinite(s)) return s;
  return ms(job.attempts[0]?.startedAt);
}

/** USD/hour this job is spending now: its open attempts' prices, while it is active. */
export function jobBurnRate(job: Pick<JobRecord, 'state' | 'attempts'>): number {
  return burnRate([job]);
}

/** max_duration's end (epoch ms) for a job that has one and has started. */
function deadlineMs(job: JobRecord): number | undefined {
  const d = job.spec?.budget?.max_duration;
  const start = jobStartMs(job);
  if (typeof d !== 'number' || !(d > 0) || !Number.isFinite(start)) return undefined;
  return start + d * 1000;
}

function maxCostOf(job: JobRecord): number | undefined {
  const c = job.spec?.budget?.max_cost;
  return typeof c === 'number' && Number.isFinite(c) && c > 0 ? c : undefined;
}

/**
 * What the job will still spend between now and `until` if it carries on at its current rate:
 * it stops at its max_duration, and the budget check stops it once max_cost is spent.
 */
export function projectedExtraSpend(job: JobRecord, now: Date, until: number): number {
  const rate = jobBurnRate(job);
  if (rate === 0) return 0;
  const end = Math.min(until, deadlineMs(job) ?? Number.POSITIVE_INFINITY);
  const hours = Math.max(0, end - now.getTime()) / HOUR_MS;
  let extra = rate * hours;
  const cap = maxCostOf(job);
  if (cap !== undefined) extra = Math.min(extra, Math.max(0, cap - jobCost(job, now)));
  return extra;
}

function capBar(kind: CapBar['kind'], cap: number, spent: number, projected: number, periodEnd: number): CapBar {
  return {
    kind,
    label: kind === 'month' ? 'This month' : 'Today',
    cap: money(cap),
    spent: money(spent),
    fraction: spent / cap,
    projected: money(projected),
    projectedFraction: projected / cap,
    periodEnd: new Date(periodEnd).toISOString(),
    overProjected: projected > cap,
  };
}

export function jobBudgetBar(job: JobRecord, now: Date, monthEnd: number): JobBudgetBar | undefined {
  const maxCost = maxCostOf(job);
  if (maxCost === undefined || !isActive(job.state)) return undefined;
  const spent = jobCost(job, now);
  const rate = jobBurnRate(job);
  const deadline = deadlineMs(job);
  const until = deadline ?? monthEnd;
  const projected = spent + rate * (Math.max(0, until - now.getTime()) / HOUR_MS);
  let exhaustsAt: string | null = null;
  if (rate > 0 && spent < maxCost) {
    const t = now.getTime() + ((maxCost - spent) / rate) * HOUR_MS;
    if (t <= until) exhaustsAt = new Date(Math.round(t)).toISOString();
  }
  return {
    jobId: job.id,
    name: job.name,
    state: job.state,
    maxCost: money(maxCost),
    spent: money(spent),
    fraction: spent / maxCost,
    burnRatePerHour: money(rate),
    projection: {
      basis: deadline === undefined ? 'month_end' : 'max_duration',
      until: new Date(until).toISOString(),
      cost: money(projected),
      fraction: projected / maxCost,
    },
    exhaustsAt,
    exhausted: spent >= maxCost,
  };
}

/** Attempts that followed one whose machine was lost (preempted, reclaimed): SkyPilot's #RECOVERIES. */
export function countRecoveries(attempts: readonly AttemptRecord[]): number {
  let n = 0;
  for (let i = 1; i < attempts.length; i++) {
    const reason = attempts[i - 1]?.exitReason;
    if (typeof reason === 'string' && LOST_REASON.test(reason)) n++;
  }
  return n;
}

/** A job whose machine can be taken away: spot by spec, a spot offer, or one that was already preempted. */
export function isPreemptible(job: JobRecord): boolean {
  if (job.spec?.resources?.spot === 'spot') return true;
  const last = job.attempts[job.attempts.length - 1];
  if ((last?.offer as { spot?: unknown } | undefined)?.spot === true) return true;
  return countRecoveries(job.attempts) > 0;
}

function latestCheckpoint(cps: readonly CheckpointRecord[]): CheckpointRecord | undefined {
  let best: CheckpointRecord | undefined;
  for (const c of cps) {
    if (!best) {
      best = c;
      continue;
    }
    const a = ms(c.createdAt);
    const b = ms(best.createdAt);
    // Ties (and unparsable dates) fall back to the step, then to store order.
    if (a > b || (!(a < b) && (c.step ?? -1) >= (best.step ?? -1))) best = c;
  }
  return best;
}

/**
 * The "no checkpoint for too long" warning: a RUNNING, preemptible job whose last checkpoint
 * (or, when the running attempt wrote none, whose attempt start) is older than the threshold.
 * Work done since then is what a preemption would throw away.
 */
export function staleCheckpointWarning(job: JobRecord, now: Date, thresholdSec: number): StaleCheckpointWarning | null {
  if (job.state !== 'RUNNING' || !isPreemptible(job)) return null;
  const open = [...job.attempts].reverse().find((a) => a.endedAt === undefined);
  const attemptStart = ms(open?.startedAt);
  const last = latestCheckpoint(job.checkpoints);
  const lastAt = ms(last?.createdAt);
  const ref = Math.max(Number.isFinite(attemptStart) ? attemptStart : Number.NEGATIVE_INFINITY, Number.isFinite(lastAt) ? lastAt : Number.NEGATIVE_INFINITY);
  if (!Number.isFinite(ref)) return null;
  const sinceSec = Math.floor((now.getTime() - ref) / 1000);
  if (sinceSec <= thresholdSec) return null;
  const lastCheckpointAt = Number.isFinite(lastAt) && lastAt >= attemptStart ? new Date(lastAt).toISOString() : null;
  const mins = Math.round(sinceSec / 60);
  const message =
    lastCheckpointAt === null
      ? `${job.name} runs on a preemptible machine and has written no checkpoint in ${mins} min of this attempt`
      : `${job.name} runs on a preemptible machine and its last checkpoint is ${mins} min old`;
  return { jobId: job.id, jobName: job.name, sinceSec, thresholdSec, lastCheckpointAt, message };
}

export function checkpointTimeline(job: JobRecord, now: Date, thresholdSec: number): CheckpointTimeline {
  const latest = latestCheckpoint(job.checkpoints);
  const items = job.checkpoints.map((c) => {
    const locations = (c.locations ?? []).map((l) => ({ kind: l.kind, uri: l.uri }));
    const hasLocal = locations.some((l) => l.kind === 'local');
    return {
      name: c.name,
      step: typeof c.step === 'number' && Number.isFinite(c.step) ? c.step : null,
      createdAt: c.createdAt,
      sizeBytes: typeof c.sizeBytes === 'number' && Number.isFinite(c.sizeBytes) ? c.sizeBytes : 0,
      attempt: c.attempt,
      latest: c === latest,
      locations,
      hasLocal,
      canDownload: !hasLocal && locations.length > 0,
    };
  });
  items.sort((a, b) => ms(b.createdAt) - ms(a.createdAt) || (b.step ?? -1) - (a.step ?? -1) || (a.latest ? -1 : b.latest ? 1 : 0));
  return {
    jobId: job.id,
    items,
    latest: latest?.name ?? null,
    canResume: isTerminal(job.state) && items.length > 0,
    warning: staleCheckpointWarning(job, now, thresholdSec),
  };
}

function clampUtil(v: number | undefined): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? Math.min(100, Math.max(0, v)) : null;
}

/** Mean GPU utilization the runner sampled over every attempt, weighted by sample count. */
export function recordedGpuUtil(job: JobRecord): number | undefined {
  let sum = 0;
  let n = 0;
  for (const a of job.attempts) {
    if (!a.gpuUtil || a.gpuUtil.samples <= 0 || !Number.isFinite(a.gpuUtil.avg)) continue;
    sum += a.gpuUtil.avg * a.gpuUtil.samples;
    n += a.gpuUtil.samples;
  }
  return n > 0 ? sum / n : undefined;
}

export function jobRow(job: JobRecord, now: Date, gpuUtil?: number): JobRow {
  const last = job.attempts[job.attempts.length - 1];
  const open = [...job.attempts].reverse().find((a) => a.endedAt === undefined);
  const active = isActive(job.state);
  const start = jobStartMs(job);
  let end = ms(job.endedAt);
  if (!Number.isFinite(end)) end = active ? now.getTime() : ms(last?.endedAt);
  if (!Number.isFinite(end)) end = now.getTime();
  const latest = latestCheckpoint(job.checkpoints);
  const util = clampUtil(gpuUtil ?? recordedGpuUtil(job));
  return {
    id: job.id,
    name: job.name,
    target: job.target,
    provider: last ? attemptProvider(last, job) : job.target,
    gpu: last?.offer?.gpu ?? job.spec?.resources?.gpu?.raw ?? null,
    state: job.state,
    active,
    startedAt: Number.isFinite(start) ? new Date(start).toISOString() : null,
    endedAt: job.endedAt ?? null,
    durationSec: Number.isFinite(start) ? Math.max(0, Math.floor((end - start) / 1000)) : 0,
    pricePerHour: money(validPrice((active && open ? open : last)?.pricePerHour)),
    cost: money(jobCost(job, now)),
    attempts: job.attempts.length,
    recoveries: countRecoveries(job.attempts),
    avgGpuUtil: util,
    checkpointCount: job.checkpoints.length,
    latestCheckpointAt: latest?.createdAt ?? null,
    preemptible: isPreemptible(job),
  };
}

/** Cost of the job's usage up to `t` (epoch ms). */
function costUpTo(job: JobRecord, t: number, now: Date): number {
  let sum = 0;
  for (const a of job.attempts) sum += attemptCostBetween(a, Number.NEGATIVE_INFINITY, t, now);
  return sum;
}

/**
 * Cumulative spend per job over [now - range, now]: the most expensive jobs in the range (plus
 * any asked for), on one shared time axis. Cost is linear between attempt starts and ends, so
 * a regular grid plus those breakpoints draws every curve exactly.
 */
export function costChart(jobs: readonly JobRecord[], now: Date, range: CostRange, maxJobs: number, include: readonly string[] = []): CostChart {
  const to = now.getTime();
  const from = to - RANGE_MS[range];
  const inRange = jobs
    .map((j) => ({ j, c: j.attempts.reduce((s, a) => s + attemptCostBetween(a, from, to, now), 0) }))
    .filter(({ j, c }) => c > 0 || j.attempts.some((a) => ms(a.startedAt) < to && (a.endedAt === undefined || ms(a.endedAt) > from)));
  inRange.sort((x, y) => y.c - x.c || (x.j.id < y.j.id ? 1 : -1));
  const wanted = new Set(include);
  const chosen = inRange.filter((e, i) => i < maxJobs || wanted.has(e.j.id)).map((e) => e.j);

  const step = CHART_STEP_MS[range];
  const xsMs = new Set<number>();
  for (let t = to; t > from; t -= step) xsMs.add(t);
  xsMs.add(from);
  for (const j of chosen) {
    for (const a of j.attempts) {
      for (const t of [ms(a.startedAt), ms(a.endedAt)]) if (Number.isFinite(t) && t > from && t < to) xsMs.add(t);
    }
  }
  const xs = [...xsMs].sort((a, b) => a - b);

  const series: ChartSeries[] = chosen.map((j) => {
    const first = Math.min(...j.attempts.map((a) => ms(a.startedAt)).filter(Number.isFinite));
    return {
      jobId: j.id,
      name: j.name,
      values: xs.map((t) => (t < first ? null : costUpTo(j, t, now))),
      budget: maxCostOf(j) ?? null,
    };
  });
  return { range, xs: xs.map((t) => t / 1000), series, omitted: inRange.length - chosen.length };
}

/**
 * Instances that cost money with no live job: those passed in (a provider scan) and those the
 * store itself shows (a finished job with an attempt that never ended and names an instance).
 */
export function orphanViews(jobs: readonly JobRecord[], extra: readonly OrphanInstance[] = []): OrphanView[] {
  const out = new Map<string, OrphanView>();
  const add = (o: OrphanInstance): void => {
    const key = `${o.provider}\u0000${o.instanceId}`;
    if (out.has(key)) return;
    out.set(key, {
      provider: o.provider,
      instanceId: o.instanceId,
      pricePerHour: money(validPrice(o.pricePerHour)),
      since: o.since ?? null,
      jobId: o.jobId ?? null,
      reason: o.reason,
    });
  };
  for (const o of extra) add(o);
  for (const j of jobs) {
    if (!isTerminal(j.state)) continue;
    for (const a of j.attempts) {
      if (a.endedAt !== undefined || !a.instanceId) continue;
      add({
        provider: attemptProvider(a, j),
        instanceId: a.instanceId,
        pricePerHour: a.pricePerHour,
        since: a.startedAt,
        jobId: j.id,
        reason: `job ${j.name} is ${j.state} but attempt ${a.n} never ended`,
      });
    }
  }
  return [...out.values()].sort((a, b) => b.pricePerHour.usd - a.pricePerHour.usd || a.instanceId.localeCompare(b.instanceId));
}

export function buildDashboard(input: DashboardInput): DashboardViewModel {
  const { jobs, now } = input;
  const range = input.range ?? '7d';
  const utc = input.utc ?? false;
  const threshold = input.checkpointWarnAfterSec ?? DEFAULT_CHECKPOINT_WARN_SEC;
  const { dayEnd, monthEnd } = periodBounds(now, utc);

  // The same calls `ferry cost` makes: all time, and `--since <range>`.
  const all = summarizeCost(jobs, { now, utc });
  const inRange = summarizeCost(jobs, { now, utc, since: new Date(now.getTime() - RANGE_MS[range]) });

  const caps: CapBar[] = [];
  if (typeof input.monthlyCap === 'number' && input.monthlyCap > 0) {
    const extra = jobs.reduce((s, j) => s + projectedExtraSpend(j, now, monthEnd), 0);
    caps.push(capBar('month', input.monthlyCap, all.month, all.month + extra, monthEnd));
  }
  if (typeof input.dailyCap === 'number' && input.dailyCap > 0) {
    const extra = jobs.reduce((s, j) => s + projectedExtraSpend(j, now, dayEnd), 0);
    caps.push(capBar('day', input.dailyCap, all.today, all.today + extra, dayEnd));
  }

  const jobBudgets = jobs.map((j) => jobBudgetBar(j, now, monthEnd)).filter((b): b is JobBudgetBar => b !== undefined);
  const orphans = orphanViews(jobs, input.orphans);
  const checkpoints: Record<string, CheckpointTimeline> = {};
  const warnings: StaleCheckpointWarning[] = [];
  for (const j of jobs) {
    const t = checkpointTimeline(j, now, threshold);
    checkpoints[j.id] = t;
    if (t.warning) warnings.push(t.warning);
  }

  return {
    now: now.toISOString(),
    range,
    empty: jobs.length === 0,
    home: input.home ?? null,
    spend: {
      today: money(all.today),
      month: money(all.month),
      allTime: money(all.total),
      range: money(inRange.total),
      burnRatePerHour: money(all.burnRatePerHour),
      perProvider: Object.entries(all.perProvider)
        .map(([provider, usd]) => ({ provider, cost: money(usd) }))
        .sort((a, b) => b.cost.usd - a.cost.usd || a.provider.localeCompare(b.provider)),
    },
    caps,
    jobBudgets,
    orphans: { instances: orphans, burnRatePerHour: money(orphans.reduce((s, o) => s + o.pricePerHour.usd, 0)) },
    chart: costChart(jobs, now, range, input.chartMaxJobs ?? DEFAULT_CHART_JOBS, input.chartJobIds),
    jobs: jobs.map((j) => jobRow(j, now, input.gpuUtil?.[j.id])),
    checkpoints,
    warnings,
  };
}
