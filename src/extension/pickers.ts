import * as vscode from 'vscode';
import { formatUsd } from '../core/cost/meter';
import type { CheckpointRecord, JobRecord } from '../core/jobs/types';
import { CancelledError } from '../core/util/errors';
import type { CommandContext } from './commands/commandContext';
import { isJobTreeElement } from './jobs/jobsTreeProvider';
import { formatElapsed, jobElapsedMs, latestCheckpoint } from './jobs/jobView';

/** The jobs a command acts on: the selected nodes, the clicked one, or (palette) a picker. */
export async function jobsFromArgs(
  ctx: CommandContext,
  node: unknown,
  nodes: unknown,
  opts: { filter: (j: JobRecord) => boolean; placeHolder: string; canPickMany?: boolean; none: string },
): Promise<JobRecord[]> {
  const ids = new Set<string>();
  if (Array.isArray(nodes)) for (const n of nodes) if (isJobTreeElement(n) && 'jobId' in n) ids.add(n.jobId);
  if (ids.size === 0 && isJobTreeElement(node) && 'jobId' in node) ids.add(node.jobId);
  if (ids.size > 0) {
    await ctx.services.jobs.refresh();
    const out: JobRecord[] = [];
    for (const id of ids) {
      const j = ctx.services.jobs.get(id) ?? (await ctx.services.store.get(id));
      if (j) out.push(j);
    }
    return out;
  }
  return pickJobs(ctx, opts);
}

export async function pickJobs(
  ctx: CommandContext,
  opts: { filter: (j: JobRecord) => boolean; placeHolder: string; canPickMany?: boolean; none: string },
): Promise<JobRecord[]> {
  await ctx.services.jobs.refresh();
  const now = new Date();
  const candidates = ctx.services.jobs.jobs.filter(opts.filter);
  if (candidates.length === 0) {
    void vscode.window.showInformationMessage(opts.none);
    throw new CancelledError();
  }
  const items = candidates.map((j) => ({
    label: j.name,
    description: `${j.state} · ${j.target} · ${formatElapsed(jobElapsedMs(j, now))} · ${formatUsd(j.cost)}`,
    detail: j.id,
    job: j,
  }));
  if (opts.canPickMany) {
    const picked = await vscode.window.showQuickPick(items, { placeHolder: opts.placeHolder, canPickMany: true, matchOnDetail: true });
    if (!picked || picked.length === 0) throw new CancelledError();
    return picked.map((p) => p.job);
  }
  const picked = await vscode.window.showQuickPick(items, { placeHolder: opts.placeHolder, matchOnDetail: true });
  if (!picked) throw new CancelledError();
  return [picked.job];
}

/** Latest checkpoint, a chosen one, or none (start from scratch). */
export async function pickCheckpoint(job: JobRecord): Promise<CheckpointRecord | undefined> {
  const local = job.checkpoints.filter((c) => c.locations.some((l) => l.kind === 'local'));
  if (local.length === 0) return undefined;
  const latest = latestCheckpoint(job);
  const items: (vscode.QuickPickItem & { ck?: CheckpointRecord })[] = [
    ...(latest ? [{ label: `$(debug-continue) Latest: ${latest.name}`, description: latest.step !== undefined ? `step ${latest.step}` : '', ck: latest }] : []),
    { label: '', kind: vscode.QuickPickItemKind.Separator },
    ...[...local].reverse().map((c) => ({ label: c.name, description: `${c.step !== undefined ? `step ${c.step} · ` : ''}${c.createdAt}`, ck: c })),
    { label: '$(debug-restart) From scratch', description: 'ignore the checkpoints' },
  ];
  const picked = await vscode.window.showQuickPick(items, { placeHolder: `Resume ${job.name} from which checkpoint?` });
  if (!picked) throw new CancelledError();
  return picked.ck;
}
