import type { Command } from 'commander';
import type { CliContext } from '../context';
import { act } from '../action';
import { formatBytes, out, table } from '../io';

export function registerCheckpoints(program: Command, ctx: () => CliContext): void {
  program
    .command('checkpoints')
    .description("list a job's checkpoints and where their copies live")
    .argument('<job>', 'job id, unique id prefix, or name (newest)')
    .option('--json', 'print an array of checkpoint records')
    .action(act(async (id: string, o: { json?: boolean }) => {
      const c = ctx();
      const job = await c.store.resolve(id);
      if (o.json) {
        out.json(job.checkpoints);
        return 0;
      }
      if (job.checkpoints.length === 0) {
        out.line(`${job.id} has no checkpoints (write them into $FERRY_CHECKPOINT_DIR)`);
        return 0;
      }
      out.line(
        table(
          ['NAME', 'STEP', 'SIZE', 'CREATED', 'ATTEMPT', 'COPIES'],
          job.checkpoints.map((ck) => [ck.name, ck.step ?? '-', formatBytes(ck.sizeBytes), ck.createdAt, ck.attempt, ck.locations.map((l) => `${l.kind}:${l.uri}`).join(' ') || '-']),
        ),
      );
      return 0;
    }));
}
