/** The runner keeps a running job's changing facts (RunningJob.status) in the attempt's handle. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { runJob } from '../../../src/core/jobs/runner';
import { JobStore } from '../../../src/core/jobs/store';
import type { ExitStatus, RunningJob, Target } from '../../../src/core/targets/target';
import { nullLogger } from '../../../src/core/util/logger';
import { spec } from '../extension/fixtures/records';

test('status() changes are merged into the attempt handle while the job runs, and only when they change', async () => {
  const home = mkdtempSync(path.join(os.tmpdir(), 'ferry-runner-status-'));
  try {
    const store = new JobStore(home);
    const s = spec({ target: 'slurm:fake', workdir: home });
    const job = await store.create({ name: s.name, target: s.target, spec: s, workdir: s.workdir });
    // Two polls queued at #2 then #1, then running, then done.
    const states = [
      { slurmState: 'PENDING', queueReason: 'Priority', queuePosition: 2 },
      { slurmState: 'PENDING', queueReason: 'Priority', queuePosition: 2 },
      { slurmState: 'PENDING', queueReason: 'Resources', queuePosition: 1 },
      { slurmState: 'RUNNING', queueReason: null, queuePosition: null },
    ];
    let i = 0;
    let finish: (e: ExitStatus) => void = () => undefined;
    const done = new Promise<ExitStatus>((r) => (finish = r));
    const running: RunningJob = {
      handle: { kind: 'fake', id: 'x1' },
      step: async () => (i >= 3 ? 'run' : 'setup'),
      status: () => {
        const st = states[Math.min(i, states.length - 1)]!;
        i++;
        if (i > states.length + 1) finish({ exitCode: 0, step: 'run' });
        return st;
      },
      readLog: async (offset) => ({ data: Buffer.alloc(0), next: offset }),
      wait: () => done,
      stop: async () => undefined,
      listCheckpoints: async () => [],
      fetchCheckpoint: async () => '',
      fetchOutputs: async () => [],
    };
    const target: Target = {
      ref: 'fake',
      kind: 'slurm',
      pricePerHour: () => 0,
      provision: async () => undefined,
      sync: async () => undefined,
      start: async () => running,
      attach: async () => running,
      release: async () => undefined,
    };
    const seen: string[] = [];
    const final = await runJob(job.id, {
      store,
      home,
      target,
      logger: nullLogger,
      pollMs: 5,
      onUpdate: (j) => {
        const h = j.attempts[0]?.handle;
        if (h && 'slurmState' in h) {
          const line = `${String(h.slurmState)} ${String(h.queuePosition)} ${String(h.queueReason)}`;
          if (seen[seen.length - 1] !== line) seen.push(line);
        }
      },
    });
    assert.equal(final.state, 'SUCCEEDED', final.error);
    assert.deepEqual(seen, ['PENDING 2 Priority', 'PENDING 1 Resources', 'RUNNING null null']);
    // The target's own handle fields stay beside the merged ones.
    assert.deepEqual(final.attempts[0]?.handle, { kind: 'fake', id: 'x1', slurmState: 'RUNNING', queueReason: null, queuePosition: null });
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});
