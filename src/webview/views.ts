/// <reference lib="dom" />
import type { CapBar, DashboardViewModel, JobBudgetBar, StaleCheckpointWarning } from '../core/cost/dashboardTypes';
import { button } from './controls';
import { h, type Child } from './dom';
import { formatAgo, formatTime } from './format';

/**
 * The upper sections: empty state, alert strips, spend, budgets. View model in, elements out;
 * no state here (app.ts holds it). The jobs table and the checkpoint timeline have their own files.
 */

// ---- empty state ------------------------------------------------------------------------------

export function emptyState(home: string | null, onRunLocally: () => void): HTMLElement {
  return h(
    'section',
    { class: 'empty', 'aria-labelledby': 'empty-title' },
    h('h2', { id: 'empty-title' }, 'No jobs yet'),
    h('p', null, 'Spend, budgets and checkpoints show up here once a job has run. To start:'),
    h(
      'ol',
      null,
      h('li', null, 'In a terminal, run ', h('code', null, 'ferry run examples/quickstart'), ' (a one-minute job on this machine), or'),
      h('li', null, 'right-click a Python script and choose ', h('strong', null, 'Ferry: Run Locally...'), '.'),
    ),
    h('div', { class: 'empty-actions' }, button('Run Locally...', { key: 'empty-run-locally', onClick: onRunLocally })),
    home ? h('p', { class: 'muted small' }, 'Jobs are read from ', h('code', null, home), ' (FERRY_HOME); a terminal with another FERRY_HOME keeps its jobs elsewhere.') : null,
  );
}

// ---- alerts -----------------------------------------------------------------------------------

export function alerts(vm: DashboardViewModel): Child {
  const out: HTMLElement[] = [];
  const { instances, burnRatePerHour } = vm.orphans;
  if (instances.length > 0) {
    out.push(
      h(
        'div',
        { class: 'strip strip-error', role: 'alert', 'data-testid': 'orphans' },
        h('strong', null, `${instances.length === 1 ? '1 instance costs' : `${instances.length} instances cost`} money with no live job (${burnRatePerHour.text}/h). `),
        h(
          'ul',
          null,
          instances.map((o) =>
            h('li', null, `${o.provider} ${o.instanceId}: ${o.pricePerHour.text}/h`, o.since ? ` since ${formatTime(o.since, vm.now)}` : '', ` (${o.reason})`),
          ),
        ),
        h('span', null, 'Terminate them with ', h('code', null, 'ferry instances --terminate-orphans'), '.'),
      ),
    );
  }
  for (const w of vm.warnings) out.push(staleWarning(w, 'strip strip-warning'));
  return out;
}

export function staleWarning(w: StaleCheckpointWarning, cls: string): HTMLElement {
  return h('div', { class: cls, role: 'status', 'data-testid': 'stale-checkpoint' }, `⚠ ${w.message}; a preemption now would lose ${formatAgo(w.sinceSec)} of work.`);
}

// ---- spend ------------------------------------------------------------------------------------

function card(label: string, value: string, testid: string, sub?: string): HTMLElement {
  return h('div', { class: 'card', 'data-testid': testid }, h('div', { class: 'card-label' }, label), h('div', { class: 'card-value' }, value), sub ? h('div', { class: 'card-sub' }, sub) : null);
}

export function spend(vm: DashboardViewModel): Child {
  const s = vm.spend;
  return [
    h('h2', { class: 'visually-hidden' }, 'Spend'),
    h(
      'div',
      { class: 'cards' },
      card('Today', s.today.text, 'spend-today'),
      card('This month', s.month.text, 'spend-month'),
      card('All time', s.allTime.text, 'spend-all'),
      card(`Last ${vm.range}`, s.range.text, 'spend-range'),
      card('Burning now', `${s.burnRatePerHour.text}/h`, 'burn-rate', `${vm.jobs.filter((j) => j.active).length} active job(s)`),
    ),
    s.perProvider.length > 0
      ? h(
          'div',
          { class: 'providers', 'data-testid': 'providers' },
          h('span', { class: 'muted' }, 'By provider: '),
          s.perProvider.map((p) => h('span', { class: 'provider-chip' }, h('span', { class: 'provider-name' }, p.provider), ' ', p.cost.text)),
        )
      : null,
  ];
}

// ---- budgets ----------------------------------------------------------------------------------

function bar(fraction: number, projected: number, label: string): HTMLElement {
  const clamp = (f: number): number => Math.max(0, Math.min(1, Number.isFinite(f) ? f : 0));
  const level = fraction >= 1 ? 'over' : projected > 1 ? 'warn' : 'ok';
  return h(
    'div',
    {
      class: ['bar', `bar-${level}`],
      role: 'progressbar',
      'aria-label': label,
      'aria-valuemin': 0,
      'aria-valuemax': 100,
      'aria-valuenow': Math.round(clamp(fraction) * 100),
    },
    h('div', { class: 'bar-projection', style: { width: `${clamp(projected) * 100}%` } }),
    h('div', { class: 'bar-fill', style: { width: `${clamp(fraction) * 100}%` } }),
  );
}

function capRow(c: CapBar, now: string): HTMLElement {
  const period = c.kind === 'month' ? 'month end' : 'end of day';
  return h(
    'div',
    { class: 'budget', 'data-testid': `cap-${c.kind}` },
    h('div', { class: 'budget-head' }, h('span', { class: 'budget-name' }, `${c.label} cap`), h('span', { class: 'budget-amount' }, `${c.spent.text} of ${c.cap.text}`)),
    bar(c.fraction, c.projectedFraction, `${c.label}: ${c.spent.text} of ${c.cap.text}`),
    h('div', { class: ['budget-note', c.overProjected && 'warn-text'] }, `Projected ${c.projected.text} by ${period} (${formatTime(c.periodEnd, now)})${c.overProjected ? ': over the cap' : ''}`),
  );
}

function jobBudgetRow(b: JobBudgetBar, now: string): HTMLElement {
  const basis = b.projection.basis === 'max_duration' ? 'at max_duration' : 'by month end';
  const notes: string[] = [`${b.burnRatePerHour.text}/h`, `projected ${b.projection.cost.text} ${basis} (${formatTime(b.projection.until, now)})`];
  if (b.exhausted) notes.push('budget spent');
  else if (b.exhaustsAt) notes.push(`budget runs out at ${formatTime(b.exhaustsAt, now)}`);
  return h(
    'div',
    { class: 'budget', 'data-testid': 'job-budget', 'data-job-id': b.jobId },
    h('div', { class: 'budget-head' }, h('span', { class: 'budget-name' }, b.name), h('span', { class: 'budget-amount' }, `${b.spent.text} of ${b.maxCost.text}`)),
    bar(b.fraction, b.projection.fraction, `${b.name}: ${b.spent.text} of ${b.maxCost.text}`),
    h('div', { class: ['budget-note', (b.exhausted || b.exhaustsAt !== null) && 'warn-text'] }, notes.join(' · ')),
  );
}

/** Job budget bars shown; the most at risk first, the rest counted. */
const MAX_JOB_BUDGETS = 8;

export function budgets(vm: DashboardViewModel): Child {
  if (vm.caps.length === 0 && vm.jobBudgets.length === 0) {
    return h('p', { class: 'muted small' }, 'No caps set. Set budget.max_cost in a ferry.yaml, or a monthly cap in the Ferry settings, to see budget bars here.');
  }
  const atRisk = [...vm.jobBudgets].sort((a, b) => b.projection.fraction - a.projection.fraction || a.name.localeCompare(b.name));
  const shown = atRisk.slice(0, MAX_JOB_BUDGETS);
  return [
    h('h2', null, 'Budgets'),
    h('div', { class: 'budget-list' }, vm.caps.map((c) => capRow(c, vm.now)), shown.map((b) => jobBudgetRow(b, vm.now))),
    atRisk.length > shown.length ? h('p', { class: 'muted small' }, `and ${atRisk.length - shown.length} more running jobs with a budget, further from it`) : null,
  ];
}
