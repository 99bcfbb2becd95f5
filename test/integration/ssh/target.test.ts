import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs, mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { checkpointsDir } from '../../../src/core/jobs/paths';
import type { AttemptRecord, JobRecord } from '../../../src/core/jobs/types';
import { SshPool } from '../../../src/core/remote/pool';
import type { FerrySpec } from '../../../src/core/spec/types';
import { SshTarget, type SshRunningJob } from '../../../src/core/targets/ssh';
import type { TargetContext } from '../../../src/core/targets/target';
import { nullLogger } from '../../../src/core/util/logger';
import { processes, processesMentioning, startSshd, type Sshd } from '../../helpers/sshd';
import { writeTree } from '../../helpers/trees';

let s: Sshd;
let tmp: string;
let home: string;
let remoteBase: string;
const pools: SshPool[] = [];

before(async () => {
  s = await startSshd();
  tmp = mkdtempSync(path.join(os.tmpdir(), 'ferry-target-'));
  home = path.join(tmp, 'home');
  remoteBase = path.join(tmp, 'remote-base');
});

after(async () => {
  for (const p of pools) p.closeAll();
  await s?.stop();
  rmSync(tmp, { recursive: true, force: true });
});

/** A target as a fresh controller would build it: its own pool, so its own connection. */
function target(): SshTarget {
  const pool = new SshPool({ agentSocket: null });
  pools.push(pool);
  return new SshTarget({ alias: s.alias, configPath: s.configPath, knownHostsPath: s.knownHostsPath, remoteBase, pool, pollMs: 100 });
}

let jobN = 0;
async function makeJob(files: Record<string, string>, over: Partial<FerrySpec> = {}): Promise<{ job: JobRecord; ctx: (n?: number, extra?: Partial<TargetContext>) => TargetContext }> {
  jobN++;
  const id = `20250101-000000-${String(jobN).padStart(6, '0')}`;
  const workdir = path.join(tmp, `work-${jobN}`);
  await writeTree(workdir, files);
  const spec: FerrySpec = {
    name: `job${jobN}`,
    workdir,
    exclude: [],
    data: [],
    env: { GREETING: "hello 'world' $(not run)" },
    secrets: [],
    resources: { spot: 'auto' },
    run: 'sh job.sh',
    checkpoints: { path: 'checkpoints' },
    outputs: ['results/'],
    budget: {},
    retry: { on: [], max_attempts: 1 },
    target: `ssh:${s.alias}`,
    ...over,
  };
  const now = new Date().toISOString();
  const job: JobRecord = { id, name: spec.name, state: 'PENDING', target: spec.target, spec, workdir, attempts: [], checkpoints: [], outputs: [], exitCode: null, cost: 0, createdAt: now, updatedAt: now };
  const ctx = (n = 1, extra: Partial<TargetContext> = {}): TargetContext => {
    const attempt: AttemptRecord = { n, target: spec.target, pricePerHour: 0, startedAt: now };
    return { job, attempt, logger: nullLogger, signal: new AbortController().signal, home, env: { SECRET_TOKEN: 'sk-live-do-not-leak-123' }, ...extra };
  };
  return { job, ctx };
}

async function readAll(rj: SshRunningJob): Promise<string> {
  let off = 0;
  let out = '';
  for (;;) {
    const { data, next } = await rj.readLog(off);
    if (data.length === 0) return out;
    out += data.toString('utf8');
    off = next;
  }
}

const TINY_JOB = `
echo "start $FERRY_JOB_ID attempt $FERRY_ATTEMPT in $(pwd)"
echo "greeting=$GREETING"
echo "token-length=\${#SECRET_TOKEN}"
i=1; while [ $i -le 3 ]; do echo "line $i"; i=$((i+1)); done
for n in 1 2; do
  printf 'weights-%s' "$n" > "$FERRY_CHECKPOINT_DIR/.ckpt-00000$n.tmp"
  mv "$FERRY_CHECKPOINT_DIR/.ckpt-00000$n.tmp" "$FERRY_CHECKPOINT_DIR/ckpt-00000$n.pt"
done
printf 'in progress' > "$FERRY_CHECKPOINT_DIR/ckpt-000003.pt.partial"
mkdir -p results && echo result > results/r.txt
echo output > "$FERRY_OUTPUT_DIR/o.txt"
exit 3
`;

test('a tiny job runs end to end: setup, run, log, checkpoints, outputs, exit code', async () => {
  const { job, ctx } = await makeJob({ 'job.sh': TINY_JOB, 'ignored.log': 'x', '.gitignore': '*.log\n' }, { setup: 'echo "setting up"' });
  const t = target();
  await t.provision(ctx());
  await t.sync(ctx());
  const rj = (await t.start(ctx())) as SshRunningJob;
  assert.equal(rj.handle.kind, 'ssh');
  assert.equal(typeof rj.handle.pid, 'number');
  const exit = await rj.wait();
  assert.deepEqual(exit, { exitCode: 3, step: 'run', signal: undefined });
  assert.equal(await rj.step(), 'done');
  const log = await readAll(rj);
  const runAbs = String(rj.handle.runAbs);
  assert.equal(
    log,
    [
      'setting up',
      `start ${job.id} attempt 1 in ${runAbs}/work`,
      `greeting=hello 'world' $(not run)`,
      'token-length=23',
      'line 1',
      'line 2',
      'line 3',
      '',
    ].join('\n'),
  );
  // The workdir was synced with its ignore rules.
  await assert.rejects(fs.access(path.join(runAbs, 'work', 'ignored.log')));
  // Secrets live in a 0600 env file, never in the supervisor's files that others may read.
  assert.equal((await fs.stat(path.join(runAbs, 'meta', 'env.sh'))).mode & 0o777, 0o600);
  const cps = await rj.listCheckpoints();
  assert.deepEqual(
    cps.map((c) => [c.name, c.sizeBytes, c.step]),
    [
      ['ckpt-000001.pt', 9, 1],
      ['ckpt-000002.pt', 9, 2],
    ],
  );
  const local = await rj.fetchCheckpoint('ckpt-000002.pt', checkpointsDir(home, job.id));
  assert.equal(await fs.readFile(local, 'utf8'), 'weights-2');
  await assert.rejects(rj.fetchCheckpoint('../job.sh', path.join(tmp, 'x')), /bad checkpoint name/);
  const outDir = path.join(tmp, `outputs-${job.id}`);
  const outs = await rj.fetchOutputs(outDir);
  assert.deepEqual(outs.sort(), [path.join(outDir, 'outputs'), path.join(outDir, 'results')]);
  assert.equal(await fs.readFile(path.join(outDir, 'results', 'r.txt'), 'utf8'), 'result\n');
  assert.equal(await fs.readFile(path.join(outDir, 'outputs', 'o.txt'), 'utf8'), 'output\n');
});

test('exit codes: a failing setup ends the job at setup with its code', async () => {
  const { ctx } = await makeJob({ 'job.sh': 'echo never' }, { setup: 'echo broken >&2; exit 42' });
  const t = target();
  await t.sync(ctx());
  const rj = await t.start(ctx());
  assert.deepEqual(await rj.wait(), { exitCode: 42, step: 'setup', signal: undefined });
  assert.equal(await readAll(rj as SshRunningJob), 'broken\n');
});

test('logs read by byte offset across two forced reconnects: no line missing, none repeated', async () => {
  const N = 300;
  const { job, ctx } = await makeJob({ 'job.sh': `i=1; while [ $i -le ${N} ]; do echo "line $i"; i=$((i+1)); if [ $((i % 20)) -eq 0 ]; then sleep 0.1; fi; done` });
  const t = target();
  await t.sync(ctx());
  const rj = (await t.start(ctx())) as SshRunningJob;
  let off = 0;
  let text = '';
  let drops = 0;
  const deadline = Date.now() + 60_000;
  let ended = false;
  while (Date.now() < deadline) {
    const { data, next } = await rj.readLog(off);
    text += data.toString('utf8');
    off = next;
    const lines = text.split('\n').length - 1;
    if ((drops === 0 && lines > 40) || (drops === 1 && lines > 150)) {
      drops++;
      assert.ok((await s.killConnections()) >= 1, 'a session was there to kill');
    }
    if (data.length === 0) {
      if (ended) break;
      ended = (await rj.step()) === 'done';
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  assert.equal(drops, 2);
  assert.deepEqual(
    text.split('\n').filter(Boolean),
    Array.from({ length: N }, (_v, i) => `line ${i + 1}`),
  );
  assert.equal((await rj.wait()).exitCode, 0);
  assert.ok(job.id);
});

test('a detached job survives a killed connection and is reattached by a new controller', async () => {
  const { job, ctx } = await makeJob({ 'job.sh': 'echo begin; sleep 1.5; echo end; exit 5' });
  const t1 = target();
  await t1.sync(ctx());
  const rj1 = await t1.start(ctx());
  const attempt: AttemptRecord = { ...ctx().attempt, handle: rj1.handle };
  await s.killConnections();
  for (const p of pools) p.closeAll(); // the first controller is gone entirely
  const t2 = target();
  const rj2 = (await t2.attach(job, attempt)) as SshRunningJob;
  assert.deepEqual(await rj2.wait(), { exitCode: 5, step: 'run', signal: undefined });
  assert.equal(await readAll(rj2), 'begin\nend\n');
});

test('stop: TERM to the process group, KILL after the grace; no process is left', async () => {
  // One child ignores TERM, so the grace runs out and KILL is needed.
  const { ctx } = await makeJob({ 'job.sh': `(trap '' TERM; sleep 300) & sleep 300 & echo started; wait` });
  const t = target();
  await t.sync(ctx());
  const rj = (await t.start(ctx())) as SshRunningJob;
  const pid = Number(rj.handle.pid);
  while (!(await readAll(rj)).includes('started')) await new Promise((r) => setTimeout(r, 50));
  // The "remote" is this machine: its process table is read directly (/proc, no ps needed).
  // While it runs, the job has its own process group and no secret is on any command line.
  const before = processes();
  assert.ok(before.filter((p) => p.pgid === pid).length >= 3, 'the job runs in its own process group');
  assert.ok(!before.some((p) => p.args.includes('sk-live-do-not-leak-123')), 'no secret on a command line');
  const t0 = Date.now();
  await rj.stop(1000);
  assert.ok(Date.now() - t0 >= 900, 'the grace was given');
  const left = processes().filter((p) => p.pgid === pid);
  assert.deepEqual(left, [], `no process left in group ${pid}`);
  assert.deepEqual(await processesMentioning(String(rj.handle.runAbs)), []);
  const exit = await rj.wait();
  assert.equal(exit.step, 'run');
  assert.ok(exit.exitCode === null || exit.exitCode === 143, `ended by the stop: ${JSON.stringify(exit)}`);
});

test('resume: the chosen checkpoint goes back up and FERRY_RESUME_FROM points at it', async () => {
  const { job, ctx } = await makeJob({ 'job.sh': 'echo "from=$FERRY_RESUME_FROM"; cat "$FERRY_RESUME_FROM"; echo' });
  const local = path.join(checkpointsDir(home, job.id), 'ckpt-000007.pt');
  await fs.mkdir(path.dirname(local), { recursive: true });
  await fs.writeFile(local, 'saved weights');
  const t = target();
  await t.sync(ctx(2));
  const rj = (await t.start(ctx(2, { resumeFrom: 'ckpt-000007.pt' }))) as SshRunningJob;
  await rj.wait();
  const runAbs = String(rj.handle.runAbs);
  assert.match(runAbs, /attempt-2$/);
  assert.equal(await readAll(rj), `from=${runAbs}/work/checkpoints/ckpt-000007.pt\nsaved weights\n`);
});

test('GPU metrics: a fake nvidia-smi on the job PATH is sampled; none means no GPU, not an error', async () => {
  const bin = path.join(tmp, 'fake-bin');
  await writeTree(bin, { 'nvidia-smi': { mode: 0o755, data: '#!/bin/sh\nprintf "37\\n41\\n"\n' } });
  const { ctx } = await makeJob({ 'job.sh': 'sleep 1' }, { env: { PATH: `${bin}:/usr/bin:/bin` } });
  const t = target();
  await t.sync(ctx());
  const rj = (await t.start(ctx())) as SshRunningJob;
  assert.equal(await rj.sampleGpuUtil(), 39);
  await rj.wait();
  const { ctx: ctx2 } = await makeJob({ 'job.sh': 'true' }, { env: { PATH: '/usr/bin:/bin' } });
  await t.sync(ctx2());
  const rj2 = (await t.start(ctx2())) as SshRunningJob;
  assert.equal(await rj2.sampleGpuUtil(), undefined);
  await rj2.wait();
});

test('budget.max_duration is enforced on the remote by the watchdog, with no controller needed', async () => {
  const { ctx } = await makeJob({ 'job.sh': 'echo running; sleep 120' }, { budget: { max_duration: 2 } });
  const t = target();
  await t.sync(ctx());
  const rj = (await t.start(ctx())) as SshRunningJob;
  const t0 = Date.now();
  const exit = await rj.wait();
  assert.ok(Date.now() - t0 < 30_000);
  assert.equal(exit.exitCode, 143);
  assert.equal(await fs.readFile(path.join(String(rj.handle.runAbs), 'meta', 'watchdog'), 'utf8'), 'max_duration\n');
  assert.deepEqual(await processesMentioning(String(rj.handle.runAbs)), [], 'the watchdog left with the job');
});

test('a finished job leaves no supervisor or watchdog behind', async () => {
  const { ctx } = await makeJob({ 'job.sh': 'echo quick' }, { budget: { max_duration: 600 } });
  const t = target();
  await t.sync(ctx());
  const rj = (await t.start(ctx())) as SshRunningJob;
  assert.equal((await rj.wait()).exitCode, 0);
  assert.deepEqual(await processesMentioning(String(rj.handle.runAbs)), []);
});

test('checkpoints are listed and pulled home while the job still runs', async () => {
  const { job, ctx } = await makeJob({
    'job.sh': `printf one > "$FERRY_CHECKPOINT_DIR/.c.tmp" && mv "$FERRY_CHECKPOINT_DIR/.c.tmp" "$FERRY_CHECKPOINT_DIR/ckpt-000001.pt"
echo saved
while [ ! -f go ]; do sleep 0.1; done`,
  });
  const t = target();
  await t.sync(ctx());
  const rj = (await t.start(ctx())) as SshRunningJob;
  while (!(await readAll(rj)).includes('saved')) await new Promise((r) => setTimeout(r, 50));
  assert.equal(await rj.step(), 'run');
  assert.deepEqual((await rj.listCheckpoints()).map((c) => c.name), ['ckpt-000001.pt']);
  const local = await rj.fetchCheckpoint('ckpt-000001.pt', checkpointsDir(home, job.id));
  assert.equal(await fs.readFile(local, 'utf8'), 'one');
  await fs.writeFile(path.join(String(rj.handle.runAbs), 'work', 'go'), '');
  assert.equal((await rj.wait()).exitCode, 0);
});
