import type { Command } from 'commander';
import { finalize, followJob } from '../../core/jobs/runner';
import { controllerAlive } from '../../core/jobs/reconcile';
import { isTerminal } from '../../core/jobs/stateMachine';
import type { CliContext } from '../context';
import { act } from '../action';
import { err, out } from '../io';

export function registerStop(program: Command, ctx: () => CliContext): void {
  program
    .command('stop')
    .description('stop a job: SIGTERM to its whole process group, SIGKILL after a grace; checkpoints come home')
    .argument('<job>', 'job id, unique id prefix, or name (newest)')
    .option('--grace <seconds>', 'seconds between SIGTERM and SIGKILL', '10')
    .option('--json', 'print the job record as JSON')
    .action(act(async (id: string, o: { grace: string; json?: boolean }) => {
      const c = ctx();
      let job = await c.store.resolve(id);
      if (isTerminal(job.state)) {
        if (o.json) out.json(job);
        else err.line(`${job.id} already ended (${job.state})`);
        return 0;
      }
      const graceMs = Math.max(0, Number(o.grace) || 0) * 1000;
      const follower = controllerAlive(job);
      // Mark it first: a controller following the job sees CANCELLED and stops following.
      job = await c.store.transition(job.id, 'CANCELLED', {
        message: 'stopped by user',
        patch: (r) => {
          r.error = 'stopped by user';
        },
      });
      const attempt = job.attempts[job.attempts.length - 1];
      if (attempt?.handle) {
        const target = await c.targetFor(job.target);
        const running = await target.attach(job, attempt);
        await running.stop(graceMs);
        if (!follower) {
          // Nobody else will bring the checkpoints home and release the machine: do it here.
          job = await followJob(job.id, running, { store: c.store, home: c.home, target, logger: c.logger });
        }
      } else {
        job = await finalize(c.store, job.id, { state: 'CANCELLED', exitCode: null, reason: 'stopped by user', now: new Date() });
      }
      job = (await c.store.get(job.id)) ?? job;
      if (o.json) out.json(job);
      else err.line(`stopped ${job.name} (${job.id})`);
      return 0;
    }));
}
