import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseGpuQuery } from '../../../src/core/spec/gpuQuery';
import { budgetLeftText, estimateCost, targetChoices } from '../../../src/extension/run/targetChoices';
import { statusBarView } from '../../../src/extension/statusBarModel';
import { attempt, job, NOW, offer, spec } from './fixtures/records';

const offers = [
  offer({ provider: 'local', id: 'local', instanceType: 'laptop', gpuName: 'unknown', gpuCount: 0, gpuMem: 0, pricePerHour: 0.1, region: 'local' }),
  offer({ provider: 'ssh', id: 'ssh:gpu-box', instanceType: '10.0.0.5', pricePerHour: 0.4, region: 'ssh' }),
  offer({ id: 'vast:1', gpuName: 'A100', gpuMem: 80, pricePerHour: 1.8 }),
  offer({ id: 'vast:2', pricePerHour: 0.34 }),
  offer({ provider: 'runpod', id: 'runpod:1', gpuName: 'A100', gpuMem: 80, pricePerHour: 1.6, spotPricePerHour: 0.9 }),
  offer({ provider: 'lambda', id: 'lambda:1', gpuName: 'A100', gpuMem: 80, pricePerHour: 1.2, available: false }),
];

test('targets: this machine, SSH hosts, then the cloud offers that fit, cheapest first', () => {
  const s = spec({ resources: { spot: 'on-demand', gpu: parseGpuQuery('A100:80GB') } });
  const choices = targetChoices(s, offers, { localPricePerHour: 0 });
  assert.deepEqual(
    choices.map((c) => [c.ref, c.pricePerHour]),
    [
      ['local', 0.1],
      ['ssh:gpu-box', 0.4],
      ['runpod', 1.6],
      ['vast', 1.8],
    ],
  );
  assert.match(choices[2]?.description ?? '', /^RunPod · \$1\.60\/h/);
});

test('spot: auto ranks by the cheaper price and says "spot"', () => {
  const s = spec({ resources: { spot: 'auto', gpu: parseGpuQuery('A100') } });
  const c = targetChoices(s, offers, { localPricePerHour: 0 }).filter((x) => x.offer && x.ref !== 'local' && !x.ref.startsWith('ssh:'));
  assert.equal(c[0]?.ref, 'runpod');
  assert.equal(c[0]?.pricePerHour, 0.9);
  assert.match(c[0]?.description ?? '', /\$0\.90\/h spot/);
});

test("the spec's own target comes first", () => {
  const s = spec({ target: 'ssh:gpu-box' });
  const choices = targetChoices(s, offers, { localPricePerHour: 0 });
  assert.equal(choices[0]?.ref, 'ssh:gpu-box');
  assert.equal(choices[0]?.fromSpec, true);
});

test('without offers, this machine is offered at the configured price', () => {
  const [c] = targetChoices(spec(), [], { localPricePerHour: 1.2 });
  assert.equal(c?.ref, 'local');
  assert.equal(c?.description, '$1.20/h');
});

test('estimated cost: price × max_duration, bounded by max_cost', () => {
  assert.equal(estimateCost(spec({ budget: { max_duration: 600 } }), 1.2).text, '$1.20/h × 10m = at most $0.20');
  const both = estimateCost(spec({ budget: { max_duration: 6 * 3600, max_cost: 5 } }), 2);
  assert.equal(both.maxCost, 5);
  assert.match(both.text, /at most \$12\.00; stopped at budget.max_cost \$5\.00/);
  assert.match(estimateCost(spec(), 2).text, /until the job ends/);
  assert.equal(estimateCost(spec(), 0).maxCost, 0);
  assert.equal(budgetLeftText(100, 30.5), '$69.50 left of the $100.00 monthly budget');
  assert.equal(budgetLeftText(undefined, 3), undefined);
});

test('status bar: running jobs, today, burn rate; warning past the fraction of a budget', () => {
  assert.equal(statusBarView([], NOW, { warnFraction: 0.8 }).visible, false);
  const running = job({ attempts: [attempt({ pricePerHour: 2.05 })] });
  const done = job({ id: 'b', state: 'SUCCEEDED', attempts: [attempt({ pricePerHour: 1, endedAt: '2026-05-01T11:54:00Z' })], endedAt: '2026-05-01T11:54:00Z' });
  const v = statusBarView([running, done], NOW, { warnFraction: 0.8 });
  assert.equal(v.text, '$(cloud) 1 running · $0.51 · $2.05/h');
  assert.equal(v.warning, false);
  const hot = job({ spec: spec({ budget: { max_cost: 0.45 } }), attempts: [attempt({ pricePerHour: 2.05 })] });
  assert.equal(statusBarView([hot], NOW, { warnFraction: 0.8 }).warning, true);
  assert.match(statusBarView([running], NOW, { warnFraction: 0.8, monthlyBudget: 0.5 }).tooltip, /monthly budget spent/);
});
