import * as vscode from 'vscode';
import { isTerminal } from '../../core/jobs/stateMachine';
import { CancelledError } from '../../core/util/errors';
import { jobsFromArgs } from '../pickers';
import type { CommandContext } from './commandContext';

/** Delete from History: the job folder goes (log, local checkpoints, outputs); asks first. */
export async function deleteJob(ctx: CommandContext, node?: unknown, nodes?: unknown): Promise<void> {
  const jobs = await jobsFromArgs(ctx, node, nodes, { filter: (j) => isTerminal(j.state), placeHolder: 'Delete which jobs from the history?', canPickMany: true, none: 'Ferry: no ended job to delete.' });
  const names = jobs.length === 1 && jobs[0] ? `${jobs[0].name} (${jobs[0].id})` : `${jobs.length} jobs`;
  const ckpts = jobs.reduce((n, j) => n + j.checkpoints.length, 0);
  const ok = await vscode.window.showWarningMessage(
    `Delete ${names} from the history?`,
    { modal: true, detail: `Its log${ckpts ? `, ${ckpts} local checkpoint copies` : ''} and outputs under ${ctx.services.home} are deleted too.` },
    'Delete',
  );
  if (ok !== 'Delete') throw new CancelledError();
  for (const j of jobs) await ctx.services.store.delete(j.id);
  await ctx.services.jobs.refresh();
}
