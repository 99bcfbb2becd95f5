import type { CheckpointLocation, JobState } from '../jobs/types';

/**
 * The Cost & Checkpoints dashboard's view model: everything the webview shows, computed on the
 * host by `buildDashboard` (dashboard.ts) and sent whole. Plain JSON (no Dates, no Maps, no
 * undefined-vs-missing games) because it crosses postMessage. Amounts carry the number and the
 * text `formatUsd` makes of it, so the panel shows exactly what `ferry cost` prints.
 */

export const COST_RANGES = ['24h', '7d', '30d'] as const;
export type CostRange = (typeof COST_RANGES)[number];

export const RANGE_MS: Readonly<Record<CostRange, number>> = {
  '24h': 24 * 3_600_000,
  '7d': 7 * 24 * 3_600_000,
  '30d': 30 * 24 * 3_600_000,
};

/** An amount in USD and its display text (formatUsd). */
export interface Money {
  usd: number;
  text: string;
}

/** An instance that costs money with no live job behind it. */
export interface OrphanInstance {
  provider: string;
  instanceId: string;
  pricePerHour: number;
  /** ISO time it was first seen running (or the attempt's start). */
  since?: string;
  /** The finished job that left it behind, when known. */
  jobId?: string;
  /** Why it is listed: "job FAILED but its attempt never ended", "not in the job store"... */
  reason: string;
}

export interface OrphanView {
  provider: string;
  instanceId: string;
  pricePerHour: Money;
  since: string | null;
  jobId: string | null;
  reason: string;
}

/** A spending cap over a calendar period (this month, today). */
export interface CapBar {
  kind: 'month' | 'day';
  label: string;
  cap: Money;
  spent: Money;
  /** spent / cap (may exceed 1). */
  fraction: number;
  /** Spend at the period's end if every running job carries on (each stopped by its own max_duration and max_cost). */
  projected: Money;
  projectedFraction: number;
  /** ISO end of the period. */
  periodEnd: string;
  /** The projection goes over the cap. */
  overProjected: boolean;
}

/** A running job's budget.max_cost bar. */
export interface JobBudgetBar {
  jobId: string;
  name: string;
  state: JobState;
  maxCost: Money;
  spent: Money;
  fraction: number;
  burnRatePerHour: Money;
  projection: {
    /** What the projection runs to: the job's max_duration, else the end of this month. */
    basis: 'max_duration' | 'month_end';
    /** ISO time the projection is for. */
    until: string;
    cost: Money;
    fraction: number;
  };
  /** ISO time the spend reaches max_cost at the current rate, when that is before `projection.until`. */
  exhaustsAt: string | null;
  /** The budget is already spent. */
  exhausted: boolean;
}

export interface ProviderSpend {
  provider: string;
  cost: Money;
}

export interface SpendSummary {
  today: Money;
  month: Money;
  allTime: Money;
  /** Spend inside the chosen range: the same number as `ferry cost --since <range>`. */
  range: Money;
  burnRatePerHour: Money;
  /** All time, most expensive first. */
  perProvider: ProviderSpend[];
}

export interface ChartSeries {
  jobId: string;
  name: string;
  /** Cumulative cost of the job (all its attempts) at each x; null before the job started. */
  values: (number | null)[];
  /** budget.max_cost, for the budget line. */
  budget: number | null;
}

export interface CostChart {
  range: CostRange;
  /** Epoch seconds (uPlot's time unit), ascending, ending at now. */
  xs: number[];
  series: ChartSeries[];
  /** Jobs with spend in the range that were left out of the chart (only the most expensive are drawn). */
  omitted: number;
}

export interface JobRow {
  id: string;
  name: string;
  target: string;
  /** Who the latest attempt's money went to (vast, runpod, local, ssh:box). */
  provider: string;
  gpu: string | null;
  state: JobState;
  active: boolean;
  startedAt: string | null;
  endedAt: string | null;
  /** Wall time from the job's start to its end (or now), seconds. */
  durationSec: number;
  /** The running attempt's price, else the last attempt's. */
  pricePerHour: Money;
  /** Summed over every attempt. */
  cost: Money;
  attempts: number;
  /** Attempts that followed a lost or preempted one. */
  recoveries: number;
  /** Average GPU utilization in percent, when metrics exist. */
  avgGpuUtil: number | null;
  checkpointCount: number;
  latestCheckpointAt: string | null;
  preemptible: boolean;
}

export interface CheckpointItem {
  name: string;
  step: number | null;
  createdAt: string;
  sizeBytes: number;
  attempt: number;
  latest: boolean;
  locations: CheckpointLocation[];
  /** A copy on this machine exists (Reveal locally). */
  hasLocal: boolean;
  /** Copies exist elsewhere but not here (Download). */
  canDownload: boolean;
}

export interface StaleCheckpointWarning {
  jobId: string;
  jobName: string;
  /** Seconds since the last checkpoint (or since the running attempt started, when it wrote none). */
  sinceSec: number;
  thresholdSec: number;
  /** ISO time of the last checkpoint, null when the running attempt wrote none yet. */
  lastCheckpointAt: string | null;
  message: string;
}

export interface CheckpointTimeline {
  jobId: string;
  /** Newest first. */
  items: CheckpointItem[];
  latest: string | null;
  /** A finished job can be resumed from any of its checkpoints. */
  canResume: boolean;
  warning: StaleCheckpointWarning | null;
}

export interface DashboardViewModel {
  /** ISO time the numbers were computed for. */
  now: string;
  range: CostRange;
  /** No job at all: the panel shows what to do first. */
  empty: boolean;
  /** FERRY_HOME the jobs were read from (the empty state names it), when known. */
  home: string | null;
  spend: SpendSummary;
  caps: CapBar[];
  jobBudgets: JobBudgetBar[];
  orphans: { instances: OrphanView[]; burnRatePerHour: Money };
  chart: CostChart;
  /** Newest first (the store's order); the webview sorts. */
  jobs: JobRow[];
  /** By job id, for every job in `jobs`. */
  checkpoints: Record<string, CheckpointTimeline>;
  /** Every stale-checkpoint warning, for the warning strip. */
  warnings: StaleCheckpointWarning[];
}
