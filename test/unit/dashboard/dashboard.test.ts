import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  buildDashboard,
  checkpointTimeline,
  costChart,
  countRecoveries,
  jobBudgetBar,
  orphanViews,
  projectedExtraSpend,
  staleCheckpointWarning,
} from '../../../src/core/cost/dashboard';
import { formatUsd, summarizeCost } from '../../../src/core/cost/meter';
import type { JobRecord } from '../../../src/core/jobs/types';
import { NOW, ORPHAN, PREEMPTED_JOB_COST, at, finishedCloudJob, localJob, makeJob, manyJobs, preemptedJob, threeJobs } from './fixtures';

const close = (a: number, b: number, eps = 1e-9): boolean => Math.abs(a - b) < eps;
const H = 3_600_000;

describe('buildDashboard: the same numbers as `ferry cost`', () => {
  for (const utc of [false, true]) {
    test(`totals, per provider and burn rate equal summarizeCost (utc: ${utc})`, () => {
      const jobs = [...threeJobs(), ...manyJobs(40, 2)];
      for (const range of ['24h', '7d', '30d'] as const) {
        const vm = buildDashboard({ jobs, now: NOW, range, utc });
        const all = summarizeCost(jobs, { now: NOW, utc });
        const since = summarizeCost(jobs, { now: NOW, utc, since: new Date(NOW.getTime() - { '24h': 24, '7d': 168, '30d': 720 }[range] * H) });
        assert.equal(vm.spend.allTime.usd, all.total);
        assert.equal(vm.spend.today.usd, all.today);
        assert.equal(vm.spend.month.usd, all.month);
        assert.equal(vm.spend.burnRatePerHour.usd, all.burnRatePerHour);
        assert.equal(vm.spend.range.usd, since.total, `range ${range} = ferry cost --since ${range}`);
        assert.deepEqual(Object.fromEntries(vm.spend.perProvider.map((p) => [p.provider, p.cost.usd])), all.perProvider);
        // The texts are formatUsd's, so the panel prints what the CLI prints.
        assert.equal(vm.spend.allTime.text, formatUsd(all.total));
        assert.equal(vm.spend.range.text, formatUsd(since.total));
        for (const line of all.perJob) {
          const row = vm.jobs.find((r) => r.id === line.id);
          assert.ok(row, line.id);
          assert.equal(row.cost.text, formatUsd(line.cost));
        }
      }
    });
  }

  test('the jobs table sums every attempt', () => {
    const vm = buildDashboard({ jobs: threeJobs(), now: NOW });
    const row = vm.jobs.find((r) => r.name === 'cifar-resnet');
    assert.ok(row);
    assert.ok(close(row.cost.usd, PREEMPTED_JOB_COST));
    assert.equal(row.cost.text, '$1.57');
    assert.equal(row.attempts, 3);
    assert.equal(row.recoveries, 2);
    assert.equal(row.provider, 'vast');
    assert.equal(row.gpu, 'RTX 4090');
    assert.equal(row.pricePerHour.text, '$0.42');
    assert.equal(row.durationSec, (12 * 60 - (7 * 60 + 58)) * 60);
    assert.equal(row.preemptible, true);
    const lambda = vm.jobs.find((r) => r.name === 'llama-lora');
    assert.equal(lambda?.cost.text, '$7.74');
    assert.equal(lambda?.recoveries, 0);
    assert.equal(lambda?.durationSec, (6 * 60 + 2) * 60);
    assert.deepEqual(
      vm.jobs.map((r) => r.name),
      ['quickstart', 'cifar-resnet', 'llama-lora'],
      'store order kept',
    );
  });

  test('no jobs: the empty state, $0.00 everywhere, never NaN', () => {
    const vm = buildDashboard({ jobs: [], now: NOW, monthlyCap: 100, home: '/home/me/.ferry' });
    assert.equal(vm.empty, true);
    assert.equal(vm.home, '/home/me/.ferry');
    assert.equal(vm.spend.allTime.text, '$0.00');
    assert.equal(vm.spend.burnRatePerHour.usd, 0);
    assert.deepEqual(vm.jobs, []);
    assert.deepEqual(vm.chart.series, []);
    assert.equal(vm.caps[0]?.projected.usd, 0);
    assert.equal(JSON.stringify(vm).includes('NaN'), false);
  });

  test('bad dates and prices count 0 and never produce NaN or null amounts', () => {
    const broken = makeJob({
      id: '20240515-000000-bad000',
      name: 'broken',
      state: 'RUNNING',
      startedAt: 'soon',
      attempts: [{ n: 1, target: 'vast', pricePerHour: Number.NaN, startedAt: 'yesterday' }],
      checkpoints: [{ name: 'c', sizeBytes: Number.NaN, createdAt: 'never', attempt: 1, locations: [] }],
    });
    const vm = buildDashboard({ jobs: [broken, ...threeJobs()], now: NOW, monthlyCap: 50 });
    const text = JSON.stringify(vm);
    assert.equal(text.includes('NaN'), false);
    assert.equal(text.includes('Infinity'), false);
    const row = vm.jobs.find((r) => r.name === 'broken');
    assert.equal(row?.cost.usd, 0);
    assert.equal(row?.durationSec, 0);
    assert.equal(row?.startedAt, null);
  });

  test('GPU utilization passes through when known, clamped to 0..100', () => {
    const jobs = threeJobs();
    const [a, b] = jobs;
    const vm = buildDashboard({ jobs, now: NOW, gpuUtil: { [a?.id ?? '']: 87.4, [b?.id ?? '']: 140 } });
    assert.equal(vm.jobs[0]?.avgGpuUtil, 87.4);
    assert.equal(vm.jobs[1]?.avgGpuUtil, 100);
    assert.equal(vm.jobs[2]?.avgGpuUtil, null);
  });
});

describe('budgets and projections', () => {
  test('a running job: projection to its max_duration', () => {
    const job = preemptedJob(); // max_cost 5, max_duration 6h from 07:58 -> 13:58
    const bar = jobBudgetBar(job, NOW, Date.parse('2024-06-01T00:00:00.000Z'));
    assert.ok(bar);
    assert.ok(close(bar.spent.usd, PREEMPTED_JOB_COST));
    assert.equal(bar.burnRatePerHour.usd, 0.42);
    assert.equal(bar.projection.basis, 'max_duration');
    assert.equal(bar.projection.until, at('13:58'));
    assert.ok(close(bar.projection.cost.usd, PREEMPTED_JOB_COST + 0.42 * (118 / 60)));
    assert.ok(close(bar.fraction, PREEMPTED_JOB_COST / 5));
    assert.equal(bar.exhaustsAt, null, 'the budget lasts past max_duration');
    assert.equal(bar.exhausted, false);
  });

  test('the time the budget runs out, when before the projection end', () => {
    const job = preemptedJob();
    job.spec.budget.max_cost = 2;
    const bar = jobBudgetBar(job, NOW, Date.parse('2024-06-01T00:00:00.000Z'));
    const expected = NOW.getTime() + ((2 - PREEMPTED_JOB_COST) / 0.42) * H;
    assert.ok(bar?.exhaustsAt);
    assert.ok(Math.abs(Date.parse(bar.exhaustsAt) - expected) <= 1);
    job.spec.budget.max_cost = 1.5;
    const spent = jobBudgetBar(job, NOW, 0);
    assert.equal(spent?.exhausted, true);
    assert.equal(spent?.exhaustsAt, null);
  });

  test('no max_duration: the projection runs to month end', () => {
    const job = preemptedJob();
    delete job.spec.budget.max_duration;
    const monthEnd = Date.parse('2024-06-01T00:00:00.000Z');
    const bar = jobBudgetBar(job, NOW, monthEnd);
    assert.equal(bar?.projection.basis, 'month_end');
    assert.equal(bar?.projection.until, '2024-06-01T00:00:00.000Z');
    assert.ok(close(bar?.projection.cost.usd ?? 0, PREEMPTED_JOB_COST + 0.42 * ((monthEnd - NOW.getTime()) / H)));
  });

  test('finished jobs and jobs without max_cost get no bar', () => {
    assert.equal(jobBudgetBar(finishedCloudJob(), NOW, 0), undefined);
    const job = preemptedJob();
    job.spec.budget = {};
    assert.equal(jobBudgetBar(job, NOW, 0), undefined);
    const vm = buildDashboard({ jobs: threeJobs(), now: NOW });
    assert.deepEqual(
      vm.jobBudgets.map((b) => b.name),
      ['cifar-resnet'],
    );
  });

  test('monthly cap: spent this month plus what running jobs will spend by month end, each stopped by its own limits', () => {
    const now = new Date('2024-05-31T22:00:00.000Z');
    const running = (id: string, budget: JobRecord['spec']['budget']): JobRecord =>
      makeJob(
        { id, name: id, state: 'RUNNING', startedAt: '2024-05-31T20:00:00.000Z', attempts: [{ n: 1, target: 'vast', pricePerHour: 1, startedAt: '2024-05-31T20:00:00.000Z' }] },
        { budget },
      );
    // 2h left in May (UTC). Unlimited: +2. max_duration 3h: stops at 23:00, +1. max_cost 2.5 with 2 spent: +0.5.
    assert.ok(close(projectedExtraSpend(running('a', {}), now, Date.parse('2024-06-01T00:00:00.000Z')), 2));
    assert.ok(close(projectedExtraSpend(running('b', { max_duration: 3 * 3600 }), now, Date.parse('2024-06-01T00:00:00.000Z')), 1));
    assert.ok(close(projectedExtraSpend(running('c', { max_cost: 2.5 }), now, Date.parse('2024-06-01T00:00:00.000Z')), 0.5));
    const jobs = [running('a', {}), running('b', { max_duration: 3 * 3600 }), running('c', { max_cost: 2.5 })];
    const vm = buildDashboard({ jobs, now, utc: true, monthlyCap: 8, dailyCap: 10 });
    const month = vm.caps.find((c) => c.kind === 'month');
    assert.ok(month);
    assert.ok(close(month.spent.usd, 6));
    assert.ok(close(month.projected.usd, 6 + 2 + 1 + 0.5));
    assert.equal(month.periodEnd, '2024-06-01T00:00:00.000Z');
    assert.equal(month.overProjected, true);
    assert.ok(close(month.fraction, 6 / 8));
    const day = vm.caps.find((c) => c.kind === 'day');
    assert.equal(day?.periodEnd, '2024-06-01T00:00:00.000Z');
    assert.equal(day?.overProjected, false);
  });

  test('month boundaries: an attempt across midnight of the 1st counts in each month for its part', () => {
    const job = makeJob({
      id: '20240430-220000-aaaaaa',
      name: 'cross',
      state: 'SUCCEEDED',
      attempts: [{ n: 1, target: 'vast', pricePerHour: 1, startedAt: '2024-04-30T22:00:00.000Z', endedAt: '2024-05-01T02:00:00.000Z' }],
    });
    const vm = buildDashboard({ jobs: [job], now: new Date('2024-05-01T03:00:00.000Z'), utc: true, monthlyCap: 10 });
    assert.ok(close(vm.spend.allTime.usd, 4));
    assert.ok(close(vm.spend.month.usd, 2));
    assert.ok(close(vm.spend.today.usd, 2));
    assert.ok(close(vm.caps[0]?.projected.usd ?? -1, 2), 'nothing running: the projection is what was spent');
    assert.equal(vm.caps[0]?.periodEnd, '2024-06-01T00:00:00.000Z');
  });

  test('December rolls over into January', () => {
    const vm = buildDashboard({ jobs: [], now: new Date('2024-12-31T23:30:00.000Z'), utc: true, monthlyCap: 1, dailyCap: 1 });
    assert.equal(vm.caps.find((c) => c.kind === 'month')?.periodEnd, '2025-01-01T00:00:00.000Z');
    assert.equal(vm.caps.find((c) => c.kind === 'day')?.periodEnd, '2025-01-01T00:00:00.000Z');
  });
});

describe('cost over time', () => {
  test('cumulative spend per job: null before it started, the job cost at now, never decreasing', () => {
    const jobs = threeJobs();
    const chart = costChart(jobs, NOW, '24h', 8);
    assert.equal(chart.xs[chart.xs.length - 1], NOW.getTime() / 1000);
    assert.equal(chart.xs[0], NOW.getTime() / 1000 - 24 * 3600);
    for (let i = 1; i < chart.xs.length; i++) assert.ok((chart.xs[i] ?? 0) > (chart.xs[i - 1] ?? 0));
    const s = chart.series.find((x) => x.name === 'cifar-resnet');
    assert.ok(s);
    assert.equal(s.budget, 5);
    assert.ok(close(s.values[s.values.length - 1] ?? -1, PREEMPTED_JOB_COST));
    const firstIdx = s.values.findIndex((v) => v !== null);
    assert.equal(chart.xs[firstIdx], Date.parse(at('08:00')) / 1000, 'the attempt start is an exact breakpoint');
    assert.equal(s.values[firstIdx], 0);
    let prev = 0;
    for (const v of s.values.slice(firstIdx)) {
      assert.ok(v !== null && v >= prev - 1e-12);
      prev = v;
    }
    // Flat while preempted (09:00 -> 09:10): both breakpoints present, same value.
    const v900 = s.values[chart.xs.indexOf(Date.parse(at('09:00')) / 1000)];
    const v910 = s.values[chart.xs.indexOf(Date.parse(at('09:10')) / 1000)];
    assert.ok(v900 !== undefined && v910 !== undefined && close(v900 ?? -1, 0.4) && close(v910 ?? -1, 0.4));
    // Cumulative means the job's whole cost so far, including what it spent before the range.
    const lambda = chart.series.find((x) => x.name === 'llama-lora');
    assert.ok(close(lambda?.values[lambda.values.length - 1] ?? -1, 7.74));
  });

  test('only the most expensive jobs are drawn, plus any asked for', () => {
    const jobs = manyJobs(30, 1);
    const chart = costChart(jobs, NOW, '30d', 5);
    assert.equal(chart.series.length, 5);
    assert.equal(chart.omitted, 25);
    const cheapest = jobs.reduce((a, b) => ((a.attempts[0]?.pricePerHour ?? 0) < (b.attempts[0]?.pricePerHour ?? 0) ? a : b));
    const withSelected = costChart(jobs, NOW, '30d', 5, [cheapest.id]);
    assert.equal(withSelected.series.length, 6);
    assert.ok(withSelected.series.some((s) => s.jobId === cheapest.id));
    assert.equal(costChart(jobs, NOW, '24h', 50).series.length < 30, true, 'jobs without usage in the range are left out');
  });
});

describe('checkpoints', () => {
  test('the timeline: newest first, the latest marked, where each copy lives', () => {
    const t = checkpointTimeline(preemptedJob(), NOW, 1800);
    assert.deepEqual(
      t.items.map((i) => [i.name, i.latest]),
      [
        ['ckpt-000300.pt', true],
        ['ckpt-000200.pt', false],
        ['ckpt-000100.pt', false],
      ],
    );
    assert.equal(t.latest, 'ckpt-000300.pt');
    assert.deepEqual(
      t.items[0]?.locations.map((l) => l.kind),
      ['remote', 's3', 'local'],
    );
    assert.equal(t.items[0]?.hasLocal, true);
    assert.equal(t.items[2]?.canDownload, true, 'remote + s3, no local copy: download');
    assert.equal(t.items[2]?.hasLocal, false);
    assert.equal(t.canResume, false, 'a running job is not resumed');
    assert.equal(checkpointTimeline(finishedCloudJob(), NOW, 1800).canResume, true);
    assert.equal(checkpointTimeline(makeJob({ id: 'x1', name: 'x', state: 'FAILED' }), NOW, 1800).canResume, false, 'nothing to resume from');
  });

  test('the latest is by time, then step, whatever the store order', () => {
    const job = localJob();
    job.checkpoints.reverse();
    const t = checkpointTimeline(job, NOW, 1800);
    assert.equal(t.latest, 'ckpt-000003.json');
    assert.equal(t.items[0]?.latest, true);
  });

  test('the stale-checkpoint warning: preemptible, running, last checkpoint older than the threshold', () => {
    const job = preemptedJob(); // spot, last checkpoint 11:00, now 12:00
    const w = staleCheckpointWarning(job, NOW, 30 * 60);
    assert.ok(w);
    assert.equal(w.sinceSec, 3600);
    assert.equal(w.lastCheckpointAt, at('11:00'));
    assert.match(w.message, /cifar-resnet .*60 min/);
    assert.equal(staleCheckpointWarning(job, NOW, 2 * 3600), null, 'under the threshold');
    assert.equal(staleCheckpointWarning(finishedCloudJob(), NOW, 60), null, 'not running');
    const onDemand = preemptedJob();
    onDemand.spec.resources.spot = 'on-demand';
    onDemand.attempts = onDemand.attempts.slice(2).map((a) => ({ ...a, n: 1 }));
    assert.equal(staleCheckpointWarning(onDemand, NOW, 60), null, 'not preemptible');
    const vm = buildDashboard({ jobs: threeJobs(), now: NOW });
    assert.deepEqual(
      vm.warnings.map((x) => x.jobId),
      [job.id],
    );
  });

  test('after a recovery the clock starts at the new attempt, not at an old checkpoint', () => {
    const job = preemptedJob();
    job.checkpoints = job.checkpoints.slice(0, 2); // last one 09:40, attempt 3 started 10:05
    const w = staleCheckpointWarning(job, NOW, 30 * 60);
    assert.equal(w?.sinceSec, (12 * 60 - (10 * 60 + 5)) * 60);
    assert.equal(w?.lastCheckpointAt, null);
    assert.match(w?.message ?? '', /no checkpoint in 115 min of this attempt/);
    const recent = staleCheckpointWarning(job, new Date(at('10:20')), 30 * 60);
    assert.equal(recent, null);
  });
});

describe('recoveries and orphans', () => {
  test('a recovery is an attempt after a lost one, not after a manual resume', () => {
    const a = (reason: string): JobRecord['attempts'][number] => ({ n: 1, target: 'vast', pricePerHour: 1, startedAt: at('01:00'), endedAt: at('02:00'), exitReason: reason });
    assert.equal(countRecoveries([a('preempted'), a('instance lost'), a('exit 0')]), 2);
    assert.equal(countRecoveries([a('exited with code 1'), a('cancelled'), a('exit 0')]), 0);
    assert.equal(countRecoveries([]), 0);
  });

  test('orphans: a finished job with an attempt that never ended, and those passed in, once each', () => {
    const leaked = finishedCloudJob();
    leaked.state = 'FAILED';
    delete leaked.attempts[0]?.endedAt;
    const views = orphanViews([leaked, preemptedJob()], [ORPHAN, { ...ORPHAN }]);
    assert.deepEqual(
      views.map((o) => [o.provider, o.instanceId, o.pricePerHour.text]),
      [
        ['lambda', 'l-1', '$1.29'],
        ['vast', 'i-999', '$0.35'],
      ],
    );
    assert.match(views[0]?.reason ?? '', /llama-lora is FAILED but attempt 1 never ended/);
    const vm = buildDashboard({ jobs: [leaked], now: NOW, orphans: [ORPHAN] });
    assert.equal(vm.orphans.burnRatePerHour.text, formatUsd(1.29 + 0.35));
  });
});

describe('scale', () => {
  test('200 jobs and 2,000 checkpoints build into one plain-JSON model', () => {
    const jobs = manyJobs();
    const t0 = performance.now();
    const vm = buildDashboard({ jobs, now: NOW, range: '30d' });
    const ms = performance.now() - t0;
    assert.equal(vm.jobs.length, 200);
    assert.equal(
      Object.values(vm.checkpoints).reduce((n, t) => n + t.items.length, 0),
      2000,
    );
    assert.deepEqual(JSON.parse(JSON.stringify(vm)), vm, 'survives postMessage unchanged');
    assert.ok(ms < 2000, `built in ${ms.toFixed(0)} ms`);
  });
});

describe('GPU utilization recorded by the runner', () => {
  test('averages the samples of every attempt, weighted by count, when no live figure is given', async () => {
    const { recordedGpuUtil } = await import('../../../src/core/cost/dashboard');
    const base = { n: 1, target: 'local', pricePerHour: 0, startedAt: '2026-11-01T00:00:00Z' };
    const job = { attempts: [{ ...base, gpuUtil: { avg: 90, samples: 3, last: 90 } }, { ...base, n: 2, gpuUtil: { avg: 10, samples: 1, last: 10 } }, { ...base, n: 3 }] };
    assert.equal(recordedGpuUtil(job as never), 70);
    assert.equal(recordedGpuUtil({ attempts: [base] } as never), undefined);
  });
});
