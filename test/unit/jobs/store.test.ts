import assert from 'node:assert/strict';
import { appendFile, mkdir, mkdtemp, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { JOB_ID_PATTERN } from '../../../src/core/jobs/ids';
import { JobStore } from '../../../src/core/jobs/store';
import type { JobRecord } from '../../../src/core/jobs/types';
import { FerryError, InfraError, UserError } from '../../../src/core/util/errors';
import { sampleJob } from './fixtures/sampleJob';

let home: string;

beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), 'ferry-store-'));
});
afterEach(async () => {
  await rm(home, { recursive: true, force: true });
});

/** A clock that advances one second per call, so createdAt orders jobs deterministically. */
function tickingClock(start = Date.UTC(2024, 4, 1, 12, 0, 0)): () => Date {
  let t = start;
  return () => new Date((t += 1000));
}

function isUserError(pattern: RegExp) {
  return (err: unknown): boolean => err instanceof UserError && err.exitCode === 2 && pattern.test(err.message);
}

describe('JobStore create/get/list', () => {
  test('create fills the defaults and writes job.json + a creation event', async () => {
    const store = new JobStore(home);
    const job = await store.create(sampleJob('cifar', { git: { commit: 'abc', dirty: true } }));
    assert.match(job.id, JOB_ID_PATTERN);
    assert.equal(job.state, 'PENDING');
    assert.deepEqual(job.attempts, []);
    assert.deepEqual(job.checkpoints, []);
    assert.deepEqual(job.outputs, []);
    assert.equal(job.exitCode, null);
    assert.equal(job.cost, 0);
    assert.equal(job.createdAt, job.updatedAt);
    assert.deepEqual(job.git, { commit: 'abc', dirty: true });
    assert.deepEqual(await store.get(job.id), job);
    const onDisk = JSON.parse(await readFile(join(home, 'jobs', job.id, 'job.json'), 'utf8')) as JobRecord;
    assert.deepEqual(onDisk, job);
    const events = await store.events(job.id);
    assert.equal(events.length, 1);
    assert.equal(events[0]?.type, 'state');
    assert.equal(events[0]?.to, 'PENDING');
  });

  test('create does not alias the caller’s objects', async () => {
    const store = new JobStore(home);
    const init = sampleJob('alias');
    const job = await store.create(init);
    init.spec.env.X = '1';
    assert.deepEqual((await store.get(job.id))?.spec.env, {});
  });

  test('an explicit id is used once', async () => {
    const store = new JobStore(home);
    await store.create(sampleJob('a', { id: 'my-job' }));
    await assert.rejects(store.create(sampleJob('b', { id: 'my-job' })), isUserError(/already exists/));
    await assert.rejects(store.create(sampleJob('c', { id: '../evil' })), isUserError(/not a valid job id/));
    assert.equal((await store.get('my-job'))?.name, 'a');
  });

  test('get: unknown or unsafe ids are undefined; a corrupt job.json is an InfraError', async () => {
    const store = new JobStore(home);
    assert.equal(await store.get('nope'), undefined);
    assert.equal(await store.get('../../etc'), undefined);
    const job = await store.create(sampleJob());
    await writeFile(join(home, 'jobs', job.id, 'job.json'), '{"id": "x"');
    await assert.rejects(store.get(job.id), InfraError);
  });

  test('list is newest first and empty for a fresh home', async () => {
    const store = new JobStore(home, { now: tickingClock() });
    assert.deepEqual(await store.list(), []);
    const a = await store.create(sampleJob('a'));
    const b = await store.create(sampleJob('b'));
    const c = await store.create(sampleJob('c'));
    assert.deepEqual(
      (await store.list()).map((j) => j.id),
      [c.id, b.id, a.id],
    );
  });

  test('list skips and counts unreadable job folders, ignores stray files and staging folders', async () => {
    const store = new JobStore(home);
    const good = await store.create(sampleJob('good'));
    const jobs = join(home, 'jobs');
    await writeFile(join(jobs, 'README.txt'), 'not a job');
    await mkdir(join(jobs, 'empty-dir'));
    await mkdir(join(jobs, 'corrupt'));
    await writeFile(join(jobs, 'corrupt', 'job.json'), '{"id":"corrupt","na');
    await mkdir(join(jobs, 'wrong-id'));
    await writeFile(join(jobs, 'wrong-id', 'job.json'), JSON.stringify({ ...good, id: 'other' }));
    await mkdir(join(jobs, '.new-half-created'));
    await writeFile(join(jobs, '.new-half-created', 'job.json'), '{');
    const { jobs: list, skipped } = await store.listDetailed();
    assert.deepEqual(
      list.map((j) => j.id),
      [good.id],
    );
    assert.deepEqual(skipped, ['corrupt', 'empty-dir', 'wrong-id']);
    assert.equal((await store.list()).length, 1);
  });

  test('a half-written temp file beside job.json is ignored by get/list and swept by the next write', async () => {
    const store = new JobStore(home);
    const job = await store.create(sampleJob('t'));
    const tmp = join(home, 'jobs', job.id, 'job.json.999-deadbeef.tmp');
    await writeFile(tmp, '{"id":"' + job.id + '","name":"half');
    assert.deepEqual(await store.get(job.id), job);
    assert.deepEqual(
      (await store.list()).map((j) => j.id),
      [job.id],
    );
    await store.update(job.id, (r) => {
      r.cost = 1;
    });
    await assert.rejects(stat(tmp), { code: 'ENOENT' });
  });
});

describe('JobStore update/transition/events', () => {
  test('update is a read-modify-write that sets updatedAt', async () => {
    const store = new JobStore(home, { now: tickingClock() });
    const job = await store.create(sampleJob());
    const updated = await store.update(job.id, (r) => {
      r.cost = 1.5;
      r.outputs.push('/x');
    });
    assert.equal(updated.cost, 1.5);
    assert.deepEqual(updated.outputs, ['/x']);
    assert.ok(updated.updatedAt > job.updatedAt);
    assert.deepEqual(await store.get(job.id), updated);
    // returning a replacement works too
    const replaced = await store.update(job.id, (r) => ({ ...r, name: 'renamed' }));
    assert.equal(replaced.name, 'renamed');
    assert.equal((await store.get(job.id))?.name, 'renamed');
    // what update returns is exactly what a later get() sees (no `undefined` keys)
    const cleared = await store.update(job.id, (r) => {
      r.error = undefined;
    });
    assert.equal('error' in cleared, false);
    assert.deepEqual(await store.get(job.id), cleared);
  });

  test('update refuses state and id changes, and unknown jobs; a throwing mutate writes nothing', async () => {
    const store = new JobStore(home);
    const job = await store.create(sampleJob());
    await assert.rejects(
      store.update(job.id, (r) => {
        r.state = 'RUNNING';
      }),
      (e: unknown) => e instanceof FerryError && /use transition/.test(e.message),
    );
    await assert.rejects(
      store.update(job.id, (r) => {
        r.id = 'other';
      }),
      FerryError,
    );
    await assert.rejects(
      store.update(job.id, (r) => {
        r.cost = 99;
        throw new Error('boom');
      }),
      /boom/,
    );
    assert.deepEqual(await store.get(job.id), job);
    await assert.rejects(
      store.update('20240101-000000-000000', () => undefined),
      isUserError(/no job with id/),
    );
    // the lock was released every time
    await store.update(job.id, (r) => {
      r.cost = 2;
    });
    assert.equal((await store.get(job.id))?.cost, 2);
  });

  test('concurrent updates from one process are serialized', async () => {
    const store = new JobStore(home);
    const other = new JobStore(home); // a second instance in the same process shares the queue
    const job = await store.create(sampleJob());
    await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        (i % 2 ? store : other).update(job.id, (r) => {
          r.cost += 1;
        }),
      ),
    );
    assert.equal((await store.get(job.id))?.cost, 40);
  });

  test('transition walks the lifecycle, stamps times and logs state events', async () => {
    const store = new JobStore(home, { now: tickingClock() });
    const job = await store.create(sampleJob());
    const p = await store.transition(job.id, 'PROVISIONING', { message: 'attempt 1 on local' });
    assert.equal(p.state, 'PROVISIONING');
    assert.ok(p.startedAt);
    assert.equal(p.endedAt, undefined);
    await store.transition(job.id, 'SYNCING');
    await store.transition(job.id, 'SETUP');
    await store.transition(job.id, 'RUNNING');
    await store.transition(job.id, 'RECOVERING', { message: 'preempted' });
    const again = await store.transition(job.id, 'PROVISIONING');
    assert.equal(again.startedAt, p.startedAt, 'startedAt is the first PROVISIONING');
    await store.transition(job.id, 'SYNCING');
    await store.transition(job.id, 'SETUP');
    await store.transition(job.id, 'RUNNING');
    const done = await store.transition(job.id, 'SUCCEEDED', {
      patch: (r) => {
        r.exitCode = 0;
        r.state = 'FAILED'; // ignored: a patch cannot smuggle in another transition
      },
    });
    assert.equal(done.state, 'SUCCEEDED');
    assert.equal(done.exitCode, 0);
    assert.ok(done.endedAt);
    assert.equal(done.updatedAt, done.endedAt);

    const states = (await store.events(job.id)).filter((e) => e.type === 'state');
    assert.deepEqual(
      states.map((e) => `${e.from ?? ''}>${e.to ?? ''}`),
      [
        '>PENDING',
        'PENDING>PROVISIONING',
        'PROVISIONING>SYNCING',
        'SYNCING>SETUP',
        'SETUP>RUNNING',
        'RUNNING>RECOVERING',
        'RECOVERING>PROVISIONING',
        'PROVISIONING>SYNCING',
        'SYNCING>SETUP',
        'SETUP>RUNNING',
        'RUNNING>SUCCEEDED',
      ],
    );
    assert.equal(states[1]?.message, 'attempt 1 on local');
    assert.equal(states[5]?.message, 'preempted');
    const ts = states.map((e) => e.ts);
    assert.deepEqual([...ts].sort(), ts, 'events are in time order');
  });

  test('an illegal transition throws and changes nothing', async () => {
    const store = new JobStore(home);
    const job = await store.create(sampleJob());
    await store.transition(job.id, 'PROVISIONING');
    await store.transition(job.id, 'SYNCING');
    await store.transition(job.id, 'SETUP');
    const running = await store.transition(job.id, 'RUNNING');
    await assert.rejects(store.transition(job.id, 'PENDING'), {
      message: `illegal transition RUNNING -> PENDING for job ${job.id}`,
    });
    assert.deepEqual(await store.get(job.id), running);
    assert.equal((await store.events(job.id)).length, 5);
  });

  test('resume: a terminal job goes back to PENDING, endedAt/error/exitCode cleared', async () => {
    const store = new JobStore(home);
    const job = await store.create(sampleJob());
    await store.transition(job.id, 'PROVISIONING');
    const failed = await store.transition(job.id, 'FAILED', {
      patch: (r) => {
        r.error = 'no capacity';
        r.exitCode = 3;
      },
    });
    assert.ok(failed.endedAt);
    await assert.rejects(store.transition(job.id, 'PENDING'), FerryError);
    const resumed = await store.transition(job.id, 'PENDING', { resume: true, message: 'ferry resume' });
    assert.equal(resumed.state, 'PENDING');
    assert.equal(resumed.endedAt, undefined);
    assert.equal(resumed.error, undefined);
    assert.equal(resumed.exitCode, null);
    assert.equal(resumed.startedAt, failed.startedAt);
    assert.equal('endedAt' in ((await store.get(job.id)) ?? {}), false);
  });

  test('appendEvent/events keep order; a torn last line is skipped and does not eat the next one', async () => {
    const store = new JobStore(home);
    const job = await store.create(sampleJob());
    const e1 = await store.appendEvent(job.id, { type: 'note', message: 'one' });
    assert.ok(e1.ts);
    await store.appendEvent(job.id, { type: 'checkpoint', message: 'ckpt-1' });
    // A crash mid-append leaves a partial JSON without its newline.
    await appendFile(join(home, 'jobs', job.id, 'events.jsonl'), '{"ts":"2024-05-01T00:00:00.000Z","type":"no');
    let events = await store.events(job.id);
    assert.deepEqual(
      events.map((e) => e.message),
      ['created', 'one', 'ckpt-1'],
    );
    await store.appendEvent(job.id, { type: 'note', message: 'after the crash' });
    events = await store.events(job.id);
    assert.deepEqual(
      events.map((e) => e.message),
      ['created', 'one', 'ckpt-1', 'after the crash'],
    );
    // garbage and blank lines in the middle are skipped too
    await appendFile(join(home, 'jobs', job.id, 'events.jsonl'), '\n[1,2]\n{"type":"note"}\n');
    assert.equal((await store.events(job.id)).length, 4);
    assert.deepEqual(await store.events('unknown-job'), []);
    await assert.rejects(store.appendEvent('unknown-job', { type: 'note' }), UserError);
  });
});

describe('JobStore locking', () => {
  test('a lock left by a killed process is taken over once stale', async () => {
    const store = new JobStore(home, { lockStaleMs: 2000, lockTimeoutMs: 10_000 });
    const job = await store.create(sampleJob());
    const lock = join(home, 'jobs', job.id, '.lock');
    await mkdir(lock);
    const old = new Date(Date.now() - 60_000);
    await utimes(lock, old, old);
    const t0 = Date.now();
    await store.update(job.id, (r) => {
      r.cost = 7;
    });
    assert.ok(Date.now() - t0 < 2000, 'no waiting on a stale lock');
    assert.equal((await store.get(job.id))?.cost, 7);
    await assert.rejects(stat(lock), { code: 'ENOENT' }, 'the lock was released');
  });

  test('a live lock makes writers wait, then give up with an InfraError', async () => {
    const store = new JobStore(home, { lockStaleMs: 5000, lockTimeoutMs: 300 });
    const job = await store.create(sampleJob());
    const lock = join(home, 'jobs', job.id, '.lock');
    await mkdir(lock); // fresh mtime: another process holds it
    const t0 = Date.now();
    await assert.rejects(
      store.update(job.id, (r) => {
        r.cost = 1;
      }),
      (e: unknown) => e instanceof InfraError && e.exitCode === 3 && /locked by another Ferry process/.test(e.message),
    );
    assert.ok(Date.now() - t0 >= 300);
    // once the holder lets go, writes go through
    await rm(lock, { recursive: true });
    await store.update(job.id, (r) => {
      r.cost = 1;
    });
    assert.equal((await store.get(job.id))?.cost, 1);
  });
});

describe('JobStore delete/resolve', () => {
  test('delete refuses an active job unless forced, removes a finished one', async () => {
    const store = new JobStore(home);
    const job = await store.create(sampleJob());
    await store.transition(job.id, 'PROVISIONING');
    await assert.rejects(store.delete(job.id), isUserError(/PROVISIONING; stop it/));
    assert.ok(await store.get(job.id));
    await store.transition(job.id, 'CANCELLED');
    await store.delete(job.id);
    assert.equal(await store.get(job.id), undefined);
    assert.deepEqual((await readdir(join(home, 'jobs'))).filter((n) => n !== '.changed'), []);
    await assert.rejects(store.delete(job.id), isUserError(/no job with id/));

    const active = await store.create(sampleJob());
    await store.delete(active.id, { force: true });
    assert.equal(await store.get(active.id), undefined);
    assert.deepEqual(await store.list(), []);
  });

  test('resolve by exact id, unique prefix, and name (newest wins)', async () => {
    const store = new JobStore(home, { now: tickingClock() });
    const a = await store.create(sampleJob('cifar', { id: '20240501-120001-aaaaaa' }));
    const b = await store.create(sampleJob('mnist', { id: '20240501-120002-bbbbbb' }));
    const c = await store.create(sampleJob('cifar', { id: '20240501-120003-bbbccc' }));
    assert.equal((await store.resolve(a.id)).id, a.id);
    assert.equal((await store.resolve(' 20240501-120001 ')).id, a.id);
    assert.equal((await store.resolve('20240501-120002')).id, b.id);
    assert.equal((await store.resolve('cifar')).id, c.id, 'the newest job with that name');
    assert.equal((await store.resolve('mnist')).id, b.id);
    await assert.rejects(
      store.resolve('20240501-12000'),
      (e: unknown) =>
        e instanceof UserError &&
        /matches 3 jobs/.test(e.message) &&
        e.message.includes(a.id) &&
        e.message.includes(b.id) &&
        e.message.includes(c.id),
    );
    await assert.rejects(store.resolve('nothing-like-it'), isUserError(/no job matches "nothing-like-it"/));
    await assert.rejects(store.resolve(''), isUserError(/no job given/));
    await assert.rejects(store.resolve('../x'), isUserError(/no job matches/));
  });
});

describe('JobStore watch', () => {
  function waitFor(pred: () => boolean, ms: number): Promise<void> {
    const until = Date.now() + ms;
    return new Promise((res, rej) => {
      const tick = (): void => {
        if (pred()) res();
        else if (Date.now() > until) rej(new Error('timed out waiting for a change notification'));
        else setTimeout(tick, 10);
      };
      tick();
    });
  }

  for (const forcePolling of [false, true]) {
    test(`notifies on create, update (from another store) and delete${forcePolling ? ' (polling)' : ''}`, async () => {
      const store = new JobStore(home);
      let calls = 0;
      const w = store.watch(() => calls++, { debounceMs: 20, pollMs: 50, forcePolling });
      try {
        await new Promise((r) => setTimeout(r, 80)); // let the poller take its baseline
        const job = await store.create(sampleJob());
        await waitFor(() => calls >= 1, 3000);
        const seen = calls;
        await new JobStore(home).update(job.id, (r) => {
          r.cost = 1;
        });
        await waitFor(() => calls > seen, 3000);
        const seen2 = calls;
        await store.delete(job.id, { force: true });
        await waitFor(() => calls > seen2, 3000);
      } finally {
        w.dispose();
      }
      const final = calls;
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(calls, final, 'no calls after dispose');
    });
  }

  test('a burst of writes is debounced', async () => {
    const store = new JobStore(home);
    const job = await store.create(sampleJob());
    let calls = 0;
    const w = store.watch(() => calls++, { debounceMs: 150, pollMs: 10_000 });
    try {
      for (let i = 0; i < 10; i++) await store.appendEvent(job.id, { type: 'note', message: String(i) });
      await waitFor(() => calls >= 1, 3000);
      await new Promise((r) => setTimeout(r, 250));
      assert.ok(calls <= 2, `expected the burst to coalesce, got ${calls} calls`);
    } finally {
      w.dispose();
    }
  });
});
