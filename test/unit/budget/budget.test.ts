import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { loadConfig } from '../../../src/core/config';
import { BudgetGuard, IdleDetector, launchBudgetCheck } from '../../../src/core/cost/budget';
import type { JobRecord } from '../../../src/core/jobs/types';
import { parseGpuUtilCsv } from '../../../src/core/targets/gpuUtil';

const T0 = Date.parse('2026-11-02T10:00:00Z');

function job(budget: JobRecord['spec']['budget'], price: number, startedMs = T0): JobRecord {
  return {
    id: 'j1',
    name: 'train',
    state: 'RUNNING',
    target: 'vast',
    workdir: '/w',
    spec: {
      name: 'train', workdir: '/w', exclude: [], data: [], env: {}, secrets: [], resources: { spot: 'auto' }, run: 'x',
      checkpoints: { path: 'checkpoints' }, outputs: [], budget, retry: { on: [], max_attempts: 1 }, target: 'vast',
    },
    attempts: [{ n: 1, target: 'vast', pricePerHour: price, startedAt: new Date(startedMs).toISOString() }],
    checkpoints: [], outputs: [], exitCode: null, cost: 0,
    createdAt: new Date(T0).toISOString(), updatedAt: new Date(T0).toISOString(),
  };
}

describe('BudgetGuard', () => {
  it('warns once at 80% of max_cost and stops at 100%', () => {
    const j = job({ max_cost: 10 }, 10); // $10/h: 48 min = $8, 60 min = $10
    const g = new BudgetGuard();
    const attempt = j.attempts[0]!;
    assert.deepEqual(g.check(j, attempt, new Date(T0 + 47 * 60_000)), { notices: [] });
    const at80 = g.check(j, attempt, new Date(T0 + 48 * 60_000));
    assert.equal(at80.notices.length, 1);
    assert.equal(at80.notices[0]?.message, 'train has spent $8.00 of its $10.00 budget; it will be stopped at 100%');
    assert.equal(at80.stop, undefined);
    assert.equal(g.check(j, attempt, new Date(T0 + 50 * 60_000)).notices.length, 0, 'warned once only');
    assert.deepEqual(g.check(j, attempt, new Date(T0 + 60 * 60_000)).stop, { state: 'STOPPED_BY_BUDGET', reason: 'reached budget.max_cost ($10.00)' });
  });

  it('counts max_duration over every attempt', () => {
    const j = job({ max_duration: 3600 }, 0);
    j.attempts = [
      { n: 1, target: 'local', pricePerHour: 0, startedAt: new Date(T0).toISOString(), endedAt: new Date(T0 + 40 * 60_000).toISOString() },
      { n: 2, target: 'local', pricePerHour: 0, startedAt: new Date(T0 + 50 * 60_000).toISOString() },
    ];
    const g = new BudgetGuard();
    assert.equal(g.check(j, j.attempts[1]!, new Date(T0 + 60 * 60_000)).notices[0]?.message, 'train has used 83% of budget.max_duration (1h); it will be stopped at 100%');
    assert.equal(g.check(j, j.attempts[1]!, new Date(T0 + 70 * 60_000)).stop?.reason, 'ran past budget.max_duration (1h)');
  });

  it('stops paid jobs when the monthly budget is spent', () => {
    const j = job({}, 1);
    const g = new BudgetGuard({ monthlyBudget: 100 });
    assert.equal(g.check(j, j.attempts[0]!, new Date(T0), 85).notices[0]?.code, 'monthly-warn');
    assert.equal(g.check(j, j.attempts[0]!, new Date(T0), 100).stop?.reason, 'the monthly budget ($100.00) is spent');
    const free = job({}, 0);
    assert.equal(g.check(free, free.attempts[0]!, new Date(T0), 500).stop, undefined, 'a free job is not stopped');
  });
});

describe('IdleDetector (autostop)', () => {
  it('warns at half the window and stops at its end; a busy sample resets it', () => {
    const d = new IdleDetector({ idleMinutes: 10, minUtil: 5, name: 'train' });
    assert.deepEqual(d.sample(0, T0), {});
    assert.deepEqual(d.sample(50, T0 + 4 * 60_000), {}, 'busy: window reset');
    assert.deepEqual(d.sample(2, T0 + 5 * 60_000), {});
    const warn = d.sample(1, T0 + 10 * 60_000);
    assert.equal(warn.notice?.message, 'train looks stalled (GPU utilization under 5% for 5m); autostop in 5m');
    assert.equal(d.sample(1, T0 + 14 * 60_000).stop, undefined);
    assert.deepEqual(d.sample(4.9, T0 + 15 * 60_000).stop, { state: 'STOPPED_BY_BUDGET', reason: 'autostop: GPU utilization under 5% for 10m' });
  });
});

describe('launchBudgetCheck', () => {
  it('needs a confirmation when the worst case passes what is left of the month', () => {
    assert.equal(launchBudgetCheck({ pricePerHour: 2, maxDurationS: 6 * 3600, monthlyBudget: 100, monthSpent: 80 }).needsConfirmation, false);
    const r = launchBudgetCheck({ pricePerHour: 2, maxDurationS: 12 * 3600, monthlyBudget: 100, monthSpent: 80 });
    assert.equal(r.needsConfirmation, true);
    assert.equal(r.message, 'worst case $24.00 at $2.00/h would pass what is left of the monthly budget ($20.00 of $100.00)');
    const unbounded = launchBudgetCheck({ pricePerHour: 2, monthlyBudget: 100, monthSpent: 0 });
    assert.equal(unbounded.needsConfirmation, true);
    assert.match(unbounded.message ?? '', /unbounded \(no budget.max_duration\)/);
    assert.equal(launchBudgetCheck({ pricePerHour: 0, monthlyBudget: 1, monthSpent: 5 }).needsConfirmation, false, 'free targets never ask');
    assert.equal(launchBudgetCheck({ pricePerHour: 9, maxDurationS: 3600, monthSpent: 0 }).needsConfirmation, false, 'no cap, no question');
  });
});

describe('config.yaml', () => {
  it('reads the file, lets the environment win, and reports a bad key', async () => {
    const home = mkdtempSync(path.join(tmpdir(), 'ferry-cfg-'));
    try {
      assert.deepEqual(await loadConfig(home, {}), { localPricePerHour: 0, sshPrices: {}, slurmPrices: {}, budgetWarnFraction: 0.8 });
      writeFileSync(path.join(home, 'config.yaml'), 'monthly_budget: 50\nlocal_price_per_hour: 0.1\nssh_prices: {box: 0.4}\n');
      assert.deepEqual(await loadConfig(home, { FERRY_MONTHLY_BUDGET: '75' }), { monthlyBudget: 75, localPricePerHour: 0.1, sshPrices: { box: 0.4 }, slurmPrices: {}, budgetWarnFraction: 0.8 });
      writeFileSync(path.join(home, 'config.yaml'), 'monthly_budjet: 50\n');
      await assert.rejects(loadConfig(home, {}), /config\.yaml: unknown key "monthly_budjet" \(did you mean "monthly_budget"\?\)/);
      writeFileSync(path.join(home, 'config.yaml'), '');
      await assert.rejects(loadConfig(home, { FERRY_LOCAL_PRICE_PER_HOUR: 'cheap' }), /FERRY_LOCAL_PRICE_PER_HOUR must be a number >= 0, got "cheap"/);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});

describe('nvidia-smi utilization CSV', () => {
  it('averages GPUs and ignores junk', () => {
    assert.equal(parseGpuUtilCsv('0\n100\n'), 50);
    assert.equal(parseGpuUtilCsv(' 37 %\n'), 37);
    assert.equal(parseGpuUtilCsv('[N/A]\n'), undefined);
    assert.equal(parseGpuUtilCsv(''), undefined);
  });
});
