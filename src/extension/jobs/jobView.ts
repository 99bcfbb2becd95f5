/**
 * How a job reads in the Jobs view: label, description, icon, tooltip and contextValue, as
 * plain data. No `vscode` here, so the mapping is unit-tested from fixture records; the tree
 * provider only turns these into TreeItems.
 */
import { formatUsd, jobCost } from '../../core/cost/meter';
import { isActive } from '../../core/jobs/stateMachine';
import type { AttemptRecord, CheckpointRecord, JobRecord, JobState } from '../../core/jobs/types';

export type TargetKind = 'local' | 'ssh' | 'slurm' | 'cloud';

/** `local`, `ssh:<alias>`, `slurm:<alias>`, or a provider (vast, runpod, lambda, cheapest). */
export function targetKind(target: string): TargetKind {
  if (target === 'local') return 'local';
  if (target.startsWith('ssh:')) return 'ssh';
  if (target.startsWith('slurm:')) return 'slurm';
  return 'cloud';
}

/** A product icon (codicon id) and a theme color id. */
export interface IconSpec {
  id: string;
  color?: string;
}

const STATE_ICONS: Readonly<Record<JobState, IconSpec>> = {
  PENDING: { id: 'clock', color: 'charts.yellow' },
  PROVISIONING: { id: 'loading~spin', color: 'charts.blue' },
  SYNCING: { id: 'sync~spin', color: 'charts.blue' },
  SETUP: { id: 'loading~spin', color: 'charts.blue' },
  RUNNING: { id: 'play-circle', color: 'charts.blue' },
  RECOVERING: { id: 'debug-restart', color: 'charts.orange' },
  SUCCEEDED: { id: 'pass', color: 'testing.iconPassed' },
  FAILED: { id: 'error', color: 'testing.iconFailed' },
  CANCELLED: { id: 'circle-slash', color: 'disabledForeground' },
  STOPPED_BY_BUDGET: { id: 'warning', color: 'charts.orange' },
};

export function stateIcon(state: JobState): IconSpec {
  return STATE_ICONS[state];
}

/** `45s`, `12m`, `3h 05m`, `2d 4h`. */
export function formatElapsed(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) ms = 0;
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h ${String(m % 60).padStart(2, '0')}m`;
  return `${Math.floor(h / 24)}d ${h % 24}h`;
}

/** How long the job has been (or was) running: startedAt to endedAt, or to now while active. */
export function jobElapsedMs(job: JobRecord, now: Date): number {
  const start = Date.parse(job.startedAt ?? job.createdAt);
  const end = job.endedAt && !isActive(job.state) ? Date.parse(job.endedAt) : now.getTime();
  return Number.isFinite(start) && Number.isFinite(end) ? Math.max(0, end - start) : 0;
}

/** The cost shown: live for an active job (the record's figure lags by up to a few seconds). */
export function displayCost(job: JobRecord, now: Date): number {
  return isActive(job.state) ? Math.max(job.cost, jobCost(job, now)) : job.cost;
}

/** What the current attempt's handle says of a Slurm job (kept current by the runner). */
export interface SlurmView {
  slurmJobId?: string;
  nodes: number;
  slurmState?: string;
  queueReason?: string;
  queuePosition?: number;
}

/** The Slurm facts of a job on a `slurm:` target, undefined for other targets. */
export function slurmView(job: JobRecord): SlurmView | undefined {
  if (targetKind(job.target) !== 'slurm') return undefined;
  const h = job.attempts[job.attempts.length - 1]?.handle ?? {};
  const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);
  const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
  return {
    nodes: num(h.nodes) ?? job.spec?.resources?.nodes ?? 1,
    ...(str(h.slurmJobId) ? { slurmJobId: str(h.slurmJobId) } : {}),
    ...(str(h.slurmState) ? { slurmState: str(h.slurmState) } : {}),
    ...(str(h.queueReason) ? { queueReason: str(h.queueReason) } : {}),
    ...(num(h.queuePosition) !== undefined ? { queuePosition: num(h.queuePosition) } : {}),
  };
}

/** Waiting in Slurm's queue: `PENDING · queue #3 · (Priority)`; undefined when not queued. */
export function slurmQueueText(job: JobRecord): string | undefined {
  const v = slurmView(job);
  if (!v || !isActive(job.state) || job.state === 'PENDING' || job.state === 'RECOVERING') return undefined;
  if (v.slurmState !== 'PENDING' && v.queueReason === undefined) return undefined;
  return ['PENDING', v.queuePosition !== undefined ? `queue #${v.queuePosition}` : '', v.queueReason ? `(${v.queueReason})` : ''].filter(Boolean).join(' · ');
}

/**
 * `RUNNING · 12m · $0.41`; a Slurm job adds its node count, and while Slurm still queues it:
 * `PENDING · queue #3 · (Priority) · 2 nodes · 1m · $0.00`.
 */
export function jobDescription(job: JobRecord, now: Date): string {
  const slurm = slurmView(job);
  const state = slurmQueueText(job) ?? job.state;
  const nodes = slurm ? [`${slurm.nodes} node${slurm.nodes === 1 ? '' : 's'}`] : [];
  return [state, ...nodes, formatElapsed(jobElapsedMs(job, now)), formatUsd(displayCost(job, now))].join(' · ');
}

/**
 * `ferry:job:<state>+<target kind>[+checkpoints]`, e.g. `ferry:job:running+ssh+checkpoints`.
 * Menus match it with regexes (`viewItem =~ /^ferry:job:(running|...)\\+/`).
 */
export function jobContextValue(job: JobRecord): string {
  const parts = [`ferry:job:${job.state.toLowerCase()}`, targetKind(job.target)];
  if (job.checkpoints.length > 0) parts.push('checkpoints');
  if (job.outputs.length > 0) parts.push('outputs');
  return parts.join('+');
}

export function jobLabel(job: JobRecord): string {
  return job.name;
}

/** Read by screen readers and by the e2e tests: name, state, target, id. */
export function jobAccessibilityLabel(job: JobRecord, now: Date): string {
  return `${job.name}, ${job.state}, on ${job.target}, ${formatUsd(displayCost(job, now))}, job ${job.id}`;
}

/** Markdown for the tooltip (the provider wraps it in a MarkdownString). */
export function jobTooltip(job: JobRecord, now: Date): string {
  const lines = [
    `**${escapeMd(job.name)}** \`${job.id}\``,
    '',
    `- state: **${job.state}**${job.error && job.state !== 'SUCCEEDED' ? ` (${escapeMd(job.error)})` : ''}`,
    `- target: \`${escapeMd(job.target)}\``,
    `- running for: ${formatElapsed(jobElapsedMs(job, now))}`,
    `- cost: ${formatUsd(displayCost(job, now))}`,
    `- attempts: ${job.attempts.length}`,
    `- checkpoints: ${job.checkpoints.length}`,
  ];
  const slurm = slurmView(job);
  if (slurm) {
    lines.push(`- nodes: ${slurm.nodes}`);
    if (slurm.slurmJobId) lines.push(`- Slurm job: ${slurm.slurmJobId}${slurm.slurmState ? ` (${slurm.slurmState})` : ''}`);
    const queued = slurmQueueText(job);
    if (queued) lines.push(`- queue: ${escapeMd(queued)}`);
  }
  if (job.exitCode !== null) lines.push(`- exit code: ${job.exitCode}`);
  if (job.git) lines.push(`- git: ${job.git.commit ? job.git.commit.slice(0, 10) : 'no commit'}${job.git.dirty ? ' (dirty)' : ''}`);
  lines.push(`- workdir: \`${escapeMd(job.workdir)}\``);
  return lines.join('\n');
}

function escapeMd(s: string): string {
  return s.replace(/[\\`*_{}[\]()#+!|<>]/g, (c) => `\\${c}`);
}

/** What a child row of a job is. */
export type JobChildView =
  | { kind: 'attempt'; id: string; label: string; description: string; tooltip: string; icon: IconSpec; contextValue: string; attempt: AttemptRecord }
  | { kind: 'checkpoints'; id: string; label: string; description: string; icon: IconSpec; contextValue: string }
  | { kind: 'checkpoint'; id: string; label: string; description: string; tooltip: string; icon: IconSpec; contextValue: string; checkpoint: CheckpointRecord }
  | { kind: 'nodeLog'; id: string; label: string; description: string; tooltip: string; icon: IconSpec; contextValue: string; rank: number; attempt: number };

/** One row per node of the current attempt of a Slurm job: its own log, `node-<rank>.log`. */
export function nodeLogViews(job: JobRecord): Extract<JobChildView, { kind: 'nodeLog' }>[] {
  const slurm = slurmView(job);
  const a = job.attempts[job.attempts.length - 1];
  if (!slurm || !a || !slurm.slurmJobId) return [];
  return Array.from({ length: slurm.nodes }, (_, rank) => ({
    kind: 'nodeLog' as const,
    id: `${job.id}/attempt/${a.n}/node/${rank}`,
    label: `node-${rank}.log`,
    description: `rank ${rank} · attempt ${a.n}`,
    tooltip: `Output of node ${rank} (FERRY_NODE_RANK=${rank}) of Slurm job ${slurm.slurmJobId}`,
    icon: { id: 'output' },
    contextValue: 'ferry:nodeLog',
    rank,
    attempt: a.n,
  }));
}

export function attemptView(job: JobRecord, a: AttemptRecord, now: Date): Extract<JobChildView, { kind: 'attempt' }> {
  const ended = a.endedAt !== undefined;
  const start = Date.parse(a.startedAt);
  const end = ended ? Date.parse(a.endedAt ?? '') : now.getTime();
  const elapsed = Number.isFinite(start) && Number.isFinite(end) ? end - start : 0;
  const bits = [a.target, formatElapsed(elapsed), `$${a.pricePerHour.toFixed(2)}/h`];
  if (ended) bits.push(a.exitReason ?? (a.exitCode === null || a.exitCode === undefined ? 'ended' : `exit ${a.exitCode}`));
  else bits.push('current');
  const detail = [
    `Attempt ${a.n} on ${a.target}`,
    `started ${a.startedAt}`,
    ended ? `ended ${a.endedAt ?? ''}` : 'still running',
    a.offer ? `offer ${a.offer.provider} ${a.offer.id}${a.offer.gpu ? ` (${a.offer.gpu})` : ''}` : '',
    a.instanceId ? `instance ${a.instanceId}` : '',
    a.resumeFrom ? `resumed from ${a.resumeFrom}` : '',
  ].filter(Boolean);
  return {
    kind: 'attempt',
    id: `${job.id}/attempt/${a.n}`,
    label: `Attempt ${a.n}`,
    description: bits.join(' · '),
    tooltip: detail.join('\n'),
    icon: { id: ended ? (a.exitCode === 0 ? 'check' : 'circle-outline') : 'run' },
    contextValue: `ferry:attempt${ended ? '' : '+current'}`,
    attempt: a,
  };
}

export function formatBytes(n: number): string {
  if (!Number.isFinite(n) || n < 1024) return `${Math.max(0, Math.round(n || 0))} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[i]}`;
}

export function checkpointView(job: JobRecord, c: CheckpointRecord): Extract<JobChildView, { kind: 'checkpoint' }> {
  const local = c.locations.find((l) => l.kind === 'local');
  const bits = [c.step !== undefined ? `step ${c.step}` : '', formatBytes(c.sizeBytes), `attempt ${c.attempt}`, local ? 'local copy' : 'remote only'].filter(Boolean);
  return {
    kind: 'checkpoint',
    id: `${job.id}/checkpoint/${c.name}`,
    label: c.name,
    description: bits.join(' · '),
    tooltip: [`${c.name} (${c.createdAt})`, ...c.locations.map((l) => `${l.kind}: ${l.uri}`)].join('\n'),
    icon: { id: 'save' },
    contextValue: `ferry:checkpoint${local ? '+local' : ''}${isActive(job.state) ? '' : '+resumable'}`,
    checkpoint: c,
  };
}

/** Attempts first (oldest first), then one "Checkpoints" group when there are any, then a Slurm job's node logs. */
export function jobChildren(job: JobRecord, now: Date): JobChildView[] {
  const out: JobChildView[] = job.attempts.map((a) => attemptView(job, a, now));
  if (job.checkpoints.length > 0) {
    const latest = latestCheckpoint(job);
    out.push({
      kind: 'checkpoints',
      id: `${job.id}/checkpoints`,
      label: 'Checkpoints',
      description: `${job.checkpoints.length}${latest ? ` · latest ${latest.name}` : ''}`,
      icon: { id: 'archive' },
      contextValue: 'ferry:checkpoints',
    });
  }
  out.push(...nodeLogViews(job));
  return out;
}

/** Newest first: highest step, then latest time. */
export function checkpointChildren(job: JobRecord): Extract<JobChildView, { kind: 'checkpoint' }>[] {
  return [...job.checkpoints].sort(compareCheckpoints).reverse().map((c) => checkpointView(job, c));
}

function compareCheckpoints(a: CheckpointRecord, b: CheckpointRecord): number {
  return (a.step ?? -1) - (b.step ?? -1) || Date.parse(a.createdAt) - Date.parse(b.createdAt);
}

/** The newest checkpoint with a local copy (what `ferry resume` picks without --from). */
export function latestCheckpoint(job: JobRecord): CheckpointRecord | undefined {
  const usable = job.checkpoints.filter((c) => c.locations.some((l) => l.kind === 'local'));
  return usable.sort(compareCheckpoints).pop();
}
