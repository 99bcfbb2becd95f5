/**
 * The Slurm target against a real Slurm (slurmctld + two slurmd on this machine, munge auth),
 * reached through a real sshd as its login node. Skipped, with the reason, where slurm-wlm and
 * munge are not installed or the tests do not run as root.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs, mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { checkpointsDir } from '../../../src/core/jobs/paths';
import { runJob } from '../../../src/core/jobs/runner';
import { JobStore } from '../../../src/core/jobs/store';
import { SshPool } from '../../../src/core/remote/pool';
import { parseSpecText } from '../../../src/core/spec/parse';
import { SlurmTarget } from '../../../src/core/targets/slurm';
import { UserError } from '../../../src/core/util/errors';
import { nullLogger } from '../../../src/core/util/logger';
import { slurmMissing, startSlurm, type Slurm } from '../../helpers/slurm';
import { startSshd, type Sshd } from '../../helpers/sshd';

const missing = slurmMissing();

describe('slurm target on a real Slurm over SSH', { skip: missing }, () => {
  let slurm: Slurm;
  let sshd: Sshd;
  let tmp: string;
  const pool = new SshPool({ agentSocket: null });

  before(async () => {
    slurm = await startSlurm({ nodes: 2 });
    sshd = await startSshd({ sshdConfig: slurm.sshdConfigLines() });
    tmp = mkdtempSync(path.join(os.tmpdir(), 'ferry-slurm-it-'));
  });

  after(async () => {
    pool.closeAll();
    await sshd?.stop();
    await slurm?.stop();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  /** A job from ferry.yaml text, a fresh workdir, a store and a target. */
  async function setup(name: string, yaml: string, files: Record<string, string> = {}) {
    const dir = path.join(tmp, name);
    await fs.mkdir(dir, { recursive: true });
    for (const [f, text] of Object.entries(files)) await fs.writeFile(path.join(dir, f), text);
    const spec = parseSpecText(yaml, { file: path.join(dir, 'ferry.yaml'), dir });
    const home = path.join(tmp, `${name}-home`);
    const store = new JobStore(home);
    const job = await store.create({ name: spec.name, target: spec.target, spec, workdir: spec.workdir });
    const target = new SlurmTarget({ alias: sshd.alias, configPath: sshd.configPath, knownHostsPath: sshd.knownHostsPath, remoteBase: path.join(tmp, 'cluster'), pool, pollMs: 200 });
    return { store, home, job, target };
  }

  test('a 2-node job runs both ranks, they agree on the master, and a checkpoint comes home', async () => {
    const rank = [
      'echo "rank=$FERRY_NODE_RANK world=$FERRY_NUM_NODES master=$FERRY_MASTER_ADDR:$FERRY_MASTER_PORT"',
      'echo "torchrun=$FERRY_TORCHRUN"',
      'if [ "$FERRY_NODE_RANK" = 0 ]; then echo w > "$FERRY_CHECKPOINT_DIR/.tmp" && mv "$FERRY_CHECKPOINT_DIR/.tmp" "$FERRY_CHECKPOINT_DIR/step-2.txt"; fi',
    ].join('\n');
    const { store, home, job, target } = await setup(
      'two-nodes',
      `name: dist\nresources: {nodes: 2}\nslurm: {partition: gpu, time: 10m}\nsetup: echo "setup once on $(hostname)"\nrun: sh rank.sh\ntarget: slurm:testbox\n`,
      { 'rank.sh': `${rank}\n` },
    );
    let logged = '';
    const final = await runJob(job.id, { store, home, target, logger: nullLogger, pollMs: 100, onLog: (b) => (logged += b.toString('utf8')) });
    assert.equal(final.state, 'SUCCEEDED', `${final.error ?? ''}\n${logged}\n${slurm.log()}`);
    assert.equal(final.exitCode, 0);
    assert.equal((logged.match(/setup once/g) ?? []).length, 1, logged);
    const ranks = [...logged.matchAll(/rank=(\d) world=(\d) master=(\S+)/g)];
    assert.deepEqual(ranks.map((m) => m[1]).sort(), ['0', '1'], logged);
    assert.ok(ranks.every((m) => m[2] === '2'), logged);
    assert.equal(new Set(ranks.map((m) => m[3])).size, 1, `ranks disagree on the master: ${logged}`);
    assert.match(logged, /torchrun=torchrun --nnodes=2 --nproc-per-node=1 --rdzv-backend=c10d --rdzv-endpoint=\S+:\d+/);
    assert.deepEqual(final.checkpoints.map((c) => c.name), ['step-2.txt']);
    assert.equal(await fs.readFile(path.join(checkpointsDir(home, job.id), 'step-2.txt'), 'utf8'), 'w\n');
    assert.match(String(final.attempts[0]?.instanceId), /^\d+$/);
    // Per-node logs: each node's output on its own.
    const running = await target.attach(final, final.attempts[0]!);
    const n1 = await (running as import('../../../src/core/targets/slurm').SlurmRunningJob).readNodeLog(1, 0);
    assert.match(n1.data.toString('utf8'), /^rank=1 world=2/m);
    assert.doesNotMatch(n1.data.toString('utf8'), /rank=0/);
  });

  test('a bad partition is refused with Slurm\'s own message', async () => {
    const { store, home, job, target } = await setup('bad-partition', 'name: bad\nslurm: {partition: nope}\nrun: echo hi\ntarget: slurm:testbox\n');
    await assert.rejects(runJob(job.id, { store, home, target, logger: nullLogger, pollMs: 100 }), (e: Error) => {
      assert.ok(e instanceof UserError, String(e));
      assert.match(e.message, /invalid partition/i);
      return true;
    });
    assert.equal((await store.get(job.id))?.state, 'FAILED');
  });

  test('cancel while pending: the queue reason is shown, scancel ends it', async () => {
    const { store, home, job, target } = await setup('pending', 'name: held\nslurm: {options: [--hold]}\nrun: echo never\ntarget: slurm:testbox\n');
    const ac = new AbortController();
    let armed = false;
    let seen: Record<string, unknown> | undefined;
    const p = runJob(job.id, {
      store,
      home,
      target,
      logger: nullLogger,
      pollMs: 100,
      signal: ac.signal,
      onUpdate: (j) => {
        const h = j.attempts[0]?.handle;
        if (h?.slurmJobId && !armed) {
          armed = true;
          setTimeout(() => ac.abort(), 20_000); // a fallback: the queue state should show long before
        }
        if (h?.queueReason && !seen) {
          seen = { ...h };
          ac.abort();
        }
      },
    });
    const final = await p;
    assert.equal(final.state, 'CANCELLED', final.error);
    // The runner kept the queue state in the attempt's handle while the job was pending.
    assert.ok(seen, 'the queue reason never reached the job record');
    assert.match(String(seen.queueReason), /Held/i);
    assert.equal(seen.slurmState, 'PENDING');
    assert.ok(typeof seen.queuePosition === 'number' && seen.queuePosition >= 1, String(seen.queuePosition));
    assert.equal(seen.nodes, 1);
    const id = String(final.attempts[0]?.instanceId);
    const state = slurm.cmd(['scontrol', 'show', 'job', '-o', id]);
    assert.match(state, /JobState=CANCELLED/);
    assert.match(state, /Reason=\S+/);
  });

  test('cancel while running: scancel stops it and nothing of it keeps running', async () => {
    const { store, home, job, target } = await setup('running', 'name: long\nrun: echo started; sleep 120\ntarget: slurm:testbox\n');
    const ac = new AbortController();
    let logged = '';
    const final = await runJob(job.id, {
      store,
      home,
      target,
      logger: nullLogger,
      pollMs: 100,
      signal: ac.signal,
      onLog: (b) => {
        logged += b.toString('utf8');
        if (logged.includes('started')) ac.abort();
      },
    });
    assert.equal(final.state, 'CANCELLED', final.error);
    const id = String(final.attempts[0]?.instanceId);
    assert.match(slurm.cmd(['scontrol', 'show', 'job', '-o', id]), /JobState=CANCELLED/);
    assert.equal(slurm.cmd(['squeue', '-h', '-j', id, '-t', 'RUNNING,PENDING']).trim(), '');
  });

  test('scontrol requeue of a running job is a preemption: a new attempt resumes from the checkpoint', async () => {
    const run = [
      'if [ -n "$FERRY_RESUME_FROM" ]; then echo "resumed from $(cat "$FERRY_RESUME_FROM")"; exit 0; fi',
      'echo 7 > "$FERRY_CHECKPOINT_DIR/.tmp" && mv "$FERRY_CHECKPOINT_DIR/.tmp" "$FERRY_CHECKPOINT_DIR/step-7.txt"',
      'echo first-attempt',
      'sleep 120',
    ].join('\n');
    const { store, home, job, target } = await setup('requeue', 'name: pre\nrun: sh job.sh\nretry: {on: [preemption], max_attempts: 2}\ntarget: slurm:testbox\n', { 'job.sh': `${run}\n` });
    let logged = '';
    let requeued = false;
    const final = await runJob(job.id, {
      store,
      home,
      target,
      logger: nullLogger,
      pollMs: 100,
      onLog: (b) => (logged += b.toString('utf8')),
      onUpdate: (j) => {
        if (!requeued && j.checkpoints.length > 0) {
          requeued = true;
          slurm.cmd(['scontrol', 'requeue', String(j.attempts[0]?.instanceId)]);
        }
      },
    });
    assert.equal(final.state, 'SUCCEEDED', `${final.error ?? ''}\n${logged}`);
    assert.equal(final.attempts.length, 2);
    assert.match(String(final.attempts[0]?.exitReason), /requeue|lost/i);
    assert.equal(final.attempts[1]?.resumeFrom, 'step-7.txt');
    assert.match(logged, /resumed from 7/);
    const first = String(final.attempts[0]?.instanceId);
    assert.equal(slurm.cmd(['squeue', '-h', '-j', first, '-t', 'RUNNING,PENDING']).trim(), '');
  });
});
