/// <reference lib="dom" />
import type { CheckpointItem, CheckpointTimeline, DashboardViewModel, JobRow } from '../core/cost/dashboardTypes';
import { button } from './controls';
import { h, type Child } from './dom';
import { formatBytes, formatTime } from './format';
import { staleWarning } from './views';

// ---- checkpoint timeline ----------------------------------------------------------------------

export interface TimelineHandlers {
  onDownload(jobId: string, ckpt: string): void;
  onResume(jobId: string, ckpt: string): void;
  onReveal(jobId: string, ckpt: string): void;
  onLogs(jobId: string): void;
}

const MAX_ITEMS = 200;

const LOCATION_LABEL = { remote: 'remote', local: 'local', s3: 'S3' } as const;

function item(t: CheckpointTimeline, c: CheckpointItem, now: string, on: TimelineHandlers): HTMLElement {
  const key = `${t.jobId}/${c.name}`;
  return h(
    'li',
    { class: ['ckpt', c.latest && 'latest'], 'data-checkpoint': c.name, 'aria-current': c.latest ? 'true' : null },
    h('span', { class: 'ckpt-dot', 'aria-hidden': 'true' }),
    h(
      'div',
      { class: 'ckpt-body' },
      h(
        'div',
        { class: 'ckpt-head' },
        h('span', { class: 'ckpt-step' }, c.step !== null ? `step ${c.step}` : c.name),
        c.latest ? h('vscode-badge', { class: 'latest-badge', 'data-testid': 'latest-badge' }, 'latest') : null,
        h('span', { class: 'muted' }, formatTime(c.createdAt, now)),
        h('span', { class: 'muted' }, formatBytes(c.sizeBytes)),
        h('span', { class: 'muted small' }, `attempt ${c.attempt}`),
      ),
      h('div', { class: 'muted small mono' }, c.name),
      h(
        'div',
        { class: 'locations' },
        c.locations.length === 0 ? h('span', { class: 'muted small' }, 'no copies recorded') : null,
        c.locations.map((l) => h('span', { class: ['loc', `loc-${l.kind}`], title: l.uri, 'data-kind': l.kind }, LOCATION_LABEL[l.kind] ?? l.kind)),
      ),
      h(
        'div',
        { class: 'ckpt-actions' },
        c.canDownload ? button('Download', { key: `dl-${key}`, secondary: true, onClick: () => on.onDownload(t.jobId, c.name), extra: { 'data-action': 'download' } }) : null,
        t.canResume
          ? button('Resume from here', {
              key: `resume-${key}`,
              secondary: !c.latest,
              title: `ferry resume ${t.jobId} --from ${c.name}`,
              onClick: () => on.onResume(t.jobId, c.name),
              extra: { 'data-action': 'resume' },
            })
          : null,
        c.hasLocal ? button('Reveal locally', { key: `reveal-${key}`, secondary: true, onClick: () => on.onReveal(t.jobId, c.name), extra: { 'data-action': 'reveal' } }) : null,
      ),
    ),
  );
}

export function timeline(vm: DashboardViewModel, row: JobRow | undefined, on: TimelineHandlers): Child {
  if (!row) return h('p', { class: 'muted' }, 'Select a job to see its checkpoints.');
  const t = vm.checkpoints[row.id];
  const items = t?.items ?? [];
  const shown = items.slice(0, MAX_ITEMS);
  return [
    h(
      'div',
      { class: 'timeline-head' },
      h('h2', { id: 'timeline-title' }, `Checkpoints: ${row.name}`),
      button('Show Logs', { key: `logs-${row.id}`, secondary: true, onClick: () => on.onLogs(row.id) }),
    ),
    h('div', { class: 'muted small' }, `${row.state} · ${row.attempts} attempt(s) · ${row.recoveries} recover${row.recoveries === 1 ? 'y' : 'ies'} · ${row.cost.text} over all attempts`),
    t?.warning ? staleWarning(t.warning, 'strip strip-warning inline') : null,
    row.active && items.length > 0 ? h('p', { class: 'muted small' }, 'Resume from a checkpoint once the job has finished (or been stopped).') : null,
    items.length === 0
      ? h('p', { class: 'muted' }, row.active ? 'No checkpoint yet. Write checkpoints into $FERRY_CHECKPOINT_DIR (temp name, then rename) and they appear here.' : 'This job wrote no checkpoints.')
      : h('ol', { class: 'ckpts', 'aria-labelledby': 'timeline-title', 'data-scroll-key': 'timeline' }, shown.map((c) => item(t as CheckpointTimeline, c, vm.now, on))),
    items.length > shown.length ? h('p', { class: 'muted small' }, `and ${items.length - shown.length} older checkpoints (see ferry checkpoints ${row.id})`) : null,
  ];
}
