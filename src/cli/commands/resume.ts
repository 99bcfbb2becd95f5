import type { Command } from 'commander';
import { isTerminal } from '../../core/jobs/stateMachine';
import { latestCheckpoint } from '../../core/checkpoints/restore';
import type { CheckpointRecord } from '../../core/jobs/types';
import { UserError } from '../../core/util/errors';
import type { CliContext } from '../context';
import { act } from '../action';
import { exitCodeOf, printSummary, runForeground, spawnController } from '../foreground';
import { err, out } from '../io';

export function registerResume(program: Command, ctx: () => CliContext): void {
  program
    .command('resume')
    .description('start a new attempt of an ended job from its latest (or a chosen) checkpoint')
    .argument('<job>', 'job id, unique id prefix, or name (newest)')
    .option('--from <checkpoint>', 'checkpoint name (see ferry checkpoints JOB)')
    .option('-d, --detach', 'start and return; a background controller follows it')
    .option('--json', 'print the job record as JSON on stdout')
    .action(act(async (id: string, o: { from?: string; detach?: boolean; json?: boolean }) => {
      const c = ctx();
      let job = await c.store.resolve(id);
      if (!isTerminal(job.state)) throw new UserError(`${job.id} is still ${job.state}`, { hint: `stop it first: ferry stop ${job.id}` });
      let from: CheckpointRecord | undefined;
      if (o.from) {
        from = job.checkpoints.find((ck) => ck.name === o.from);
        if (!from) {
          const names = job.checkpoints.map((ck) => ck.name);
          throw new UserError(`job ${job.id} has no checkpoint "${o.from}"`, { hint: names.length ? `its checkpoints: ${names.join(', ')}` : 'it wrote no checkpoint' });
        }
      } else from = latestCheckpoint(job);
      if (!from) err.line(`warning: ${job.id} has no checkpoint; the new attempt starts from scratch`);
      job = await c.store.transition(job.id, 'PENDING', { resume: true, message: from ? `resume from ${from.name}` : 'resume from scratch' });
      if (o.detach) {
        await spawnController(c, job, from?.name);
        if (o.json) out.json(job);
        else out.line(job.id);
        return 0;
      }
      if (!o.json && from) err.line(`[ferry] resuming ${job.id} from ${from.name}`);
      const final = await runForeground(c, job, { json: o.json, resumeFrom: from?.name });
      if (o.json) out.json(final);
      else printSummary(final);
      return exitCodeOf(final);
    }));
}
