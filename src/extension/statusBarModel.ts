/**
 * The status bar's text, as plain data: running jobs, what they burn per hour, today's spend,
 * and whether a budget is nearly used up. No `vscode` here.
 */
import { formatUsd, jobCost, summarizeCost } from '../core/cost/meter';
import { isActive } from '../core/jobs/stateMachine';
import type { JobRecord } from '../core/jobs/types';

export interface StatusBarView {
  /** Hidden until the store holds a job. */
  visible: boolean;
  text: string;
  tooltip: string;
  /** Some budget (a running job's, or the month's) is past the warning fraction. */
  warning: boolean;
}

export function statusBarView(jobs: readonly JobRecord[], now: Date, opts: { monthlyBudget?: number; warnFraction: number }): StatusBarView {
  if (jobs.length === 0) return { visible: false, text: '', tooltip: '', warning: false };
  const active = jobs.filter((j) => isActive(j.state));
  const summary = summarizeCost(jobs, { now });
  const warnings: string[] = [];
  for (const j of active) {
    const { max_cost, max_duration } = j.spec.budget;
    const cost = jobCost(j, now);
    if (max_cost !== undefined && max_cost > 0 && cost >= opts.warnFraction * max_cost) warnings.push(`${j.name}: ${formatUsd(cost)} of its ${formatUsd(max_cost)} budget`);
    const attempt = j.attempts[j.attempts.length - 1];
    if (max_duration !== undefined && attempt && !attempt.endedAt) {
      const ran = (now.getTime() - Date.parse(attempt.startedAt)) / 1000;
      if (ran >= opts.warnFraction * max_duration) warnings.push(`${j.name}: ${Math.round((ran / max_duration) * 100)}% of its max_duration`);
    }
  }
  if (opts.monthlyBudget !== undefined && summary.month >= opts.warnFraction * opts.monthlyBudget) {
    warnings.push(`${formatUsd(summary.month)} of the ${formatUsd(opts.monthlyBudget)} monthly budget spent`);
  }
  const rate = summary.burnRatePerHour;
  const text = `$(cloud) ${active.length} running · ${formatUsd(summary.today)}${rate > 0 ? ` · ${formatUsd(rate)}/h` : ''}`;
  const tooltip = [
    `Ferry: ${active.length} active job${active.length === 1 ? '' : 's'}`,
    `burning ${formatUsd(rate)}/h now`,
    `today ${formatUsd(summary.today)} · this month ${formatUsd(summary.month)}${opts.monthlyBudget ? ` of ${formatUsd(opts.monthlyBudget)}` : ''}`,
    ...warnings.map((w) => `⚠ ${w}`),
    'Click to open the Cost & Checkpoints dashboard',
  ].join('\n');
  return { visible: true, text, tooltip, warning: warnings.length > 0 };
}
