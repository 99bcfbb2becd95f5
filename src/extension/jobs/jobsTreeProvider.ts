import * as vscode from 'vscode';
import { isActive } from '../../core/jobs/stateMachine';
import type { JobRecord } from '../../core/jobs/types';
import { Commands } from '../ids';
import type { JobsModel } from './jobsModel';
import {
  checkpointChildren,
  jobAccessibilityLabel,
  jobChildren,
  jobContextValue,
  jobDescription,
  jobLabel,
  jobTooltip,
  nodeLogViews,
  stateIcon,
  type IconSpec,
} from './jobView';

/** What a row of the Jobs view stands for; commands receive these. */
export type JobTreeElement =
  | { kind: 'job'; jobId: string }
  | { kind: 'attempt'; jobId: string; n: number }
  | { kind: 'checkpoints'; jobId: string }
  | { kind: 'checkpoint'; jobId: string; name: string }
  | { kind: 'nodeLog'; jobId: string; rank: number }
  | { kind: 'message'; id: string; label: string; description: string; icon: string };

export function isJobTreeElement(v: unknown): v is JobTreeElement {
  const k = (v as { kind?: unknown } | null)?.kind;
  return typeof v === 'object' && v !== null && (k === 'job' || k === 'attempt' || k === 'checkpoints' || k === 'checkpoint' || k === 'nodeLog' || k === 'message');
}

function icon(spec: IconSpec): vscode.ThemeIcon {
  return new vscode.ThemeIcon(spec.id, spec.color ? new vscode.ThemeColor(spec.color) : undefined);
}

/**
 * Maps JobsModel to tree items. Ids are stable (`job:<id>`, `job:<id>/attempt/<n>`...), so
 * expansion and selection survive every refresh.
 */
export class JobsTreeProvider implements vscode.TreeDataProvider<JobTreeElement>, vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<JobTreeElement | undefined>();
  readonly onDidChangeTreeData = this.emitter.event;
  private readonly sub: { dispose(): void };

  constructor(private readonly model: JobsModel) {
    this.sub = model.onDidChange(() => this.emitter.fire(undefined));
  }

  refresh(): void {
    this.emitter.fire(undefined);
  }

  private job(id: string): JobRecord | undefined {
    return this.model.get(id);
  }

  getChildren(el?: JobTreeElement): JobTreeElement[] {
    if (!el) {
      const out: JobTreeElement[] = [];
      if (this.model.error) out.push({ kind: 'message', id: 'error', label: 'Could not read the job store', description: this.model.error, icon: 'error' });
      if (this.model.skipped.length > 0) {
        out.push({ kind: 'message', id: 'skipped', label: `${this.model.skipped.length} unreadable job folder(s)`, description: this.model.skipped.join(', '), icon: 'warning' });
      }
      return [...out, ...this.model.jobs.map((j): JobTreeElement => ({ kind: 'job', jobId: j.id }))];
    }
    const job = this.job('jobId' in el ? el.jobId : '');
    if (!job) return [];
    if (el.kind === 'job') {
      return jobChildren(job, new Date()).map((c): JobTreeElement => {
        if (c.kind === 'attempt') return { kind: 'attempt', jobId: job.id, n: c.attempt.n };
        if (c.kind === 'nodeLog') return { kind: 'nodeLog', jobId: job.id, rank: c.rank };
        return { kind: 'checkpoints', jobId: job.id };
      });
    }
    if (el.kind === 'checkpoints') return checkpointChildren(job).map((c): JobTreeElement => ({ kind: 'checkpoint', jobId: job.id, name: c.checkpoint.name }));
    return [];
  }

  getParent(el: JobTreeElement): JobTreeElement | undefined {
    if (el.kind === 'attempt' || el.kind === 'checkpoints' || el.kind === 'nodeLog') return { kind: 'job', jobId: el.jobId };
    if (el.kind === 'checkpoint') return { kind: 'checkpoints', jobId: el.jobId };
    return undefined;
  }

  getTreeItem(el: JobTreeElement): vscode.TreeItem {
    const now = new Date();
    if (el.kind === 'message') {
      const item = new vscode.TreeItem(el.label, vscode.TreeItemCollapsibleState.None);
      item.id = `message:${el.id}`;
      item.description = el.description;
      item.tooltip = el.description;
      item.iconPath = new vscode.ThemeIcon(el.icon);
      item.contextValue = 'ferry:message';
      return item;
    }
    const job = this.job(el.jobId);
    if (!job) return new vscode.TreeItem('(gone)');
    if (el.kind === 'job') {
      const hasChildren = job.attempts.length > 0 || job.checkpoints.length > 0;
      const item = new vscode.TreeItem(jobLabel(job), hasChildren ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None);
      item.id = `job:${job.id}`;
      item.description = jobDescription(job, now);
      const tip = new vscode.MarkdownString(jobTooltip(job, now));
      tip.supportThemeIcons = true;
      item.tooltip = tip;
      item.iconPath = icon(stateIcon(job.state));
      item.contextValue = jobContextValue(job);
      item.accessibilityInformation = { label: jobAccessibilityLabel(job, now) };
      return item;
    }
    if (el.kind === 'nodeLog') {
      const view = nodeLogViews(job).find((c) => c.rank === el.rank);
      if (!view) return new vscode.TreeItem('(gone)');
      const item = new vscode.TreeItem(view.label, vscode.TreeItemCollapsibleState.None);
      item.id = `job:${view.id}`;
      item.description = view.description;
      item.tooltip = view.tooltip;
      item.iconPath = icon(view.icon);
      item.contextValue = view.contextValue;
      item.command = { command: Commands.showNodeLog, title: 'Show Node Log', arguments: [el] };
      return item;
    }
    if (el.kind === 'attempt' || el.kind === 'checkpoints') {
      const view = jobChildren(job, now).find((c) => (el.kind === 'attempt' ? c.kind === 'attempt' && c.attempt.n === el.n : c.kind === 'checkpoints'));
      if (!view) return new vscode.TreeItem('(gone)');
      const item = new vscode.TreeItem(view.label, view.kind === 'checkpoints' ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None);
      item.id = `job:${view.id}`;
      item.description = view.description;
      item.tooltip = 'tooltip' in view ? view.tooltip : undefined;
      item.iconPath = icon(view.icon);
      item.contextValue = view.contextValue;
      return item;
    }
    const view = checkpointChildren(job).find((c) => c.checkpoint.name === el.name);
    if (!view) return new vscode.TreeItem('(gone)');
    const item = new vscode.TreeItem(view.label, vscode.TreeItemCollapsibleState.None);
    item.id = `job:${view.id}`;
    item.description = view.description;
    item.tooltip = view.tooltip;
    item.iconPath = icon(view.icon);
    item.contextValue = view.contextValue;
    return item;
  }

  /** True when some job's description changes with the clock (elapsed time, live cost). */
  hasActiveJobs(): boolean {
    return this.model.jobs.some((j) => isActive(j.state));
  }

  dispose(): void {
    this.sub.dispose();
    this.emitter.dispose();
  }
}
