import * as vscode from 'vscode';
import { isTerminal } from '../../core/jobs/stateMachine';
import type { CheckpointRecord, JobRecord } from '../../core/jobs/types';
import { prepareResume } from '../jobs/jobActions';
import { jobsFromArgs, pickCheckpoint } from '../pickers';
import { followWithProgress } from '../run/runFlow';
import type { CommandContext } from './commandContext';

/** Starts a new attempt of an ended job from `from` (undefined: from scratch), followed here. */
export async function resumeFrom(ctx: CommandContext, job: JobRecord, from: CheckpointRecord | undefined): Promise<void> {
  const target = await ctx.services.targetFor(job.target);
  if (!vscode.workspace.isTrusted) {
    void vscode.window.showWarningMessage('Ferry does not resume jobs from an untrusted workspace.');
    return;
  }
  const pending = await prepareResume(ctx.services.store, job.id, from);
  ctx.services.jobs.upsert(pending);
  ctx.services.logger.info(`resuming ${job.name} (${job.id}) ${from ? `from ${from.name}` : 'from scratch'}`);
  await followWithProgress(ctx, pending, target, from?.name);
}

/** Resume: from the latest checkpoint, or one chosen from the list, like `ferry resume [--from]`. */
export async function resumeJob(ctx: CommandContext, node?: unknown, nodes?: unknown): Promise<void> {
  const [job] = await jobsFromArgs(ctx, node, nodes, { filter: (j) => isTerminal(j.state), placeHolder: 'Resume which job?', none: 'Ferry: no ended job to resume.' });
  if (!job) return;
  const from = await pickCheckpoint(job);
  await resumeFrom(ctx, job, from);
}
