import type { Command } from 'commander';
import { promises as fs } from 'node:fs';
import { attemptLogPath, followJob } from '../../core/jobs/runner';
import { controllerAlive } from '../../core/jobs/reconcile';
import { isTerminal } from '../../core/jobs/stateMachine';
import type { JobRecord } from '../../core/jobs/types';
import type { CliContext } from '../context';
import { act } from '../action';
import { out } from '../io';

async function printFrom(file: string, offset: number): Promise<number> {
  const fh = await fs.open(file, 'r').catch(() => undefined);
  if (!fh) return offset;
  try {
    const { size } = await fh.stat();
    let pos = offset;
    const buf = Buffer.alloc(256 * 1024);
    while (pos < size) {
      const { bytesRead } = await fh.read(buf, 0, Math.min(buf.length, size - pos), pos);
      if (bytesRead === 0) break;
      out.write(buf.subarray(0, bytesRead).toString('utf8'));
      pos += bytesRead;
    }
    return pos;
  } finally {
    await fh.close();
  }
}

export function registerLogs(program: Command, ctx: () => CliContext): void {
  program
    .command('logs')
    .description("print a job's log (every attempt); -f follows it while it runs")
    .argument('<job>', 'job id, unique id prefix, or name (newest)')
    .option('-f, --follow', 'keep printing as the job writes, until it ends')
    .action(act(async (id: string, o: { follow?: boolean }) => {
      const c = ctx();
      let job = await c.store.resolve(id);
      const attempts = job.attempts;
      for (const a of attempts.slice(0, -1)) {
        if (attempts.length > 1) out.line(`--- attempt ${a.n} (${a.target}) ---`);
        await printFrom(attemptLogPath(c.home, job, a), 0);
      }
      const last = attempts[attempts.length - 1];
      if (!last) {
        if (!o.follow) return 0;
      }
      if (last && attempts.length > 1) out.line(`--- attempt ${last.n} (${last.target}) ---`);
      let offset = last ? await printFrom(attemptLogPath(c.home, job, last), 0) : 0;
      if (!o.follow || isTerminal(job.state)) return 0;
      // Nobody follows the job (its controller died): this process becomes its controller.
      if (last?.handle && !controllerAlive(job)) {
        const target = await c.targetFor(job.target);
        const running = await target.attach(job, last);
        await followJob(job.id, running, {
          store: c.store,
          home: c.home,
          target,
          logger: c.logger,
          logOffset: offset,
          onLog: (b) => out.write(b.toString('utf8')),
        });
        return 0;
      }
      // Someone else follows it: tail the file the controller writes.
      for (;;) {
        await new Promise((r) => setTimeout(r, 300));
        const fresh: JobRecord | undefined = await c.store.get(job.id);
        if (!fresh) return 0;
        job = fresh;
        const cur = job.attempts[job.attempts.length - 1];
        if (cur && cur.n !== last?.n) return 0;
        if (cur) offset = await printFrom(attemptLogPath(c.home, job, cur), offset);
        if (isTerminal(job.state)) {
          if (cur) await printFrom(attemptLogPath(c.home, job, cur), offset);
          return 0;
        }
      }
    }));
}
