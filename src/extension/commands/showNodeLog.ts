import * as vscode from 'vscode';
import { UserError } from '../../core/util/errors';
import { readNodeLogText } from '../jobs/jobActions';
import { isJobTreeElement } from '../jobs/jobsTreeProvider';
import type { CommandContext } from './commandContext';

/** Show Node Log: one node's output of a Slurm job (`node-<rank>.log`), read through its target. */
export async function showNodeLog(ctx: CommandContext, node?: unknown): Promise<void> {
  if (!isJobTreeElement(node) || node.kind !== 'nodeLog') throw new UserError('pick a node log under a Slurm job in the Jobs view');
  const { jobId, rank } = node;
  const text = await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: `Ferry: reading node-${rank}.log` }, () =>
    readNodeLogText({ store: ctx.services.store, targetFor: (ref) => ctx.services.targetFor(ref) }, jobId, rank),
  );
  const doc = await vscode.workspace.openTextDocument({ content: text || `(node ${rank} has written nothing yet)\n`, language: 'log' });
  await vscode.window.showTextDocument(doc, { preview: true });
}
