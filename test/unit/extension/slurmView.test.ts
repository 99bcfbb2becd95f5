/** The Slurm parts of the extension: the Jobs view mapping, node logs, and the run flow's cluster choices. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { JobStore } from '../../../src/core/jobs/store';
import type { JobRecord } from '../../../src/core/jobs/types';
import { parseGpuQuery } from '../../../src/core/spec/gpuQuery';
import type { RunningJob, Target } from '../../../src/core/targets/target';
import { UserError } from '../../../src/core/util/errors';
import { readNodeLogText } from '../../../src/extension/jobs/jobActions';
import { jobChildren, jobContextValue, jobDescription, jobTooltip, nodeLogViews, slurmQueueText, slurmView, targetKind } from '../../../src/extension/jobs/jobView';
import { choiceForOffer, slurmChoices, targetChoices } from '../../../src/extension/run/targetChoices';
import { attempt, job, NOW, offer, spec } from './fixtures/records';

function slurmJob(handle: Record<string, string | number | boolean | null>, over: Partial<JobRecord> = {}): JobRecord {
  return job({
    target: 'slurm:cluster',
    state: 'SETUP',
    spec: spec({ target: 'slurm:cluster', resources: { spot: 'auto', nodes: 2 } }),
    attempts: [attempt({ target: 'slurm:cluster', pricePerHour: 0, handle: { kind: 'slurm', alias: 'cluster', run: 'r', runAbs: '/r', ...handle } })],
    ...over,
  });
}

test('a pending Slurm job reads "PENDING · queue #3 · (Priority)" with its node count', () => {
  const j = slurmJob({ slurmJobId: '42', nodes: 2, slurmState: 'PENDING', queueReason: 'Priority', queuePosition: 3 });
  assert.equal(targetKind(j.target), 'slurm');
  assert.equal(slurmQueueText(j), 'PENDING · queue #3 · (Priority)');
  assert.equal(jobDescription(j, NOW), 'PENDING · queue #3 · (Priority) · 2 nodes · 12m · $0.00');
  assert.match(jobTooltip(j, NOW), /- nodes: 2/);
  assert.match(jobTooltip(j, NOW), /- Slurm job: 42 \(PENDING\)/);
  assert.match(jobTooltip(j, NOW), /- queue: PENDING · queue \\#3 · \\\(Priority\\\)/);
  assert.equal(jobContextValue(j), 'ferry:job:setup+slurm');
});

test('pending without a known position: the reason alone', () => {
  const j = slurmJob({ slurmJobId: '42', nodes: 1, slurmState: 'PENDING', queueReason: 'Resources', queuePosition: null });
  assert.equal(jobDescription(j, NOW), 'PENDING · (Resources) · 1 node · 12m · $0.00');
});

test('a running Slurm job shows its state and nodes; an ended one shows no queue', () => {
  const running = slurmJob({ slurmJobId: '42', nodes: 2, slurmState: 'RUNNING', queueReason: null, queuePosition: null }, { state: 'RUNNING' });
  assert.equal(slurmQueueText(running), undefined);
  assert.equal(jobDescription(running, NOW), 'RUNNING · 2 nodes · 12m · $0.00');
  // A stale queue state in an ended job's record is never shown as pending.
  const ended = slurmJob({ slurmJobId: '42', nodes: 2, slurmState: 'PENDING', queueReason: 'Priority', queuePosition: 1 }, { state: 'CANCELLED', endedAt: '2026-05-01T11:50:00Z' });
  assert.match(jobDescription(ended, NOW), /^CANCELLED · 2 nodes · /);
});

test('before the first poll the node count comes from the spec; other targets have no Slurm view', () => {
  const j = slurmJob({ slurmJobId: '42' });
  assert.deepEqual(slurmView(j), { nodes: 2, slurmJobId: '42' });
  assert.equal(slurmView(job()), undefined);
  assert.equal(jobDescription(job({ attempts: [attempt({ pricePerHour: 2.05 })] }), NOW), 'RUNNING · 12m · $0.41');
});

test('node logs: one child per node of the current attempt, after the attempts', () => {
  const j = slurmJob({ slurmJobId: '42', nodes: 2, slurmState: 'RUNNING' }, { state: 'RUNNING' });
  const kids = jobChildren(j, NOW);
  assert.deepEqual(
    kids.map((k) => [k.kind, k.label]),
    [
      ['attempt', 'Attempt 1'],
      ['nodeLog', 'node-0.log'],
      ['nodeLog', 'node-1.log'],
    ],
  );
  const [n0] = nodeLogViews(j);
  assert.equal(n0?.contextValue, 'ferry:nodeLog');
  assert.equal(n0?.rank, 0);
  assert.equal(n0?.id, `${j.id}/attempt/1/node/0`);
  // Not submitted yet (no Slurm job id), or not a Slurm job: no node logs.
  assert.deepEqual(nodeLogViews(slurmJob({})), []);
  assert.deepEqual(nodeLogViews(job()), []);
});

test('readNodeLogText reads a node log through the target by byte offset', async () => {
  const j = slurmJob({ slurmJobId: '42', nodes: 2 }, { state: 'RUNNING' });
  const content = Buffer.from('rank=1 world=2\n'.repeat(10));
  const reads: number[] = [];
  const running = {
    readNodeLog: async (rank: number, offset: number) => {
      assert.equal(rank, 1);
      reads.push(offset);
      const data = content.subarray(offset, offset + 64);
      return { data, next: offset + data.length };
    },
  } as unknown as RunningJob;
  const store = { resolve: async () => j } as unknown as JobStore;
  const target = { attach: async () => running } as unknown as Target;
  const text = await readNodeLogText({ store, targetFor: async (ref) => (assert.equal(ref, 'slurm:cluster'), target) }, j.id, 1);
  assert.equal(text, content.toString('utf8'));
  assert.deepEqual(reads, [0, 64, 128, 150]);
  // A target without per-node logs says so.
  const plain = { attach: async () => ({}) as RunningJob } as unknown as Target;
  await assert.rejects(readNodeLogText({ store, targetFor: async () => plain }, j.id, 0), UserError);
});

const sinfoOffers = [
  offer({ provider: 'slurm', id: 'slurm:hpc:gpu', instanceType: 'gpu* (1/2 nodes idle)', region: 'slurm:hpc', gpuName: 'A100', gpuCount: 4, pricePerHour: 4 * 0.5, available: true }),
  offer({ provider: 'slurm', id: 'slurm:hpc:debug', instanceType: 'debug (0/1 nodes idle)', region: 'slurm:hpc', gpuName: 'A100', gpuCount: 4, pricePerHour: 4 * 0.5, available: false }),
];

test('the picker lists every configured cluster as slurm:<alias>, with its partitions and the allocation price', () => {
  const s = spec({ resources: { spot: 'auto', nodes: 2, gpu: parseGpuQuery('A100:4') } });
  const all = [offer({ provider: 'local', id: 'local', pricePerHour: 0, region: 'local' }), ...sinfoOffers, offer({ id: 'vast:9', gpuName: 'A100', gpuCount: 4, pricePerHour: 3 })];
  const choices = targetChoices(s, all, { localPricePerHour: 0, slurmPrices: { hpc: 0.5, lab: 0 } });
  assert.deepEqual(
    choices.map((c) => [c.ref, c.pricePerHour]),
    [
      ['local', 0],
      ['slurm:hpc', 2 * 4 * 0.5],
      ['slurm:lab', 0],
      ['vast', 3],
    ],
  );
  const hpc = choices.find((c) => c.ref === 'slurm:hpc');
  assert.match(hpc?.description ?? '', /\$4\.00\/h · Slurm · 2 nodes · idle nodes now/);
  assert.match(hpc?.detail ?? '', /partitions: gpu\* \(1\/2 nodes idle\), debug \(0\/1 nodes idle\)/);
  assert.equal(hpc?.offer, undefined, 'a cluster choice pins no cloud offer');
  assert.match(choices.find((c) => c.ref === 'slurm:lab')?.detail ?? '', /partitions not listed/);
});

test('a cluster the offers list but the config does not still shows; the spec\'s cluster comes first', () => {
  const s = spec({ target: 'slurm:hpc', resources: { spot: 'auto', gpu: parseGpuQuery('A100:1') } });
  const choices = slurmChoices(s, sinfoOffers, {});
  assert.deepEqual(choices.map((c) => [c.ref, c.pricePerHour, c.fromSpec]), [['slurm:hpc', 0.5, true]]);
  assert.equal(targetChoices(s, sinfoOffers, { localPricePerHour: 0 })[0]?.ref, 'slurm:hpc');
});

test('"Run here..." on a Slurm partition offer runs on its cluster', () => {
  const s = spec({ resources: { spot: 'auto', nodes: 2, gpu: parseGpuQuery('A100:4') } });
  const c = choiceForOffer(s, sinfoOffers[0]!);
  assert.equal(c.ref, 'slurm:hpc');
  assert.equal(c.pricePerHour, 4);
  assert.equal(c.offer, undefined);
});
