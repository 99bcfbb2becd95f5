import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { JobRecord } from '../../../src/core/jobs/types';
import { ferrySync, groupAlive, tempHome } from '../../helpers/cli';

describe('budgets and autostop on the local target', () => {
  const t = tempHome();
  const bin = path.join(t.home, 'fakebin');
  const work = path.join(t.home, 'proj');
  const env = {
    FERRY_HOME: t.home,
    FERRY_GPU_SAMPLE_MS: '200',
    PATH: `${bin}:${process.env.PATH ?? '/usr/bin:/bin'}`,
  };
  before(() => {
    mkdirSync(bin, { recursive: true });
    // A fake nvidia-smi that reports what the file next to it says (two GPUs).
    writeFileSync(path.join(bin, 'nvidia-smi'), `#!/bin/sh\nu=$(cat "${bin}/util" 2>/dev/null || echo 0)\nprintf '%s\\n%s\\n' "$u" "$u"\n`);
    chmodSync(path.join(bin, 'nvidia-smi'), 0o755);
  });
  after(() => t.remove());

  function project(name: string, yaml: string): string {
    const dir = path.join(work, name);
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'ferry.yaml'), yaml);
    return dir;
  }

  it('a stalled job (0% GPU for the window) is warned about, then stopped by autostop', () => {
    writeFileSync(path.join(bin, 'util'), '0');
    const dir = project('stalled', 'run: echo working; sleep 60\nautostop: {idle_minutes: 0.03, min_gpu_util: 5}\n');
    const r = ferrySync(['run', dir, '--json'], env);
    const job = JSON.parse(r.stdout) as JobRecord;
    assert.equal(job.state, 'STOPPED_BY_BUDGET');
    assert.match(job.error ?? '', /^autostop: GPU utilization under 5% for/);
    assert.match(r.stderr, /warning: stalled looks stalled/);
    assert.ok((job.attempts[0]?.gpuUtil?.samples ?? 0) >= 3);
    assert.equal(job.attempts[0]?.gpuUtil?.avg, 0);
    assert.equal(groupAlive(job.attempts[0]?.handle?.pid as number), false);
  });

  it('a busy GPU keeps the job running to the end', () => {
    writeFileSync(path.join(bin, 'util'), '87');
    const dir = project('busy', 'run: sleep 2; echo done\nautostop: {idle_minutes: 0.01, min_gpu_util: 5}\n');
    const r = ferrySync(['run', dir, '--json'], env);
    const job = JSON.parse(r.stdout) as JobRecord;
    assert.equal(job.state, 'SUCCEEDED', r.stderr);
    assert.equal(job.attempts[0]?.gpuUtil?.last, 87);
  });

  it('warns at 80% of max_duration before stopping at 100%', () => {
    const dir = project('slowpoke', 'run: sleep 60\nbudget: {max_duration: 3s}\n');
    const r = ferrySync(['run', dir, '--json'], env);
    const job = JSON.parse(r.stdout) as JobRecord;
    assert.equal(job.state, 'STOPPED_BY_BUDGET');
    assert.match(r.stderr, /warning: slowpoke has used \d+% of budget\.max_duration \(3s\); it will be stopped at 100%/);
    assert.match(r.stderr, /warning: slowpoke: ran past budget\.max_duration \(3s\); stopping it/);
  });

  it('a launch that could pass the monthly budget needs --yes', () => {
    const dir = project('pricey', 'run: echo hi\nbudget: {max_duration: 2h}\n');
    const capped = { ...env, FERRY_MONTHLY_BUDGET: '1', FERRY_LOCAL_PRICE_PER_HOUR: '1' };
    const refused = ferrySync(['run', dir], capped);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /not launched: worst case \$2\.00 at \$1\.00\/h would pass what is left of the monthly budget \(\$1\.00 of \$1\.00\)/);
    const jobs = JSON.parse(ferrySync(['jobs', '--json'], env).stdout) as JobRecord[];
    assert.equal(jobs.some((j) => j.name === 'pricey'), false, 'nothing was started');
    const yes = ferrySync(['run', dir, '--yes', '--json'], capped);
    assert.equal(yes.code, 0, yes.stderr);
  });
});
