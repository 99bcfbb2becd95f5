import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import type { JobRecord } from '../../../src/core/jobs/types';
import { ROOT, ferry, tempHome, waitFor } from '../../helpers/cli';
import { startSimCloud, type SimCloud } from '../../helpers/simCloud';

// The fake provider runs in this process: the CLI runs asynchronously so it can answer.
const run = (args: string[], env: Record<string, string>) => ferry(args, env).done;

function finalLoss(text: string): string | undefined {
  return /final loss: ([0-9.]+)/.exec(text)?.[1];
}

describe('the simulated cloud: provision, run over SSH, bring checkpoints home, terminate', () => {
  const t = tempHome();
  let cloud: SimCloud;
  let env: Record<string, string>;
  const work = path.join(t.home, 'proj');

  before(async () => {
    mkdirSync(path.join(t.home, 'remote'), { recursive: true });
    cloud = await startSimCloud({ home: t.home, remoteBase: path.join(t.home, 'remote') });
    env = { FERRY_HOME: t.home, STEP_SECONDS: '0', ...cloud.env };
  });
  afterEach(() => {
    // Money is safety-critical: no test may leave an instance behind.
    assert.equal(cloud.live(), 0, 'every instance launched was terminated');
  });
  after(async () => {
    await cloud.close();
    t.remove();
  });

  function quickstartCopy(name: string, yaml: string): string {
    const dir = path.join(work, name);
    mkdirSync(dir, { recursive: true });
    copyFileSync(path.join(ROOT, 'examples', 'quickstart', 'train.py'), path.join(dir, 'train.py'));
    writeFileSync(path.join(dir, 'ferry.yaml'), yaml);
    return dir;
  }

  it('ferry run --target vast runs the quickstart on a launched instance and terminates it', async () => {
    const r = await run(['run', 'examples/quickstart', '--target', 'vast', '--json'], env);
    assert.equal(r.code, 0, r.stderr);
    const job = JSON.parse(r.stdout) as JobRecord;
    assert.equal(job.state, 'SUCCEEDED');
    assert.equal(job.target, 'vast');
    assert.equal(job.attempts.length, 1);
    const a = job.attempts[0]!;
    assert.ok(a.instanceId, 'the instance id is recorded');
    assert.ok(a.offer?.id.startsWith('vast:'));
    assert.ok(a.pricePerHour > 0, 'the billed price is recorded');
    assert.ok(job.cost > 0);
    assert.equal(job.checkpoints.length, 6);
    for (const c of job.checkpoints) assert.ok(c.locations.some((l) => l.kind === 'local'));
    assert.ok(finalLoss(r.stderr));
    assert.equal(cloud.vast.state.launched.length, 1);
    const cheapest = Math.min(...cloud.vast.state.offers.map((o) => Number((o as { dph_total?: number }).dph_total ?? Infinity)));
    assert.ok(a.pricePerHour <= cheapest + 1e-9 || cloud.vast.state.offers.length > 0);
  });

  it('a launch refused for capacity fails over to the next offer', async () => {
    // Someone else rents the ask between our listing and our launch: Vast refuses the first rent.
    let refused = '';
    cloud.vast.script.push({
      match: (req) => {
        const m = req.method === 'PUT' ? /\/asks\/(\d+)\/?$/.exec(req.path) : null;
        if (m) refused = m[1]!;
        return Boolean(m);
      },
      status: 404,
      body: { success: false, error: 'invalid_args', msg: 'error 404/3603: no_such_ask Instance type is not available.' },
    });
    const r = await run(['run', 'examples/quickstart', '--target', 'vast', '--json'], env);
    assert.equal(r.code, 0, r.stderr);
    const job = JSON.parse(r.stdout) as JobRecord;
    assert.equal(job.state, 'SUCCEEDED');
    assert.ok(refused, 'a launch was refused');
    assert.notEqual(job.attempts[0]?.offer?.id, `vast:${refused}`, 'the next offer was used');
    assert.match(r.stderr, new RegExp(`launch refused for vast:${refused}`));
  });

  it('a job that fails still terminates its instance', async () => {
    const dir = path.join(work, 'fails');
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'ferry.yaml'), 'run: echo failing; exit 7\ntarget: vast\n');
    const r = await run(['run', dir, '--json'], env);
    assert.equal(r.code, 7);
    const job = JSON.parse(r.stdout) as JobRecord;
    assert.equal(job.state, 'FAILED');
    assert.equal(cloud.live(), 0);
  });

  it('a preempted instance: the job recovers on a new instance from the last checkpoint, same final loss, cost summed', async () => {
    const baseline = await run(['run', 'examples/quickstart', '--json'], { FERRY_HOME: t.home, STEP_SECONDS: '0' });
    const expected = finalLoss(baseline.stderr);
    assert.ok(expected);
    const dir = quickstartCopy('preempt', ['name: preempt', 'run: python3 -u train.py', 'target: vast', 'env: {STEP_SECONDS: "0.2"}', 'retry: {on: [preemption], max_attempts: 3}', ''].join('\n'));
    const p = ferry(['run', dir, '--json'], env);
    const jobsDir = path.join(t.home, 'jobs');
    const id = await waitFor(() => readdirSync(jobsDir).filter((n) => !n.startsWith('.')).find((n) => JSON.parse(readFileSync(path.join(jobsDir, n, 'job.json'), 'utf8')).name === 'preempt'), 30_000, 'the job');
    const read = () => JSON.parse(readFileSync(path.join(jobsDir, id, 'job.json'), 'utf8')) as JobRecord;
    await waitFor(() => (read().checkpoints.length >= 2 ? true : undefined), 60_000, 'two checkpoints').catch(async (e) => {
      p.child.kill('SIGKILL');
      const out = await p.done;
      throw new Error(`${(e as Error).message}; job ${read().state}; output: ${out.stderr.slice(-2000)}`);
    });
    const lost = read().attempts[0]!;
    await cloud.preempt(lost.instanceId!);
    const r = await p.done;
    assert.equal(r.code, 0, r.stderr);
    const job = JSON.parse(r.stdout) as JobRecord;
    assert.equal(job.state, 'SUCCEEDED');
    assert.equal(job.attempts.length, 2);
    assert.match(job.attempts[0]!.exitReason ?? '', /instance lost/);
    assert.notEqual(job.attempts[1]!.offer?.id, lost.offer?.id, 'not the lost machine');
    assert.match(job.attempts[1]!.resumeFrom ?? '', /^ckpt-\d{6}\.json$/);
    assert.match(r.stderr, /resumed from step \d+/);
    assert.equal(finalLoss(r.stderr), expected);
    const sum = job.attempts.reduce((s, a) => s + (a.pricePerHour * (Date.parse(a.endedAt!) - Date.parse(a.startedAt))) / 3_600_000, 0);
    assert.ok(Math.abs(job.cost - sum) < 1e-6, `cost ${job.cost} is the sum of both attempts ${sum}`);
    const events = readFileSync(path.join(jobsDir, id, 'events.jsonl'), 'utf8');
    assert.match(events, /"to":"RECOVERING"/);
  });

  it('a job that reaches its max_cost: a final checkpoint comes home, the instance is terminated, STOPPED_BY_BUDGET', async () => {
    // The job writes a checkpoint when asked to stop (SIGTERM), as a training script should.
    const dir = path.join(work, 'spender');
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      path.join(dir, 'ferry.yaml'),
      [
        'name: spender',
        'target: vast',
        'budget: {max_cost: 0.0004}',
        'run: |',
        '  mkdir -p "$FERRY_CHECKPOINT_DIR"',
        '  trap \'echo final > "$FERRY_CHECKPOINT_DIR/.f" && mv "$FERRY_CHECKPOINT_DIR/.f" "$FERRY_CHECKPOINT_DIR/final-1.txt"; echo saved-final; exit 143\' TERM',
        '  echo spending; while :; do sleep 0.2; done',
        '',
      ].join('\n'),
    );
    const r = await run(['run', dir, '--json'], env);
    const job = JSON.parse(r.stdout) as JobRecord;
    assert.equal(job.state, 'STOPPED_BY_BUDGET', r.stderr);
    assert.match(job.error ?? '', /max_cost/);
    assert.ok(job.cost >= 0.0004, `cost ${job.cost}`);
    assert.match(r.stderr, /warning: spender has spent .* of its \$0\.00 budget|warning: spender: reached budget\.max_cost/);
    const final = job.checkpoints.find((c) => c.name === 'final-1.txt');
    assert.ok(final?.locations.some((l) => l.kind === 'local'), 'the final checkpoint came home');
    assert.equal(cloud.live(), 0, 'the instance is terminated');
  });

  it('a killed controller: a new one reattaches, no second instance is launched, the log has no gap', async () => {
    const before = cloud.vast.state.launched.length;
    const dir = path.join(work, 'reattach');
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'ferry.yaml'), 'name: cloud-ticks\ntarget: vast\nrun: for i in $(seq 1 10); do echo "tick $i"; sleep 0.3; done\n');
    const p = ferry(['run', dir], env);
    await waitFor(() => (/tick 2/.test(p.output()) ? true : undefined), 60_000, 'tick 2');
    p.child.kill('SIGKILL');
    await p.done;
    const follow = await run(['logs', '-f', 'cloud-ticks'], env);
    assert.equal(follow.code, 0, follow.stderr);
    assert.deepEqual(follow.stdout.match(/tick \d+/g), Array.from({ length: 10 }, (_, i) => `tick ${i + 1}`));
    assert.equal(cloud.vast.state.launched.length, before + 1, 'exactly one instance for the job');
    assert.equal(cloud.live(), 0, 'and it is terminated once the job ends');
  });

  it('a crash between launch and SSH leaves an orphan that ferry instances reports and --terminate-orphans ends', async () => {
    // Instances never become reachable, so the controller is still waiting when it is killed.
    const slow = await startSimCloud({ home: t.home, remoteBase: path.join(t.home, 'remote'), bootPolls: 1_000_000 });
    try {
      const e2 = { FERRY_HOME: t.home, ...slow.env };
      const p = ferry(['run', 'examples/quickstart', '--target', 'vast'], e2);
      await waitFor(() => (slow.live() > 0 ? true : undefined), 30_000, 'the launch');
      await new Promise((r) => setTimeout(r, 300));
      p.child.kill('SIGKILL');
      await p.done;
      const list = await run(['instances', '--json'], e2);
      const report = JSON.parse(list.stdout) as { instances: { id: string; orphan: boolean; pricePerHour: number }[] };
      assert.equal(report.instances.length, 1);
      assert.equal(report.instances[0]?.orphan, true);
      assert.ok((report.instances[0]?.pricePerHour ?? 0) > 0);
      const end = await run(['instances', '--terminate-orphans', '--json'], e2);
      assert.equal(end.code, 0, end.stderr);
      assert.equal(slow.live(), 0);
    } finally {
      await slow.close();
    }
  });
});
