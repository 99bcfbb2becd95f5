/**
 * The extension's job plumbing against a real job store and the real local target (no
 * `vscode`): the controller runs and follows jobs, lets go of them without stopping them
 * (window reload), and takes them over again; the log tail follows like `ferry logs -f`;
 * the model sees jobs written by anyone.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { JobStore } from '../../../src/core/jobs/store';
import type { JobRecord } from '../../../src/core/jobs/types';
import { LocalTarget } from '../../../src/core/targets/local';
import { nullLogger } from '../../../src/core/util/logger';
import { JobControllers } from '../../../src/extension/jobs/controllers';
import { stopJobRecord } from '../../../src/extension/jobs/jobActions';
import { JobsModel } from '../../../src/extension/jobs/jobsModel';
import { JobLogTail } from '../../../src/extension/jobs/logTail';
import { spec } from './fixtures/records';

let root = '';
let home = '';
let work = '';
let store: JobStore;

function controllers(): JobControllers {
  return new JobControllers({ store, home, logger: nullLogger, targetFor: async () => new LocalTarget({ home, pricePerHour: 0 }), runnerDefaults: () => ({ stopGraceMs: 1000 }) });
}

async function newJob(name: string, run: string): Promise<JobRecord> {
  return store.create({ name, target: 'local', spec: spec({ name, run, workdir: work }), workdir: work });
}

async function until(fn: () => Promise<boolean> | boolean, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await fn())) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

before(() => {
  root = mkdtempSync(path.join(tmpdir(), 'ferry-ext-'));
  home = path.join(root, 'home');
  work = path.join(root, 'work');
  mkdirSync(work, { recursive: true });
  writeFileSync(path.join(work, 'steps.sh'), 'i=1; while [ $i -le "${N:-3}" ]; do echo "step $i"; i=$((i+1)); sleep "${S:-0.05}"; done\n');
  store = new JobStore(home);
});

after(() => rmSync(root, { recursive: true, force: true }));

test('start runs a job under the controller to SUCCEEDED; the model and the log tail see it', async () => {
  const model = new JobsModel(store, { logger: nullLogger, debounceMs: 20, pollMs: 100 });
  model.start();
  const c = controllers();
  const job = await newJob('quick', 'sh steps.sh');
  const seen: string[] = [];
  const final = await c.start(job.id, new LocalTarget({ home, pricePerHour: 0 }), { onUpdate: (j) => seen.push(j.state) });
  assert.equal(final?.state, 'SUCCEEDED');
  assert.deepEqual([...new Set(seen)].slice(0, 3), ['PROVISIONING', 'SYNCING', 'SETUP']);
  assert.equal(c.isFollowing(job.id), false);
  await until(() => model.get(job.id)?.state === 'SUCCEEDED');
  let text = '';
  const ended = await new Promise<JobRecord | undefined>((resolve) => {
    const tail = new JobLogTail({ store, home, jobId: job.id, onData: (t) => (text += t), onEnd: resolve, pollMs: 50 });
    void tail.start();
  });
  assert.equal(ended?.state, 'SUCCEEDED');
  assert.match(text, /step 1\nstep 2\nstep 3\n/);
  assert.match(text, /\[ferry\] quick SUCCEEDED/);
  model.dispose();
});

test('detachAll lets go without stopping the job; another controller takes it over to the end', async () => {
  const first = controllers();
  const job = await newJob('long', 'N=20 S=0.1 sh steps.sh');
  void first.start(job.id, new LocalTarget({ home, pricePerHour: 0 })).catch(() => undefined);
  await until(async () => (await store.get(job.id))?.state === 'RUNNING');
  // A log tail opened now follows across the hand-over.
  let text = '';
  const tailDone = new Promise<JobRecord | undefined>((resolve) => {
    const tail = new JobLogTail({ store, home, jobId: job.id, onData: (t) => (text += t), onEnd: resolve, pollMs: 50 });
    void tail.start();
  });
  await first.detachAll();
  const after = await store.get(job.id);
  assert.equal(after?.state, 'RUNNING', 'the job keeps running');
  assert.equal(after?.controller, undefined, 'the controller field is cleared');
  const pid = after?.attempts[0]?.handle?.pid;
  assert.ok(typeof pid === 'number' && alive(pid));
  const second = controllers();
  const taken = await second.reattachOrphans(await store.list());
  assert.deepEqual(taken, [job.id]);
  const final = await second.whenDone(job.id);
  assert.equal(final?.state, 'SUCCEEDED');
  assert.equal((await tailDone)?.state, 'SUCCEEDED');
  assert.equal(text.match(/step 20\n/g)?.length, 1, 'no line twice, none lost');
  assert.equal(text.match(/^step \d+$/gm)?.length, 20);
});

test('cancel stops a followed job (CANCELLED); stopJobRecord stops one nobody follows', async () => {
  const c = controllers();
  const a = await newJob('to-cancel', 'N=100 S=0.1 sh steps.sh');
  const done = c.start(a.id, new LocalTarget({ home, pricePerHour: 0 }));
  await until(async () => (await store.get(a.id))?.state === 'RUNNING');
  assert.equal(c.cancel(a.id), true);
  assert.equal((await done)?.state, 'CANCELLED');

  const d = controllers();
  const b = await newJob('to-stop', 'N=100 S=0.1 sh steps.sh');
  void d.start(b.id, new LocalTarget({ home, pricePerHour: 0 })).catch(() => undefined);
  await until(async () => (await store.get(b.id))?.state === 'RUNNING');
  await d.detachAll();
  const pid = (await store.get(b.id))?.attempts[0]?.handle?.pid;
  const stopped = await stopJobRecord({ store, home, logger: nullLogger, targetFor: async () => new LocalTarget({ home, pricePerHour: 0 }) }, b.id, 500, false);
  assert.equal(stopped.state, 'CANCELLED');
  assert.equal(stopped.error, 'stopped by user');
  assert.ok(typeof pid === 'number');
  await until(() => !alive(pid));
});

test('a job whose controller died before it started is ended FAILED on reattach', async () => {
  const j = await store.create({ name: 'orphan', target: 'local', spec: spec({ name: 'orphan', workdir: work }), workdir: work, createdAt: '2020-01-01T00:00:00.000Z' });
  await controllers().reattachOrphans([j]);
  const after = await store.get(j.id);
  assert.equal(after?.state, 'FAILED');
  assert.match(after?.error ?? '', /controller stopped before the job started/);
});
