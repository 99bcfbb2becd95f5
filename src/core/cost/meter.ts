import { isActive } from '../jobs/stateMachine';
import type { AttemptRecord, JobRecord, JobState } from '../jobs/types';

/**
 * The cost meter: money is usage intervals × price, computed from the job record alone, so the
 * CLI, the extension and the budget check agree to the cent. An open attempt (no endedAt) runs
 * until `now`. Nothing here rounds (see formatUsd) and nothing returns NaN: an interval with a
 * date that does not parse, or a price that is not a finite non-negative number, counts 0.
 */

const HOUR_MS = 3_600_000;

function validPrice(p: unknown): number {
  return typeof p === 'number' && Number.isFinite(p) && p > 0 ? p : 0;
}

function parseTime(iso: string | undefined): number {
  return typeof iso === 'string' ? Date.parse(iso) : Number.NaN;
}

/** The attempt's usage interval in epoch ms, or undefined when its dates are unusable. */
function interval(a: AttemptRecord, now: Date): { start: number; end: number } | undefined {
  const start = parseTime(a.startedAt);
  const end = a.endedAt === undefined ? now.getTime() : parseTime(a.endedAt);
  if (!Number.isFinite(start) || !Number.isFinite(end) || end <= start) return undefined;
  return { start, end };
}

/** price × hours of [startedAt, endedAt ?? now]. */
export function attemptCost(a: AttemptRecord, now: Date): number {
  return attemptCostBetween(a, Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY, now);
}

/** The part of the attempt's cost that falls inside [from, to] (epoch ms; infinities allowed). */
export function attemptCostBetween(a: AttemptRecord, from: number, to: number, now: Date): number {
  const price = validPrice(a.pricePerHour);
  if (price === 0) return 0;
  const iv = interval(a, now);
  if (!iv) return 0;
  const start = Math.max(iv.start, from);
  const end = Math.min(iv.end, to);
  return end > start ? (price * (end - start)) / HOUR_MS : 0;
}

/** Sum over every attempt of the job. */
export function jobCost(job: Pick<JobRecord, 'attempts'>, now: Date): number {
  let sum = 0;
  for (const a of job.attempts ?? []) sum += attemptCost(a, now);
  return sum;
}

/** USD per hour being spent right now: the price of every open attempt of every active job. */
export function burnRate(jobs: readonly Pick<JobRecord, 'state' | 'attempts'>[]): number {
  let rate = 0;
  for (const j of jobs) {
    if (!isActive(j.state)) continue;
    for (const a of j.attempts ?? []) if (a.endedAt === undefined) rate += validPrice(a.pricePerHour);
  }
  return rate;
}

export interface JobCostLine {
  id: string;
  name: string;
  target: string;
  state: JobState;
  /** USD inside the summary's window. */
  cost: number;
}

export interface CostSummary {
  /** USD inside [since, now] (all time without `since`). */
  total: number;
  /** USD since the start of today (local midnight, or UTC with `utc`). */
  today: number;
  /** USD since the start of this calendar month. */
  month: number;
  /** Jobs with usage inside the window, most expensive first. */
  perJob: JobCostLine[];
  /** USD inside the window by provider (the offer's provider, else the attempt's target). */
  perProvider: Record<string, number>;
  burnRatePerHour: number;
}

export interface SummarizeOptions {
  since?: Date;
  now: Date;
  /** Day and month boundaries in UTC instead of the local time zone. */
  utc?: boolean;
}

function startOfDay(now: Date, utc: boolean): number {
  return utc
    ? Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate())
    : new Date(now.getFullYear(), now.getMonth(), now.getDate()).getTime();
}

function startOfMonth(now: Date, utc: boolean): number {
  return utc ? Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1) : new Date(now.getFullYear(), now.getMonth(), 1).getTime();
}

/** The provider an attempt's money went to: `vast`, `runpod`..., or its target (`local`, `ssh:box`). */
export function attemptProvider(a: AttemptRecord, job: Pick<JobRecord, 'target'>): string {
  return a.offer?.provider || a.target || job.target;
}

/** The numbers behind `ferry cost` and the extension's cost view. */
export function summarizeCost(jobs: readonly JobRecord[], opts: SummarizeOptions): CostSummary {
  const nowMs = opts.now.getTime();
  const utc = opts.utc ?? false;
  const sinceMs = opts.since ? opts.since.getTime() : Number.NEGATIVE_INFINITY;
  const from = Number.isNaN(sinceMs) ? Number.NEGATIVE_INFINITY : sinceMs;
  const dayStart = startOfDay(opts.now, utc);
  const monthStart = startOfMonth(opts.now, utc);

  let total = 0;
  let today = 0;
  let month = 0;
  const perJob: JobCostLine[] = [];
  const perProvider: Record<string, number> = {};

  for (const job of jobs) {
    let jobTotal = 0;
    let used = false;
    for (const a of job.attempts ?? []) {
      const c = attemptCostBetween(a, from, nowMs, opts.now);
      today += attemptCostBetween(a, dayStart, nowMs, opts.now);
      month += attemptCostBetween(a, monthStart, nowMs, opts.now);
      const iv = interval(a, opts.now);
      // A free attempt (local at $0) still shows its job and provider when it ran in the window.
      const inWindow = iv !== undefined && iv.end > from && iv.start < nowMs;
      if (!inWindow && c === 0) continue;
      used = true;
      jobTotal += c;
      const provider = attemptProvider(a, job);
      perProvider[provider] = (perProvider[provider] ?? 0) + c;
    }
    total += jobTotal;
    if (used) perJob.push({ id: job.id, name: job.name, target: job.target, state: job.state, cost: jobTotal });
  }
  perJob.sort((x, y) => y.cost - x.cost || (x.id < y.id ? 1 : x.id > y.id ? -1 : 0));
  return { total, today, month, perJob, perProvider, burnRatePerHour: burnRate(jobs) };
}

const usd = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD', minimumFractionDigits: 2, maximumFractionDigits: 2 });

/** `$0.41`, `$1,234.50`; `<$0.01` for a nonzero amount that would otherwise show as `$0.00`. */
export function formatUsd(n: number): string {
  if (!Number.isFinite(n) || n === 0) return '$0.00';
  if (Math.abs(n) < 0.005) return n > 0 ? '<$0.01' : '-<$0.01';
  return usd.format(n);
}
