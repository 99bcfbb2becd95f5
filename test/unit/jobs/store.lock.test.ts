import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { JobStore } from '../../../src/core/jobs/store';
import { InfraError } from '../../../src/core/util/errors';
import { sampleJob } from './fixtures/sampleJob';

const HOLDER = resolve(__dirname, 'fixtures', 'lockHolder.ts');
const REPO = resolve(__dirname, '..', '..', '..');

test('a live holder keeps its lock past the stale time; once SIGKILLed its lock is taken over', { timeout: 30_000 }, async () => {
  const home = await mkdtemp(join(tmpdir(), 'ferry-lock-'));
  try {
    const store = new JobStore(home, { lockStaleMs: 2000, lockTimeoutMs: 3000 });
    const job = await store.create(sampleJob());
    const holder = spawn(process.execPath, ['--import', 'tsx', HOLDER, join(home, 'jobs', job.id), '2000'], {
      cwd: REPO,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      await new Promise<void>((res, rej) => {
        let out = '';
        let err = '';
        holder.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          if (out.includes('locked')) res();
        });
        holder.stderr.on('data', (d: Buffer) => (err += d.toString()));
        holder.on('exit', (code) => rej(new Error(`holder exited ${code}: ${err}`)));
      });

      // Alive, the holder refreshes the lock's mtime, so 3 s of waiting (> stale 2 s) is not enough.
      await assert.rejects(
        store.update(job.id, (r) => {
          r.cost = 1;
        }),
        InfraError,
      );

      holder.kill('SIGKILL');
      await new Promise((r) => holder.once('exit', r));
      const t0 = Date.now();
      const updated = await store.update(job.id, (r) => {
        r.cost = 2;
      });
      assert.equal(updated.cost, 2);
      assert.ok(Date.now() - t0 < 3000, `took ${Date.now() - t0} ms to take over a dead lock`);
    } finally {
      holder.kill('SIGKILL');
    }
  } finally {
    await rm(home, { recursive: true, force: true });
  }
});
