import type { CommandContext } from './commandContext';

export async function refreshJobs(ctx: CommandContext): Promise<void> {
  await ctx.services.jobs.refresh();
}
