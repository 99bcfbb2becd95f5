import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { syncLocalToS3, syncS3ToLocal, type SyncProgress } from '../../../src/core/s3';
import { CancelledError } from '../../../src/core/util/errors';
import { startS3rver, type S3rverHandle } from '../../helpers/s3rver';
import { bytes, readTree, remoteKeys, tempDir, useS3rverEnv, writeTree } from './util';

const MiB = 1024 * 1024;

function dataset(): Record<string, string | Buffer> {
  const files: Record<string, string | Buffer> = {
    'README.md': '# data\n',
    'empty.txt': '',
    'my data/file with spaces.txt': 'spaces\n',
    'ünïcödé/日本語 ñ.bin': bytes(3000),
    'deep/a/b/c/d.txt': 'deep\n',
    'weird/x+y=z&q.txt': 'symbols\n',
    '.gitignore': 'ignored.log\n',
    'ignored.log': 'never uploaded\n',
  };
  for (let i = 0; i < 20; i++) files[`shards/part-${String(i).padStart(3, '0')}.bin`] = bytes(1024 + i * 100);
  return files;
}

describe('S3 data sync against s3rver', () => {
  let s3rver: S3rverHandle;
  const home = tempDir('ferry-s3home-');
  before(async () => {
    s3rver = await startS3rver();
    useS3rverEnv(s3rver, home.dir);
  });
  after(async () => {
    await s3rver.close();
    home.remove();
  });

  test('up: initial, no-op, one file changed, deletions only with delete', async () => {
    const src = tempDir('ferry-up-');
    try {
      writeTree(src.dir, dataset());
      const uri = `s3://${s3rver.bucket}/up`;
      const first = await syncLocalToS3(src.dir, uri);
      assert.equal(first.uploaded, 27, 'every file but the ignored one');
      assert.equal(first.skipped, 0);
      assert.equal(first.downloaded, 0);
      const keys = await remoteKeys(s3rver, 'up');
      assert.ok('ünïcödé/日本語 ñ.bin' in keys && 'my data/file with spaces.txt' in keys && 'weird/x+y=z&q.txt' in keys);
      assert.ok(!('ignored.log' in keys), '.gitignore honoured');
      assert.deepEqual(Object.keys(first).sort(), ['bytes', 'deleted', 'downloaded', 'seconds', 'skipped', 'uploaded']);
      assert.doesNotThrow(() => JSON.stringify(first));

      const noop = await syncLocalToS3(src.dir, uri);
      assert.deepEqual({ ...noop, seconds: 0 }, { uploaded: 0, downloaded: 0, deleted: 0, skipped: 27, bytes: 0, seconds: 0 });

      // Same size, other bytes: only content comparison can tell.
      writeFileSync(path.join(src.dir, 'README.md'), '# DATA\n');
      const changed = await syncLocalToS3(src.dir, uri);
      assert.equal(changed.uploaded, 1);
      assert.equal(changed.skipped, 26);
      assert.equal(changed.bytes, 7);

      rmSync(path.join(src.dir, 'deep'), { recursive: true });
      rmSync(path.join(src.dir, 'shards/part-000.bin'));
      const noDelete = await syncLocalToS3(src.dir, uri);
      assert.equal(noDelete.deleted, 0);
      assert.ok('deep/a/b/c/d.txt' in (await remoteKeys(s3rver, 'up')), 'kept without delete');
      const withDelete = await syncLocalToS3(src.dir, uri, { delete: true });
      assert.equal(withDelete.deleted, 2);
      assert.equal(withDelete.uploaded, 0);
      const after = await remoteKeys(s3rver, 'up');
      assert.ok(!('deep/a/b/c/d.txt' in after) && !('shards/part-000.bin' in after));
      assert.equal(Object.keys(after).length, 25);
    } finally {
      src.remove();
    }
  });

  test('down: initial, no-op, one changed, deletions only with delete, names round-trip', async () => {
    const src = tempDir('ferry-down-src-');
    const dst = tempDir('ferry-down-dst-');
    try {
      const files = dataset();
      delete files['ignored.log'];
      writeTree(src.dir, files);
      const uri = `s3://${s3rver.bucket}/down`;
      await syncLocalToS3(src.dir, uri);
      const out = path.join(dst.dir, 'copy');
      const first = await syncS3ToLocal(uri, out);
      assert.equal(first.downloaded, 27);
      assert.deepEqual(readTree(out), readTree(src.dir));

      const noop = await syncS3ToLocal(uri, out);
      assert.equal(noop.downloaded, 0);
      assert.equal(noop.skipped, 27);

      writeFileSync(path.join(src.dir, 'weird/x+y=z&q.txt'), 'SYMBOLS\n');
      await syncLocalToS3(src.dir, uri);
      const changed = await syncS3ToLocal(uri, out);
      assert.equal(changed.downloaded, 1);
      assert.equal(readFileSync(path.join(out, 'weird/x+y=z&q.txt'), 'utf8'), 'SYMBOLS\n');

      writeFileSync(path.join(out, 'local-only.txt'), 'mine');
      assert.equal((await syncS3ToLocal(uri, out)).deleted, 0);
      assert.ok(existsSync(path.join(out, 'local-only.txt')));
      rmSync(path.join(src.dir, 'deep'), { recursive: true });
      await syncLocalToS3(src.dir, uri, { delete: true });
      const del = await syncS3ToLocal(uri, out, { delete: true });
      assert.equal(del.deleted, 2);
      assert.ok(!existsSync(path.join(out, 'local-only.txt')));
      assert.ok(!existsSync(path.join(out, 'deep')), 'emptied folders go too');
      assert.deepEqual(readTree(out), readTree(src.dir));
    } finally {
      src.remove();
      dst.remove();
    }
  });

  test('an interrupted upload, resumed, completes without sending everything again', async () => {
    const src = tempDir('ferry-int-up-');
    try {
      const files: Record<string, Buffer> = {};
      for (let i = 0; i < 60; i++) files[`f/${String(i).padStart(2, '0')}.bin`] = bytes(2048);
      writeTree(src.dir, files);
      const uri = `s3://${s3rver.bucket}/interrupted-up`;
      const ac = new AbortController();
      const seen: SyncProgress[] = [];
      await assert.rejects(
        syncLocalToS3(src.dir, uri, {
          concurrency: 4,
          signal: ac.signal,
          progressIntervalMs: 0,
          onProgress: (p) => {
            seen.push(p);
            if (p.filesDone >= 15) ac.abort();
          },
        }),
        CancelledError,
      );
      // s3rver keeps what arrived of a PUT cut off mid-body (S3 would not): count whole objects only.
      const partial = Object.values(await remoteKeys(s3rver, 'interrupted-up')).filter((size) => size === 2048).length;
      assert.ok(partial >= 15 && partial < 60, `${partial} uploaded before the interruption`);
      const p = seen.find((x) => x.phase === 'transferring' && x.filesDone > 0);
      assert.ok(p && p.filesTotal === 60 && p.bytesTotal === 60 * 2048 && p.bytesDone > 0);

      const resumed = await syncLocalToS3(src.dir, uri);
      assert.equal(resumed.uploaded, 60 - partial);
      assert.equal(resumed.skipped, partial);
      const back = tempDir('ferry-int-up-back-');
      try {
        await syncS3ToLocal(uri, back.dir);
        assert.deepEqual(readTree(back.dir), readTree(src.dir));
      } finally {
        back.remove();
      }
    } finally {
      src.remove();
    }
  });

  test('an interrupted download leaves no half file under a real name and resumes', async () => {
    const src = tempDir('ferry-int-down-src-');
    const dst = tempDir('ferry-int-down-dst-');
    try {
      const files: Record<string, Buffer> = { 'big/weights.bin': bytes(20 * MiB) };
      for (let i = 0; i < 30; i++) files[`small/${i}.bin`] = bytes(4096);
      writeTree(src.dir, files);
      const uri = `s3://${s3rver.bucket}/interrupted-down`;
      await syncLocalToS3(src.dir, uri);
      const tuning = { multipartThreshold: 8 * MiB, partSize: 5 * MiB };
      const ac = new AbortController();
      await assert.rejects(
        syncS3ToLocal(uri, dst.dir, {
          ...tuning,
          concurrency: 2,
          partConcurrency: 1,
          signal: ac.signal,
          progressIntervalMs: 0,
          onProgress: (p) => {
            if (p.bytesDone >= 6 * MiB) ac.abort();
          },
        }),
        CancelledError,
      );
      const want = readTree(src.dir);
      const got = readTree(dst.dir);
      for (const [rel, sha] of Object.entries(got)) {
        if (rel.includes('.ferry-partial')) continue;
        assert.equal(sha, want[rel], `${rel} is whole or absent`);
      }
      assert.ok(!('big/weights.bin' in got), 'the big file is not under its name yet');
      assert.ok(Object.keys(got).some((r) => r.startsWith('big/.weights.bin.ferry-partial')), 'its partial is kept for resuming');

      let received = 0;
      const resumed = await syncS3ToLocal(uri, dst.dir, { ...tuning, onProgress: () => undefined });
      received = resumed.bytes;
      assert.ok(received < 20 * MiB + 30 * 4096, `resumed download moved ${received} bytes`);
      assert.deepEqual(readTree(dst.dir), want, 'complete, and no partial files left');
    } finally {
      src.remove();
      dst.remove();
    }
  });
});
