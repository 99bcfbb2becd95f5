import type { AttemptRecord, JobRecord, JobState } from '../jobs/types';
import { formatDuration } from '../spec/duration';
import { formatUsd, jobCost } from './meter';

/** Something the user should hear about (CLI line, notification, status bar). */
export interface Notice {
  level: 'info' | 'warning';
  code: 'budget-warn' | 'budget-stop' | 'monthly-warn' | 'monthly-stop' | 'autostop-warn' | 'autostop-stop';
  message: string;
}

export interface StopVerdict {
  state: JobState;
  reason: string;
}

/**
 * Watches one job's budget: warns once at `warnFraction` of max_cost, max_duration and the
 * monthly cap, and says stop at 100%. Pure: the runner feeds it the clock and the month's spend.
 */
export class BudgetGuard {
  private readonly warned = new Set<string>();
  constructor(private readonly opts: { warnFraction?: number; monthlyBudget?: number } = {}) {}

  check(job: JobRecord, attempt: AttemptRecord, now: Date, monthSpent?: number): { notices: Notice[]; stop?: StopVerdict } {
    const frac = this.opts.warnFraction ?? 0.8;
    const notices: Notice[] = [];
    const warnOnce = (key: string, n: Notice) => {
      if (this.warned.has(key)) return;
      this.warned.add(key);
      notices.push(n);
    };
    const { max_duration, max_cost } = job.spec.budget;
    if (max_duration !== undefined) {
      // Time used by every attempt: a resumed job does not get a fresh allowance.
      const ran = job.attempts.reduce((t, a) => {
        const start = Date.parse(a.startedAt);
        const end = a.endedAt ? Date.parse(a.endedAt) : now.getTime();
        return Number.isFinite(start) && Number.isFinite(end) && end > start ? t + (end - start) / 1000 : t;
      }, 0);
      if (ran >= max_duration) {
        return { notices, stop: { state: 'STOPPED_BY_BUDGET', reason: `ran past budget.max_duration (${formatDuration(max_duration)})` } };
      }
      if (ran >= frac * max_duration) {
        warnOnce('duration', { level: 'warning', code: 'budget-warn', message: `${job.name} has used ${Math.round((ran / max_duration) * 100)}% of budget.max_duration (${formatDuration(max_duration)}); it will be stopped at 100%` });
      }
    }
    if (max_cost !== undefined && max_cost > 0) {
      const cost = jobCost(job, now);
      if (cost >= max_cost) return { notices, stop: { state: 'STOPPED_BY_BUDGET', reason: `reached budget.max_cost (${formatUsd(max_cost)})` } };
      if (cost >= frac * max_cost) {
        warnOnce('cost', { level: 'warning', code: 'budget-warn', message: `${job.name} has spent ${formatUsd(cost)} of its ${formatUsd(max_cost)} budget; it will be stopped at 100%` });
      }
    }
    const cap = this.opts.monthlyBudget;
    if (cap !== undefined && monthSpent !== undefined && attempt.pricePerHour > 0) {
      if (monthSpent >= cap) return { notices, stop: { state: 'STOPPED_BY_BUDGET', reason: `the monthly budget (${formatUsd(cap)}) is spent` } };
      if (monthSpent >= frac * cap) {
        warnOnce('monthly', { level: 'warning', code: 'monthly-warn', message: `${formatUsd(monthSpent)} of the ${formatUsd(cap)} monthly budget is spent; paid jobs stop at 100%` });
      }
    }
    return { notices };
  }
}

/**
 * Autostop: a job whose GPU utilization stays under `minUtil` for `idleMinutes` is stalled.
 * Warns at half the window, says stop at the end of it. Any sample at or over the threshold
 * resets the window.
 */
export class IdleDetector {
  private idleSince: number | undefined;
  private warned = false;
  constructor(private readonly opts: { idleMinutes: number; minUtil: number; name: string }) {}

  sample(utilPercent: number, atMs: number): { notice?: Notice; stop?: StopVerdict } {
    const windowMs = this.opts.idleMinutes * 60_000;
    if (utilPercent >= this.opts.minUtil) {
      this.idleSince = undefined;
      this.warned = false;
      return {};
    }
    this.idleSince ??= atMs;
    const idle = atMs - this.idleSince;
    const what = `GPU utilization under ${this.opts.minUtil}%`;
    if (idle >= windowMs) {
      return { stop: { state: 'STOPPED_BY_BUDGET', reason: `autostop: ${what} for ${formatDuration(Math.round(windowMs / 1000))}` } };
    }
    if (!this.warned && idle >= windowMs / 2) {
      this.warned = true;
      return { notice: { level: 'warning', code: 'autostop-warn', message: `${this.opts.name} looks stalled (${what} for ${formatDuration(Math.round(idle / 1000))}); autostop in ${formatDuration(Math.round((windowMs - idle) / 1000))}` } };
    }
    return {};
  }
}

/**
 * Before a launch: the worst case (price x max_duration; unbounded without max_duration) against
 * what is left of the monthly cap. `needsConfirmation` means the user must say yes explicitly.
 */
export function launchBudgetCheck(a: { pricePerHour: number; maxDurationS?: number; monthlyBudget?: number; monthSpent: number }): {
  needsConfirmation: boolean;
  worstCase: number;
  remaining?: number;
  message?: string;
} {
  const worstCase = a.maxDurationS === undefined ? (a.pricePerHour > 0 ? Infinity : 0) : (a.pricePerHour * a.maxDurationS) / 3600;
  if (a.monthlyBudget === undefined || a.pricePerHour <= 0) return { needsConfirmation: false, worstCase };
  const remaining = Math.max(0, a.monthlyBudget - a.monthSpent);
  if (worstCase <= remaining) return { needsConfirmation: false, worstCase, remaining };
  const worst = Number.isFinite(worstCase) ? formatUsd(worstCase) : 'unbounded (no budget.max_duration)';
  return {
    needsConfirmation: true,
    worstCase,
    remaining,
    message: `worst case ${worst} at ${formatUsd(a.pricePerHour)}/h would pass what is left of the monthly budget (${formatUsd(remaining)} of ${formatUsd(a.monthlyBudget)})`,
  };
}
