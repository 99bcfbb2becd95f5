import type { Command } from 'commander';
import * as path from 'node:path';
import { gitInfo } from '../../core/jobs/git';
import { loadSpec } from '../../core/spec/parse';
import { UserError } from '../../core/util/errors';
import type { CliContext } from '../context';
import { act } from '../action';
import { exitCodeOf, printSummary, runForeground, spawnController } from '../foreground';
import { confirm, err, out } from '../io';
import { launchBudgetCheck } from '../../core/cost/budget';
import { summarizeCost } from '../../core/cost/meter';

export function registerRun(program: Command, ctx: () => CliContext): void {
  program
    .command('run')
    .description('run a script or a ferry.yaml (default: ./ferry.yaml) and follow it')
    .argument('[path]', 'a .py/.sh script, a ferry.yaml, or a folder holding one', '.')
    .option('-t, --target <target>', 'where to run: local | ssh:<alias> | slurm:<alias> | vast | runpod | lambda | cheapest')
    .option('-d, --detach', 'start the job and return; a background controller follows it')
    .option('-y, --yes', 'do not ask for confirmation')
    .option('--json', 'print the job record as JSON on stdout')
    .action(act(async (p: string, o: { target?: string; detach?: boolean; yes?: boolean; json?: boolean }) => {
      const c = ctx();
      const loaded = await loadSpec(p, { cwd: process.cwd() });
      const target = o.target ?? loaded.spec.target;
      if (!/^(local|cheapest|vast|runpod|lambda|ssh:[^\s]+|slurm:[^\s]+)$/.test(target)) {
        throw new UserError(`--target "${target}" is not a target (expected local, ssh:<alias>, slurm:<alias>, vast, runpod, lambda or cheapest)`);
      }
      const t = await c.targetFor(target); // fail on an unusable target before a job record exists
      await checkMonthlyBudget(c, t.pricePerHour(), loaded.spec.budget.max_duration, o.yes);
      const git = await gitInfo(loaded.spec.workdir);
      const job = await c.store.create({
        name: loaded.spec.name,
        target,
        spec: loaded.spec,
        specFile: loaded.file,
        workdir: loaded.spec.workdir,
        ...(git ? { git } : {}),
      });
      if (o.detach) {
        await spawnController(c, job);
        if (o.json) out.json(job);
        else {
          out.line(job.id);
          err.line(`started ${job.name} (${job.id}) on ${target}; follow with: ferry logs -f ${job.id}`);
        }
        return 0;
      }
      if (!o.json) err.line(`[ferry] job ${job.id} (${job.name}) from ${loaded.file ? path.relative(process.cwd(), loaded.file) || loaded.file : p}`);
      const final = await runForeground(c, job, { json: o.json });
      if (o.json) out.json(final);
      else printSummary(final);
      return exitCodeOf(final);
    }));
}

/** A launch whose worst case could pass what is left of the monthly budget needs a yes. */
export async function checkMonthlyBudget(c: CliContext, pricePerHour: number, maxDurationS: number | undefined, yes: boolean | undefined): Promise<void> {
  const config = await c.config();
  if (config.monthlyBudget === undefined) return;
  const monthSpent = summarizeCost(await c.store.list(), { now: new Date() }).month;
  const check = launchBudgetCheck({ pricePerHour, maxDurationS, monthlyBudget: config.monthlyBudget, monthSpent });
  if (!check.needsConfirmation) return;
  if (await confirm(`${check.message}. Launch anyway?`, yes)) return;
  throw new UserError(`not launched: ${check.message}`, { hint: 'set budget.max_duration, raise monthly_budget in config.yaml, or pass --yes' });
}
