import { UserError } from '../../core/util/errors';
import { resumeCheckpoint } from '../jobs/jobActions';
import { isJobTreeElement } from '../jobs/jobsTreeProvider';
import type { CommandContext } from './commandContext';
import { resumeFrom } from './resumeJob';

/** "Resume from Here" on a checkpoint node. */
export async function resumeFromCheckpoint(ctx: CommandContext, node?: unknown): Promise<void> {
  if (!isJobTreeElement(node) || node.kind !== 'checkpoint') throw new UserError('pick a checkpoint in the Jobs view');
  const job = await ctx.services.store.resolve(node.jobId);
  await resumeFrom(ctx, job, resumeCheckpoint(job, node.name));
}
