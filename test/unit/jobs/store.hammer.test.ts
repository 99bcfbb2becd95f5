import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { JobStore, parseJobRecord } from '../../../src/core/jobs/store';
import { sampleJob } from './fixtures/sampleJob';

const WORKER = resolve(__dirname, 'fixtures', 'hammerWorker.ts');
const REPO = resolve(__dirname, '..', '..', '..');

function runWorker(home: string, sharedId: string, tag: string, creates: number, updates: number): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', WORKER, home, sharedId, tag, String(creates), String(updates)], {
      cwd: REPO,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolvePromise(out);
      else reject(new Error(`worker ${tag} exited ${code ?? signal}: ${err}`));
    });
  });
}

test('two processes writing the same store lose no record and no update', { timeout: 90_000 }, async (t) => {
  const home = await mkdtemp(join(tmpdir(), 'ferry-hammer-'));
  try {
    const store = new JobStore(home);
    const shared = await store.create(sampleJob('shared'));
    const t0 = Date.now();
    const [a, b] = await Promise.all([runWorker(home, shared.id, 'a', 50, 300), runWorker(home, shared.id, 'b', 50, 300)]);
    const elapsed = Date.now() - t0;
    assert.match(a, /done a 50 300/);
    assert.match(b, /done b 50 300/);

    const after = await store.get(shared.id);
    assert.equal(after?.cost, 600, 'every increment from both processes survived');

    const events = await store.events(shared.id);
    const notes = events.filter((e) => e.type === 'note');
    assert.equal(notes.length, 600);
    assert.equal(new Set(notes.map((e) => e.message)).size, 600, 'no event duplicated or lost');
    // The two writers really overlapped (else this test proves nothing about locking).
    let switches = 0;
    for (let i = 1; i < notes.length; i++) if (notes[i]?.message?.[0] !== notes[i - 1]?.message?.[0]) switches++;
    assert.ok(switches >= 10, `writers interleaved only ${switches} times`);
    // The raw log has exactly one JSON document per line: no interleaved appends.
    const raw = (await readFile(join(home, 'jobs', shared.id, 'events.jsonl'), 'utf8')).trimEnd().split('\n');
    assert.equal(raw.length, events.length);

    const { jobs, skipped } = await store.listDetailed();
    assert.deepEqual(skipped, []);
    assert.equal(jobs.length, 101);
    const names = new Set(jobs.map((j) => j.name));
    for (const tag of ['a', 'b']) for (let i = 0; i < 50; i++) assert.ok(names.has(`${tag}-${i}`), `${tag}-${i} exists`);

    // Every job.json on disk parses on its own, and nothing but job folders and the stamp remain.
    const entries = await readdir(join(home, 'jobs'));
    const dirs = entries.filter((n) => !n.startsWith('.'));
    assert.equal(dirs.length, 101);
    assert.deepEqual(entries.filter((n) => n.startsWith('.') && n !== '.changed'), []);
    for (const d of dirs) {
      const rec = parseJobRecord(await readFile(join(home, 'jobs', d, 'job.json'), 'utf8'));
      assert.ok(rec, `${d}/job.json parses`);
      assert.equal(rec.id, d);
      const files = await readdir(join(home, 'jobs', d));
      assert.deepEqual(files.sort(), ['events.jsonl', 'job.json'], `${d} holds no lock or temp file`);
    }
    t.diagnostic(`hammer: 2 processes x (50 creates + 300 updates + 300 appends) in ${elapsed} ms`);
  } finally {
    await rm(home, { recursive: true, force: true });
  }
});
