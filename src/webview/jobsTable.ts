/// <reference lib="dom" />
import type { DashboardViewModel, JobRow } from '../core/cost/dashboardTypes';
import type { JobSortKey, SortDir } from '../shared/dashboardConstants';
import { h, type Child } from './dom';
import { formatDuration, formatPercent, formatTime } from './format';

// ---- jobs table -------------------------------------------------------------------------------

const COLUMNS: { key: JobSortKey; label: string; num?: boolean }[] = [
  { key: 'name', label: 'Job' },
  { key: 'provider', label: 'Target' },
  { key: 'gpu', label: 'GPU' },
  { key: 'state', label: 'State' },
  { key: 'started', label: 'Started' },
  { key: 'duration', label: 'Duration', num: true },
  { key: 'price', label: '$/hour', num: true },
  { key: 'cost', label: 'Cost', num: true },
  { key: 'recoveries', label: 'Recoveries', num: true },
  { key: 'gpuUtil', label: 'GPU util', num: true },
];

function sortValue(r: JobRow, key: JobSortKey): string | number {
  switch (key) {
    case 'name':
      return r.name.toLowerCase();
    case 'provider':
      return r.provider.toLowerCase();
    case 'gpu':
      return (r.gpu ?? '').toLowerCase();
    case 'state':
      return r.state;
    case 'duration':
      return r.durationSec;
    case 'price':
      return r.pricePerHour.usd;
    case 'cost':
      return r.cost.usd;
    case 'recoveries':
      return r.recoveries;
    case 'gpuUtil':
      return r.avgGpuUtil ?? -1;
    case 'started':
      return r.startedAt ?? '';
  }
}

export function sortRows(rows: readonly JobRow[], sort: { key: JobSortKey; dir: SortDir }): JobRow[] {
  const sign = sort.dir === 'asc' ? 1 : -1;
  return [...rows].sort((a, b) => {
    const x = sortValue(a, sort.key);
    const y = sortValue(b, sort.key);
    const d = x < y ? -1 : x > y ? 1 : 0;
    return d * sign || (a.id < b.id ? 1 : -1);
  });
}

export interface TableHandlers {
  onSort(key: JobSortKey): void;
  onSelect(jobId: string): void;
}

export function jobsTable(vm: DashboardViewModel, rows: readonly JobRow[], sort: { key: JobSortKey; dir: SortDir }, selected: string | null, on: TableHandlers): Child {
  const focusable = rows.some((r) => r.id === selected) ? selected : (rows[0]?.id ?? null);
  const head = h(
    'tr',
    null,
    COLUMNS.map((c) => {
      const active = sort.key === c.key;
      return h(
        'th',
        { scope: 'col', class: c.num ? 'num' : null, 'aria-sort': active ? (sort.dir === 'asc' ? 'ascending' : 'descending') : 'none' },
        h('button', { class: 'sort', type: 'button', 'data-focus-key': `sort-${c.key}`, on: { click: () => on.onSort(c.key) } }, c.label, active ? (sort.dir === 'asc' ? ' ▲' : ' ▼') : ''),
      );
    }),
  );
  const body = rows.map((r) =>
    h(
      'tr',
      {
        class: ['job-row', r.id === selected && 'selected'],
        tabindex: r.id === focusable ? 0 : -1,
        'aria-selected': r.id === selected ? 'true' : 'false',
        'data-job-id': r.id,
        'data-focus-key': `row-${r.id}`,
        on: {
          click: () => on.onSelect(r.id),
          keydown: (ev: KeyboardEvent) => rowKey(ev, r.id, on),
        },
      },
      h('td', { class: 'name' }, h('div', null, r.name), h('div', { class: 'muted small mono' }, r.id)),
      h('td', null, r.provider),
      h('td', null, r.gpu ?? '—'),
      h('td', null, h('span', { class: ['state', `state-${r.state.toLowerCase()}`] }, r.state)),
      h('td', null, formatTime(r.startedAt, vm.now)),
      h('td', { class: 'num' }, formatDuration(r.durationSec)),
      h('td', { class: 'num' }, r.pricePerHour.text),
      h('td', { class: 'num cost', 'data-testid': 'job-cost' }, r.cost.text),
      h('td', { class: 'num' }, String(r.recoveries)),
      h('td', { class: 'num' }, formatPercent(r.avgGpuUtil)),
    ),
  );
  return [
    h('h2', { id: 'jobs-title' }, `Jobs (${rows.length})`),
    h(
      'div',
      { class: 'table-scroll', 'data-scroll-key': 'jobs' },
      h('table', { class: 'jobs', role: 'grid', 'aria-labelledby': 'jobs-title', 'aria-rowcount': rows.length + 1 }, h('thead', null, head), h('tbody', null, body)),
    ),
    h('p', { class: 'muted small' }, 'Arrow keys move between jobs; Enter selects one and shows its checkpoints.'),
  ];
}

function rowKey(ev: KeyboardEvent, jobId: string, on: TableHandlers): void {
  const row = ev.currentTarget as HTMLElement;
  let next: Element | null = null;
  switch (ev.key) {
    case 'Enter':
    case ' ':
      ev.preventDefault();
      on.onSelect(jobId);
      return;
    case 'ArrowDown':
      next = row.nextElementSibling;
      break;
    case 'ArrowUp':
      next = row.previousElementSibling;
      break;
    case 'Home':
      next = row.parentElement?.firstElementChild ?? null;
      break;
    case 'End':
      next = row.parentElement?.lastElementChild ?? null;
      break;
    default:
      return;
  }
  ev.preventDefault();
  if (next instanceof HTMLElement) {
    // Roving tabindex: one tab stop for the whole table.
    row.tabIndex = -1;
    next.tabIndex = 0;
    next.focus();
  }
}
