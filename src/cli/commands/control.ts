import type { Command } from 'commander';
import { followJob, runJob } from '../../core/jobs/runner';
import { isTerminal } from '../../core/jobs/stateMachine';
import type { CliContext } from '../context';
import { act } from '../action';

/** Hidden: the background controller behind `run --detach` and `resume --detach`. */
export function registerControl(program: Command, ctx: () => CliContext): void {
  program
    .command('_control', { hidden: true })
    .argument('<job>')
    .option('--resume-from <checkpoint>')
    .action(act(async (id: string, o: { resumeFrom?: string }) => {
      const c = ctx();
      const job = await c.store.resolve(id);
      if (isTerminal(job.state)) return 0;
      const target = await c.targetFor(job.target);
      const config = await c.config();
      const opts = {
        store: c.store,
        home: c.home,
        target,
        logger: c.logger,
        resumeFrom: o.resumeFrom,
        monthlyBudget: config.monthlyBudget,
        warnFraction: config.budgetWarnFraction,
        onNotice: (n: { level: string; message: string }) => c.logger.warn(n.message),
      };
      const attempt = job.attempts[job.attempts.length - 1];
      if (job.state === 'PENDING' || !attempt?.handle) await runJob(job.id, opts);
      else await followJob(job.id, await target.attach(job, attempt), opts);
      return 0;
    }));
}
