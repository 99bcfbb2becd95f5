import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { buildDashboard } from '../../../src/core/cost/dashboard';
import { formatUsd } from '../../../src/core/cost/meter';
import { JobStore } from '../../../src/core/jobs/store';
import type { JobRecord } from '../../../src/core/jobs/types';
import { CLI, ferrySync, tempHome } from '../../helpers/cli';
import { sampleSpec } from '../jobs/fixtures/sampleJob';

/**
 * Issue 6, "done when": `ferry cost --json` agrees with the panel's totals for the same store.
 * One store, read by the built CLI and by the view-model builder the panel uses.
 */

const HOUR = 3_600_000;

function iso(msAgo: number): string {
  return new Date(Date.now() - msAgo).toISOString();
}

interface CostJson {
  total: number;
  today: number;
  month: number;
  perProvider: Record<string, number>;
  perJob: { id: string; cost: number }[];
  burnRatePerHour: number;
}

describe('ferry cost --json and the dashboard agree on one store', () => {
  const tmp = tempHome('ferry-dash-parity-');
  const store = new JobStore(tmp.home);

  before(async () => {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first`);
    const job = (name: string, target: string, attempts: JobRecord['attempts'], state: JobRecord['state'] = 'SUCCEEDED'): Promise<JobRecord> =>
      store.create({ name, target, spec: sampleSpec(name), workdir: '/w', state, attempts });
    // Finished jobs only: their costs do not move while the two readers run.
    await job('two-days-ago', 'vast', [{ n: 1, target: 'vast', offer: { provider: 'vast', id: 'o1' }, pricePerHour: 0.37, startedAt: iso(50 * HOUR), endedAt: iso(47 * HOUR) }]);
    await job('preempted', 'cheapest', [
      { n: 1, target: 'vast', offer: { provider: 'vast', id: 'o2' }, pricePerHour: 0.41, startedAt: iso(6 * HOUR), endedAt: iso(5 * HOUR), exitReason: 'preempted' },
      { n: 2, target: 'runpod', offer: { provider: 'runpod', id: 'o3' }, pricePerHour: 0.44, startedAt: iso(5 * HOUR - 60_000), endedAt: iso(2 * HOUR), exitReason: 'exit 0' },
    ]);
    await job('last-month', 'lambda', [{ n: 1, target: 'lambda', offer: { provider: 'lambda', id: 'o4' }, pricePerHour: 1.29, startedAt: iso(40 * 24 * HOUR), endedAt: iso(39 * 24 * HOUR) }]);
    await job('free', 'local', [{ n: 1, target: 'local', pricePerHour: 0, startedAt: iso(HOUR), endedAt: iso(HOUR - 60_000) }]);
  });

  after(() => tmp.remove());

  for (const range of ['24h', '7d', '30d'] as const) {
    test(`--since ${range}`, async () => {
      const r = ferrySync(['cost', '--since', range, '--json'], { FERRY_HOME: tmp.home });
      assert.equal(r.code, 0, r.stderr);
      const cli = JSON.parse(r.stdout) as CostJson;
      const jobs = await store.list();
      const vm = buildDashboard({ jobs, now: new Date(), range });

      assert.equal(vm.spend.range.usd, cli.total, 'the panel\'s "last <range>" is ferry cost --since <range>');
      assert.equal(vm.spend.today.usd, cli.today);
      assert.equal(vm.spend.month.usd, cli.month);
      assert.equal(vm.spend.burnRatePerHour.usd, cli.burnRatePerHour);
      assert.equal(vm.spend.range.text, formatUsd(cli.total));
      for (const line of cli.perJob) {
        assert.equal(vm.jobs.find((j) => j.id === line.id)?.cost.text, formatUsd(line.cost), `job ${line.id}`);
      }
      if (range === '30d') {
        assert.ok(cli.total > 0);
        assert.ok(vm.spend.allTime.usd > cli.total, 'all time also counts last month');
      }
    });
  }
});
