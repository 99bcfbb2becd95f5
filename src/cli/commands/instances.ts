import type { Command } from 'commander';
import { formatUsd } from '../../core/cost/meter';
import { listInstances, terminateOrphans } from '../../core/cost/orphans';
import { reconcileJobs } from '../../core/jobs/reconcile';
import { offerSources } from '../../core/offers/sources';
import { act } from '../action';
import type { CliContext } from '../context';
import { err, out, table } from '../io';

export function registerInstances(program: Command, ctx: () => CliContext): void {
  program
    .command('instances')
    .description('instances at every configured provider; those with a Ferry label and no live job are orphans')
    .option('--terminate-orphans', 'terminate every orphan')
    .option('--json', 'print {instances, errors[, terminated, failed]} as JSON')
    .action(act(async (o: { terminateOrphans?: boolean; json?: boolean }) => {
      const c = ctx();
      const { providers } = offerSources({ env: process.env, config: await c.config(), logger: c.logger });
      if (providers.length === 0) {
        if (o.json) out.json({ instances: [], errors: {} });
        else out.line('No cloud provider configured (set FERRY_VAST_API_KEY, FERRY_RUNPOD_API_KEY or FERRY_LAMBDA_API_KEY).');
        return 0;
      }
      const abort = new AbortController();
      process.once('SIGINT', () => abort.abort());
      // Jobs whose controller died are brought up to date first, so their instances show as orphans.
      const jobs = await reconcileJobs(c.store, c.home, c.targetFor, c.logger);
      const report = await listInstances(providers, jobs, abort.signal);
      for (const [p, e] of Object.entries(report.errors)) err.line(`warning: ${p}: ${e}`);
      const result = o.terminateOrphans ? await terminateOrphans(providers, report, abort.signal) : undefined;
      if (o.json) {
        out.json({ ...report, ...(result ? { terminated: result.terminated.map((i) => i.id), failed: result.failed.map((f) => ({ id: f.instance.id, error: f.error })) } : {}) });
      } else if (report.instances.length === 0) {
        out.line('No instances.');
      } else {
        out.line(
          table(
            ['PROVIDER', 'ID', 'NAME', 'STATUS', '$/H', 'JOB', 'ORPHAN'],
            report.instances.map((i) => [i.provider, i.id, i.name, i.rawStatus || i.status, formatUsd(i.pricePerHour), i.jobId ?? '-', i.orphan ? 'yes' : '']),
          ),
        );
        const orphans = report.instances.filter((i) => i.orphan);
        if (orphans.length && !result) {
          const burn = orphans.reduce((s, i) => s + i.pricePerHour, 0);
          err.line(`warning: ${orphans.length} orphan instance(s) bill ${formatUsd(burn)}/h for no job; end them with: ferry instances --terminate-orphans`);
        }
      }
      if (result) {
        for (const t of result.terminated) err.line(`terminated ${t.provider} ${t.id}`);
        for (const f of result.failed) err.line(`error: could not terminate ${f.instance.provider} ${f.instance.id}: ${f.error}`);
        return result.failed.length ? 3 : 0;
      }
      return Object.keys(report.errors).length ? 3 : 0;
    }));
}
