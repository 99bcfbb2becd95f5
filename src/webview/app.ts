/// <reference lib="dom" />
import type { CostRange, DashboardViewModel } from '../core/cost/dashboardTypes';
import { COST_RANGES, type JobSortKey, type SortDir } from '../shared/dashboardConstants';
import type { HostToWebview } from '../shared/dashboardProtocol';
import { CostChartView } from './chart';
import { h, replaceSection } from './dom';
import { formatTime } from './format';
import { HostChannel, type VsCodeApi } from './vscodeApi';
import { button } from './controls';
import { jobsTable, sortRows } from './jobsTable';
import { timeline } from './timeline';
import { alerts, budgets, emptyState, spend } from './views';

interface UiState {
  selectedJobId: string | null;
  range: CostRange;
  sort: { key: JobSortKey; dir: SortDir };
}

/** Numbers sort biggest first on the first click; text A-Z. */
const NUMERIC_KEYS: ReadonlySet<JobSortKey> = new Set(['duration', 'price', 'cost', 'recoveries', 'gpuUtil', 'started']);

/**
 * The dashboard page. It holds the last view model the host pushed and the UI state (selection,
 * range, sort) it saves with setState; it never asks for data: the host pushes a `state` after
 * `ready` and after every change.
 */
export class DashboardApp {
  private vm: DashboardViewModel | undefined;
  private ui: UiState;
  private readonly channel: HostChannel;
  private readonly pending = new Map<string, string>();
  private readonly sections: Record<'header' | 'status' | 'alerts' | 'spend' | 'budgets' | 'jobs' | 'timeline' | 'empty', HTMLElement>;
  private readonly chartSection: HTMLElement;
  private readonly chart: CostChartView;

  constructor(api: VsCodeApi, root: HTMLElement) {
    this.channel = new HostChannel(api);
    const saved = this.channel.loadUiState();
    this.ui = {
      selectedJobId: saved.selectedJobId ?? null,
      range: saved.range ?? '7d',
      sort: saved.sort ?? { key: 'started', dir: 'desc' },
    };
    const sec = (cls: string, label?: string): HTMLElement => h('section', { class: cls, 'aria-label': label });
    this.sections = {
      header: h('header', { class: 'top' }),
      status: h('div', { class: 'status', role: 'status', 'aria-live': 'polite', 'data-testid': 'status' }),
      alerts: sec('alerts'),
      spend: sec('spend', 'Spend'),
      budgets: sec('budgets', 'Budgets'),
      jobs: sec('jobs', 'Jobs'),
      timeline: sec('timeline', 'Checkpoints'),
      empty: h('div', { class: 'empty-host' }),
    };
    const chartHost = h('div', { class: 'chart', role: 'img', 'data-testid': 'chart' });
    this.chartSection = h('section', { class: 'chart-section', 'aria-labelledby': 'chart-title' }, h('h2', { id: 'chart-title' }, 'Cost over time'), chartHost, h('p', { class: 'muted small chart-note' }));
    this.chart = new CostChartView(chartHost);
    const s = this.sections;
    root.replaceChildren(
      s.header,
      s.status,
      s.empty,
      h('div', { class: 'content' }, s.alerts, s.spend, s.budgets, this.chartSection, h('div', { class: 'lower' }, s.jobs, s.timeline)),
    );
    root.classList.add('loading');
    replaceSection(s.header, h('h1', null, 'Cost & Checkpoints'), h('span', { class: 'muted' }, 'Loading...'));

    this.channel.onMessage((m) => this.onHostMessage(m));
    this.channel.send({ type: 'ready', ui: { selectedJobId: this.ui.selectedJobId, range: this.ui.range, sort: this.ui.sort } });
  }

  private onHostMessage(m: HostToWebview): void {
    switch (m.type) {
      case 'state':
        this.vm = m.state;
        if (m.state.range !== this.ui.range) this.ui.range = m.state.range;
        this.render();
        break;
      case 'selected':
        this.select(m.jobId, false);
        break;
      case 'ack': {
        const what = this.pending.get(m.requestId);
        if (what === undefined) return;
        this.pending.delete(m.requestId);
        this.setStatus(m.ok ? `${what}: done` : `${what} failed: ${m.message ?? 'unknown error'}`, m.ok ? 'ok' : 'error');
        break;
      }
    }
  }

  private save(): void {
    this.channel.saveUiState({ selectedJobId: this.ui.selectedJobId, range: this.ui.range, sort: this.ui.sort });
  }

  private setStatus(text: string, kind: 'ok' | 'error' | 'busy'): void {
    replaceSection(this.sections.status, text ? h('span', { class: `status-${kind}` }, text) : null);
  }

  private request(label: string, msg: Parameters<HostChannel['send']>[0]): void {
    const id = this.channel.send(msg);
    this.pending.set(id, label);
    this.setStatus(`${label}...`, 'busy');
  }

  select(jobId: string | null, notifyHost: boolean): void {
    if (jobId !== null && this.vm && !this.vm.jobs.some((j) => j.id === jobId)) return;
    if (this.ui.selectedJobId === jobId) return;
    this.ui.selectedJobId = jobId;
    this.save();
    if (notifyHost) this.channel.send({ type: 'selectJob', jobId });
    this.render();
  }

  private setRange(range: CostRange): void {
    if (range === this.ui.range) return;
    this.ui.range = range;
    this.save();
    this.channel.send({ type: 'setRange', range });
    this.renderHeader();
  }

  private sortBy(key: JobSortKey): void {
    const cur = this.ui.sort;
    this.ui.sort = cur.key === key ? { key, dir: cur.dir === 'asc' ? 'desc' : 'asc' } : { key, dir: NUMERIC_KEYS.has(key) ? 'desc' : 'asc' };
    this.save();
    this.render();
  }

  private renderHeader(): void {
    const vm = this.vm;
    replaceSection(
      this.sections.header,
      h('h1', null, 'Cost & Checkpoints'),
      vm && !vm.empty
        ? h(
            'div',
            { class: 'range', role: 'group', 'aria-label': 'Chart range' },
            COST_RANGES.map((r) =>
              button(r, {
                key: `range-${r}`,
                secondary: r !== this.ui.range,
                onClick: () => this.setRange(r),
                extra: { 'aria-pressed': r === this.ui.range ? 'true' : 'false', 'data-range': r },
              }),
            ),
          )
        : null,
      vm ? h('span', { class: 'muted small updated' }, `Updated ${formatTime(vm.now)}`) : null,
    );
  }

  render(): void {
    const vm = this.vm;
    if (!vm) return;
    const root = this.sections.header.parentElement;
    root?.classList.remove('loading');
    root?.classList.toggle('is-empty', vm.empty);
    this.renderHeader();
    if (vm.empty) {
      replaceSection(this.sections.empty, emptyState(vm.home, () => this.request('Run Locally', { type: 'runLocally' })));
      for (const k of ['alerts', 'spend', 'budgets', 'jobs', 'timeline'] as const) replaceSection(this.sections[k]);
      return;
    }
    replaceSection(this.sections.empty);
    const rows = sortRows(vm.jobs, this.ui.sort);
    // Nothing selected (or the selection was deleted): show the first job's checkpoints.
    let selected = rows.find((r) => r.id === this.ui.selectedJobId);
    if (!selected) {
      selected = rows[0];
      this.ui.selectedJobId = selected?.id ?? null;
    }
    replaceSection(this.sections.alerts, alerts(vm));
    replaceSection(this.sections.spend, spend(vm));
    replaceSection(this.sections.budgets, budgets(vm));
    replaceSection(this.sections.jobs, jobsTable(vm, rows, this.ui.sort, this.ui.selectedJobId, { onSort: (k) => this.sortBy(k), onSelect: (id) => this.select(id, true) }));
    replaceSection(
      this.sections.timeline,
      timeline(vm, selected, {
        onDownload: (jobId, c) => this.request(`Download ${c}`, { type: 'downloadCheckpoint', jobId, checkpoint: c }),
        onResume: (jobId, c) => this.request(`Resume ${jobId} from ${c}`, { type: 'resumeFrom', jobId, checkpoint: c }),
        onReveal: (jobId, c) => this.request(`Reveal ${c}`, { type: 'revealCheckpoint', jobId, checkpoint: c }),
        onLogs: (jobId) => this.request(`Logs of ${jobId}`, { type: 'openJobLogs', jobId }),
      }),
    );
    this.renderChart(vm);
  }

  private renderChart(vm: DashboardViewModel): void {
    const note = this.chartSection.querySelector('.chart-note');
    const host = this.chartSection.querySelector<HTMLElement>('.chart');
    const c = vm.chart;
    const label =
      c.series.length === 0
        ? `No spend in the last ${c.range}.`
        : `Cumulative spend per job over the last ${c.range}: ${c.series.length} job(s)${c.omitted ? `, ${c.omitted} cheaper one(s) not drawn` : ''}. Dashed lines are budgets (max_cost).`;
    host?.setAttribute('aria-label', label);
    if (note) note.textContent = label;
    this.chart.update(c, this.ui.selectedJobId);
  }
}

export function startDashboard(api: VsCodeApi, root: HTMLElement): DashboardApp {
  return new DashboardApp(api, root);
}
