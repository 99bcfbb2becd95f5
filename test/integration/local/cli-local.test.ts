import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { JobRecord } from '../../../src/core/jobs/types';
import { ROOT, ferry, ferrySync, groupAlive, tempHome, waitFor } from '../../helpers/cli';

const QUICKSTART = path.join(ROOT, 'examples', 'quickstart');

function finalLoss(text: string): string | undefined {
  return /final loss: ([0-9.]+)/.exec(text)?.[1];
}

function readJob(home: string, id: string): JobRecord {
  return JSON.parse(readFileSync(path.join(home, 'jobs', id, 'job.json'), 'utf8')) as JobRecord;
}

describe('ferry CLI on the local target', () => {
  const t = tempHome();
  const env = { FERRY_HOME: t.home, STEP_SECONDS: '0' };
  let uninterruptedLoss: string | undefined;
  let jobId = '';
  after(() => t.remove());

  it('run --json prints one JSON document for the finished job, with checkpoints and outputs', () => {
    const r = ferrySync(['run', 'examples/quickstart', '--json'], env);
    assert.equal(r.code, 0, r.stderr);
    const job = JSON.parse(r.stdout) as JobRecord; // the whole stdout is one document
    jobId = job.id;
    assert.equal(job.state, 'SUCCEEDED');
    assert.equal(job.target, 'local');
    assert.equal(job.exitCode, 0);
    assert.equal(job.checkpoints.length, 6);
    assert.deepEqual(job.checkpoints.map((c) => c.step), [10, 20, 30, 40, 50, 60]);
    for (const k of ['id', 'name', 'state', 'target', 'attempts', 'checkpoints', 'cost', 'exitCode', 'startedAt', 'endedAt']) assert.ok(k in job, k);
    assert.ok(job.endedAt && job.startedAt);
    assert.equal(job.attempts.length, 1);
    const metrics = JSON.parse(readFileSync(path.join(t.home, 'jobs', job.id, 'outputs', 'outputs', 'metrics.json'), 'utf8')) as { final_loss: number };
    assert.ok(metrics.final_loss > 0 && metrics.final_loss < 0.1);
    // The log went to stderr under --json, and holds the final loss.
    uninterruptedLoss = finalLoss(r.stderr);
    assert.ok(uninterruptedLoss);
    // The user's tree is never written: no checkpoints/ or outputs/ appear in the example.
    assert.equal(existsSync(path.join(QUICKSTART, 'checkpoints')), false);
    assert.equal(existsSync(path.join(QUICKSTART, 'outputs')), false);
  });

  it('jobs --json lists the job; logs prints its log', () => {
    const r = ferrySync(['jobs', '--json'], env);
    assert.equal(r.code, 0, r.stderr);
    const jobs = JSON.parse(r.stdout) as JobRecord[];
    assert.ok(jobs.some((j) => j.id === jobId && j.state === 'SUCCEEDED'));
    const logs = ferrySync(['logs', jobId.slice(0, 17)], env);
    assert.equal(logs.code, 0, logs.stderr);
    assert.match(logs.stdout, /^training 60 steps/m);
    assert.equal(finalLoss(logs.stdout), uninterruptedLoss);
  });

  it('checkpoints --json lists six local copies that exist', () => {
    const r = ferrySync(['checkpoints', jobId, '--json'], env);
    assert.equal(r.code, 0, r.stderr);
    const cks = JSON.parse(r.stdout) as JobRecord['checkpoints'];
    assert.equal(cks.length, 6);
    for (const c of cks) {
      const local = c.locations.find((l) => l.kind === 'local');
      assert.ok(local && existsSync(local.uri), c.name);
      assert.ok(c.sizeBytes > 0);
    }
  });

  it('stop leaves no process of the job behind; resume continues from the last checkpoint to the same final loss', async () => {
    const slow = { ...env, STEP_SECONDS: '0.15' };
    const run = ferry(['run', 'examples/quickstart'], slow);
    const id = await waitFor(() => onlyJobIdAfter(t.home, jobId), 20_000, 'the job to be created');
    // Wait for two checkpoints to come home, then stop it.
    await waitFor(() => readJob(t.home, id).checkpoints.length >= 2 || undefined, 30_000, 'two checkpoints');
    const pid = readJob(t.home, id).attempts[0]?.handle?.pid;
    assert.equal(typeof pid, 'number');
    const stop = ferrySync(['stop', id, '--grace', '2'], slow);
    assert.equal(stop.code, 0, stop.stderr);
    const fg = await run.done;
    assert.equal(fg.code, 130, 'the foreground run ends as cancelled');
    assert.equal(groupAlive(pid as number), false, 'no process of the job is left');
    const stopped = readJob(t.home, id);
    assert.equal(stopped.state, 'CANCELLED');
    const lastStep = Math.max(...stopped.checkpoints.map((c) => c.step ?? 0));
    assert.ok(lastStep >= 20 && lastStep < 60, `stopped mid-run, at ${lastStep}`);

    const resumed = ferrySync(['resume', id, '--json'], env);
    assert.equal(resumed.code, 0, resumed.stderr);
    const job = JSON.parse(resumed.stdout) as JobRecord;
    assert.equal(job.state, 'SUCCEEDED');
    assert.equal(job.attempts.length, 2);
    assert.equal(job.attempts[1]?.resumeFrom, `ckpt-${String(lastStep).padStart(6, '0')}.json`);
    assert.match(resumed.stderr, new RegExp(`resumed from step ${lastStep}`));
    assert.equal(finalLoss(resumed.stderr), uninterruptedLoss);
  });

  it('resume --from a chosen checkpoint', () => {
    const r = ferrySync(['resume', jobId, '--from', 'ckpt-000050.json', '--json'], env);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /resumed from step 50/);
    assert.equal(finalLoss(r.stderr), uninterruptedLoss);
    const bad = ferrySync(['resume', jobId, '--from', 'nope.json'], env);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /has no checkpoint "nope.json"/);
  });

  it('cost --json sums what jobs cost at the configured local price', () => {
    const priced = { ...env, FERRY_LOCAL_PRICE_PER_HOUR: '3600' }; // $1 a second, to see it move
    const r = ferrySync(['run', 'examples/quickstart', '--json'], priced);
    assert.equal(r.code, 0, r.stderr);
    const job = JSON.parse(r.stdout) as JobRecord;
    assert.ok(job.cost > 0.1, `cost ${job.cost}`);
    const c = ferrySync(['cost', '--json'], env);
    assert.equal(c.code, 0, c.stderr);
    const summary = JSON.parse(c.stdout) as { total: number; perJob: { id: string; cost: number }[] };
    assert.ok(summary.total >= job.cost - 1e-9);
    assert.ok(summary.perJob.some((p) => p.id === job.id && Math.abs(p.cost - job.cost) < 1e-6));
  });
});

/** The newest job id other than `not`, once there is exactly one more. */
function onlyJobIdAfter(home: string, not: string): string | undefined {
  const ids = readdirSync(path.join(home, 'jobs')).filter((n) => !n.startsWith('.') && n !== not);
  return ids.length === 1 ? ids[0] : undefined;
}

describe('ferry CLI: failures, exit codes and reattach', () => {
  const t = tempHome();
  const env = { FERRY_HOME: t.home };
  const work = path.join(t.home, 'proj');
  before(() => mkdirSync(work, { recursive: true }));
  after(() => t.remove());

  function project(name: string, yaml: string, files: Record<string, string> = {}): string {
    const dir = path.join(work, name);
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'ferry.yaml'), yaml);
    for (const [f, text] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
      writeFileSync(path.join(dir, f), text);
    }
    return dir;
  }

  it("returns the job's own exit code", () => {
    const dir = project('exit3', 'run: echo about to fail; exit 3\n');
    const r = ferrySync(['run', dir, '--json'], env);
    assert.equal(r.code, 3);
    const job = JSON.parse(r.stdout) as JobRecord;
    assert.equal(job.state, 'FAILED');
    assert.equal(job.exitCode, 3);
    assert.equal(job.error, 'exited with code 3');
  });

  it('a failing setup fails the job without running it', () => {
    const dir = project('badsetup', 'setup: echo setting up; exit 4\nrun: echo SHOULD-NOT-RUN\n');
    const r = ferrySync(['run', dir, '--json'], env);
    assert.equal(r.code, 4);
    const job = JSON.parse(r.stdout) as JobRecord;
    assert.equal(job.state, 'FAILED');
    assert.equal(job.error, 'setup failed with exit code 4');
    assert.doesNotMatch(r.stderr, /SHOULD-NOT-RUN/);
  });

  it('a bare script runs without a ferry.yaml, with .gitignore, .ferryignore and exclude honoured', () => {
    const dir = project('bare', 'run: "true"\n', {
      'train.py': 'import os\nprint(sorted(os.listdir(".")))\n',
      '.gitignore': 'ignored-by-git.txt\n',
      '.ferryignore': 'ignored-by-ferry.txt\n',
      'ignored-by-git.txt': 'x',
      'ignored-by-ferry.txt': 'x',
      'kept.txt': 'x',
    });
    const r = ferrySync(['run', path.join(dir, 'train.py'), '--json'], env);
    assert.equal(r.code, 0, r.stderr);
    const job = JSON.parse(r.stdout) as JobRecord;
    assert.equal(job.name, 'train');
    assert.match(job.spec.run, /python3 .*train\.py/);
    assert.match(r.stderr, /'kept\.txt'/);
    assert.doesNotMatch(r.stderr, /ignored-by-(git|ferry)/);
  });

  it('budget.max_duration stops the job as STOPPED_BY_BUDGET', () => {
    const dir = project('budget', 'run: echo start; sleep 30\nbudget: {max_duration: 1s}\n');
    const r = ferrySync(['run', dir, '--json'], env);
    const job = JSON.parse(r.stdout) as JobRecord;
    assert.equal(job.state, 'STOPPED_BY_BUDGET');
    assert.match(job.error ?? '', /max_duration/);
    assert.notEqual(r.code, 0);
  });

  it('Ctrl-C in the foreground stops the job and exits 130', async () => {
    const dir = project('sigint', 'run: echo started; sleep 30\n');
    const run = ferry(['run', dir], env);
    await waitFor(() => /started/.test(run.output()) || undefined, 20_000, 'the job to start');
    run.child.kill('SIGINT');
    const r = await run.done;
    assert.equal(r.code, 130);
    const jobs = JSON.parse(ferrySync(['jobs', '--json'], env).stdout) as JobRecord[];
    const job = jobs.find((j) => j.name === 'sigint');
    assert.equal(job?.state, 'CANCELLED');
    const pid = job?.attempts[0]?.handle?.pid;
    assert.equal(groupAlive(pid as number), false);
  });

  it('a killed controller leaves the job running; logs -f reattaches and finishes it', async () => {
    const dir = project('reattach', 'run: |\n  for i in 1 2 3 4 5 6; do echo "tick $i"; sleep 0.4; done\n  mkdir -p "$FERRY_CHECKPOINT_DIR" && echo x > "$FERRY_CHECKPOINT_DIR/.c.tmp" && mv "$FERRY_CHECKPOINT_DIR/.c.tmp" "$FERRY_CHECKPOINT_DIR/step-6.bin"\n');
    const run = ferry(['run', dir], env);
    await waitFor(() => /tick 2/.test(run.output()) || undefined, 20_000, 'tick 2');
    run.child.kill('SIGKILL');
    await run.done;
    const jobs = JSON.parse(ferrySync(['jobs', '--json'], env).stdout) as JobRecord[];
    const job = jobs.find((j) => j.name === 'reattach');
    assert.equal(job?.state, 'RUNNING', 'the job outlives its controller');
    const follow = ferrySync(['logs', '-f', job.id], env);
    assert.equal(follow.code, 0, follow.stderr);
    // Every tick exactly once: no gap, no duplicate.
    assert.deepEqual(follow.stdout.match(/tick \d/g), ['tick 1', 'tick 2', 'tick 3', 'tick 4', 'tick 5', 'tick 6']);
    const done = readJob(t.home, job.id);
    assert.equal(done.state, 'SUCCEEDED');
    assert.deepEqual(done.checkpoints.map((c) => [c.name, c.step]), [['step-6.bin', 6]]);
  });

  it('retry.on [error] reruns a failed job from its last checkpoint, counting every attempt', () => {
    const dir = project('flaky', [
      'run: |',
      '  echo "attempt $FERRY_ATTEMPT resume=${FERRY_RESUME_FROM:-none}"',
      '  mkdir -p "$FERRY_CHECKPOINT_DIR"',
      '  if [ "$FERRY_ATTEMPT" = 1 ]; then echo a > "$FERRY_CHECKPOINT_DIR/.t" && mv "$FERRY_CHECKPOINT_DIR/.t" "$FERRY_CHECKPOINT_DIR/step-5.txt"; exit 9; fi',
      '  test -f "$FERRY_RESUME_FROM" && echo "restored $(basename "$FERRY_RESUME_FROM")"',
      'retry: {on: [error], max_attempts: 2}',
      '',
    ].join('\n'));
    const r = ferrySync(['run', dir, '--json'], env);
    assert.equal(r.code, 0, r.stderr);
    const job = JSON.parse(r.stdout) as JobRecord;
    assert.equal(job.state, 'SUCCEEDED');
    assert.equal(job.attempts.length, 2);
    assert.equal(job.attempts[0]?.exitCode, 9);
    assert.equal(job.attempts[0]?.exitReason, 'exited with code 9');
    assert.equal(job.attempts[1]?.resumeFrom, 'step-5.txt');
    assert.match(r.stderr, /attempt 2 resume=.*step-5\.txt/);
    assert.match(r.stderr, /restored step-5\.txt/);
    const noRetry = ferrySync(['run', project('noretry', 'run: exit 9\nretry: {on: [preemption], max_attempts: 3}\n'), '--json'], env);
    assert.equal((JSON.parse(noRetry.stdout) as JobRecord).attempts.length, 1, 'exit codes retry only when retry.on has error');
  });

  it('stop on an unknown job is bad input (exit 2)', () => {
    const r = ferrySync(['stop', 'no-such-job'], env);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /no-such-job/);
  });
});

