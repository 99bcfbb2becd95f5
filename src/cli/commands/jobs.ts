import type { Command } from 'commander';
import { formatUsd } from '../../core/cost/meter';
import { reconcileJobs } from '../../core/jobs/reconcile';
import type { CliContext } from '../context';
import { act } from '../action';
import { formatAge, out, table } from '../io';

export function registerJobs(program: Command, ctx: () => CliContext): void {
  program
    .command('jobs')
    .description('list jobs, newest first (active ones and the 20 most recent)')
    .option('-a, --all', 'every job in the store')
    .option('--json', 'print an array of job records')
    .action(act(async (o: { all?: boolean; json?: boolean }) => {
      const c = ctx();
      const jobs = await reconcileJobs(c.store, c.home, c.targetFor, c.logger);
      const shown = o.all ? jobs : jobs.filter((j, i) => i < 20 || !j.endedAt);
      if (o.json) {
        out.json(shown);
        return 0;
      }
      if (shown.length === 0) {
        out.line('No jobs yet. Try: ferry run examples/quickstart');
        return 0;
      }
      out.line(
        table(
          ['ID', 'NAME', 'STATE', 'TARGET', 'AGE', 'DURATION', 'COST', 'CKPTS', 'EXIT'],
          shown.map((j) => [
            j.id,
            j.name,
            j.state,
            j.target,
            formatAge(j.createdAt),
            j.startedAt ? formatAge(j.startedAt, j.endedAt ? new Date(j.endedAt) : new Date()) : '-',
            formatUsd(j.cost),
            j.checkpoints.length,
            j.exitCode ?? '-',
          ]),
        ),
      );
      if (!o.all && shown.length < jobs.length) out.line(`(${jobs.length - shown.length} older jobs hidden; --all shows them)`);
      return 0;
    }));
}
