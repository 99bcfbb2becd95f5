import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  checkpointChildren,
  formatElapsed,
  jobAccessibilityLabel,
  jobChildren,
  jobContextValue,
  jobDescription,
  latestCheckpoint,
  stateIcon,
  targetKind,
} from '../../../src/extension/jobs/jobView';
import { attempt, checkpoint, job, NOW } from './fixtures/records';

test('description reads "RUNNING · 12m · $0.41" with the live cost of an active job', () => {
  // $2.05/h for 12 minutes = $0.41
  const j = job({ attempts: [attempt({ pricePerHour: 2.05 })], cost: 0.1 });
  assert.equal(jobDescription(j, NOW), 'RUNNING · 12m · $0.41');
});

test('an ended job shows its recorded duration and cost, not the clock', () => {
  const j = job({ state: 'SUCCEEDED', endedAt: '2026-05-01T11:50:05Z', cost: 1.5, attempts: [attempt({ endedAt: '2026-05-01T11:50:05Z', pricePerHour: 2 })] });
  assert.equal(jobDescription(j, NOW), 'SUCCEEDED · 2m · $1.50');
});

test('elapsed time formats', () => {
  assert.equal(formatElapsed(45_000), '45s');
  assert.equal(formatElapsed(12 * 60_000 + 5000), '12m');
  assert.equal(formatElapsed(3 * 3600_000 + 5 * 60_000), '3h 05m');
  assert.equal(formatElapsed(50 * 3600_000), '2d 2h');
  assert.equal(formatElapsed(-5), '0s');
});

test('contextValue: ferry:job:<state>+<target kind>[+checkpoints][+outputs]', () => {
  assert.equal(jobContextValue(job()), 'ferry:job:running+local');
  assert.equal(jobContextValue(job({ state: 'STOPPED_BY_BUDGET', target: 'ssh:gpu-box', checkpoints: [checkpoint('c1', 1)] })), 'ferry:job:stopped_by_budget+ssh+checkpoints');
  assert.equal(jobContextValue(job({ state: 'SUCCEEDED', target: 'vast', outputs: ['/x'] })), 'ferry:job:succeeded+cloud+outputs');
  // The menus' regexes: stop only on active states, resume only on ended ones.
  const active = /^ferry:job:(pending|provisioning|syncing|setup|running|recovering)\+/;
  const ended = /^ferry:job:(succeeded|failed|cancelled|stopped_by_budget)\+/;
  assert.ok(active.test(jobContextValue(job({ state: 'RECOVERING' }))));
  assert.ok(!active.test(jobContextValue(job({ state: 'FAILED' }))));
  assert.ok(ended.test(jobContextValue(job({ state: 'CANCELLED' }))));
  assert.ok(/^ferry:job:[a-z_]+\+(ssh|cloud)/.test(jobContextValue(job({ target: 'ssh:box' }))));
  assert.ok(!/^ferry:job:[a-z_]+\+(ssh|cloud)/.test(jobContextValue(job())));
});

test('target kinds', () => {
  assert.equal(targetKind('local'), 'local');
  assert.equal(targetKind('ssh:a'), 'ssh');
  assert.equal(targetKind('runpod'), 'cloud');
});

test('every state has an icon and a color', () => {
  for (const s of ['PENDING', 'PROVISIONING', 'SYNCING', 'SETUP', 'RUNNING', 'RECOVERING', 'SUCCEEDED', 'FAILED', 'CANCELLED', 'STOPPED_BY_BUDGET'] as const) {
    const i = stateIcon(s);
    assert.ok(i.id && i.color, s);
  }
  assert.equal(stateIcon('SUCCEEDED').color, 'testing.iconPassed');
  assert.equal(stateIcon('FAILED').color, 'testing.iconFailed');
});

test('children: attempts, then a checkpoints group; checkpoints newest first', () => {
  const j = job({
    state: 'FAILED',
    attempts: [attempt({ endedAt: '2026-05-01T11:50:00Z', exitCode: 1, exitReason: 'preempted' }), attempt({ n: 2, startedAt: '2026-05-01T11:51:00Z', endedAt: '2026-05-01T11:55:00Z', exitCode: 0 })],
    checkpoints: [checkpoint('ckpt-000010.json', 10), checkpoint('ckpt-000030.json', 30), checkpoint('ckpt-000020.json', 20, { locations: [] })],
  });
  const kids = jobChildren(j, NOW);
  assert.deepEqual(
    kids.map((k) => k.label),
    ['Attempt 1', 'Attempt 2', 'Checkpoints'],
  );
  assert.match(kids[0]?.description ?? '', /preempted/);
  assert.equal(kids[2]?.description, '3 · latest ckpt-000030.json');
  const cks = checkpointChildren(j);
  assert.deepEqual(
    cks.map((c) => c.label),
    ['ckpt-000030.json', 'ckpt-000020.json', 'ckpt-000010.json'],
  );
  assert.equal(cks[0]?.contextValue, 'ferry:checkpoint+local+resumable');
  assert.equal(cks[1]?.contextValue, 'ferry:checkpoint+resumable');
  assert.match(cks[1]?.description ?? '', /remote only/);
  // An active job's checkpoints are not resumable yet.
  assert.equal(checkpointChildren(job({ checkpoints: [checkpoint('a', 1)] }))[0]?.contextValue, 'ferry:checkpoint+local');
});

test('latest checkpoint: highest step with a local copy', () => {
  const j = job({ checkpoints: [checkpoint('a', 10), checkpoint('b', 30, { locations: [{ kind: 'remote', uri: 'x' }] }), checkpoint('c', 20)] });
  assert.equal(latestCheckpoint(j)?.name, 'c');
  assert.equal(latestCheckpoint(job()), undefined);
});

test('the accessible label names the job, its state and its target', () => {
  assert.match(jobAccessibilityLabel(job(), NOW), /^cifar, RUNNING, on local, \$0\.00, job 20260501-114800-abc123$/);
});
