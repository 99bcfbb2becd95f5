import type { Command } from 'commander';
import { formatUsd, summarizeCost } from '../../core/cost/meter';
import { parseDuration } from '../../core/spec/duration';
import { UserError, errorMessage } from '../../core/util/errors';
import type { CliContext } from '../context';
import { act } from '../action';
import { out, table } from '../io';

export function registerCost(program: Command, ctx: () => CliContext): void {
  program
    .command('cost')
    .description('spend per job and per provider, totals and the burn rate now')
    .option('--since <duration>', 'only spend within this window, e.g. 24h, 7d, 30d', '30d')
    .option('--json', 'print the summary as JSON')
    .action(act(async (o: { since: string; json?: boolean }) => {
      const c = ctx();
      let seconds: number;
      try {
        seconds = parseDuration(o.since);
      } catch (e) {
        throw new UserError(`--since "${o.since}": ${errorMessage(e)}`);
      }
      const now = new Date();
      const since = new Date(now.getTime() - seconds * 1000);
      const summary = summarizeCost(await c.store.list(), { since, now });
      if (o.json) {
        out.json({ since: since.toISOString(), ...summary });
        return 0;
      }
      out.line(`Spend since ${since.toISOString()} (${o.since})`);
      out.line(`  total ${formatUsd(summary.total)} · today ${formatUsd(summary.today)} · this month ${formatUsd(summary.month)} · burning ${formatUsd(summary.burnRatePerHour)}/h now`);
      const providers = Object.entries(summary.perProvider);
      if (providers.length) {
        out.line('');
        out.line(table(['PROVIDER', 'COST'], providers.map(([p, v]) => [p, formatUsd(v)])));
      }
      if (summary.perJob.length) {
        out.line('');
        out.line(table(['JOB', 'NAME', 'TARGET', 'STATE', 'COST'], summary.perJob.map((j) => [j.id, j.name, j.target, j.state, formatUsd(j.cost)])));
      }
      return 0;
    }));
}
