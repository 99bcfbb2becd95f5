import { showJobLogTerminal } from '../jobs/logTerminal';
import { jobsFromArgs } from '../pickers';
import type { CommandContext } from './commandContext';

/** Show Job Logs...: a terminal that prints the log and follows it live (`ferry logs -f`). */
export async function showJobLogs(ctx: CommandContext, node?: unknown, nodes?: unknown): Promise<void> {
  const jobs = await jobsFromArgs(ctx, node, nodes, { filter: () => true, placeHolder: 'Show the logs of which job?', none: 'Ferry: no jobs yet.' });
  for (const job of jobs) showJobLogTerminal(ctx.services, job);
}
