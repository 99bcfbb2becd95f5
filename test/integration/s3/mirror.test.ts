import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  fetchCheckpointFromS3,
  listMirroredCheckpoints,
  mirrorCheckpoint,
  mirrorUriFor,
  pruneMirror,
} from '../../../src/core/checkpoints/mirror';
import type { SyncSummary } from '../../../src/core/s3';
import { CancelledError, UserError } from '../../../src/core/util/errors';
import { startS3rver, type S3rverHandle } from '../../helpers/s3rver';
import { bytes, readTree, remoteKeys, tempDir, useS3rverEnv, writeTree } from './util';

const MiB = 1024 * 1024;
const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

describe('checkpoint mirroring to s3rver', () => {
  let s3rver: S3rverHandle;
  const home = tempDir('ferry-mirror-home-');
  /** Part uploads the server has seen (PUT ...?partNumber=N&uploadId=...). */
  let partPuts = 0;
  before(async () => {
    s3rver = await startS3rver({
      onRequest: (req) => {
        if (req.method === 'PUT' && /[?&]partNumber=/.test(req.url ?? '')) partPuts++;
      },
    });
    useS3rverEnv(s3rver, home.dir);
  });
  after(async () => {
    await s3rver.close();
    home.remove();
  });

  test('a 64 MiB checkpoint: multipart upload interrupted, resumed with fewer parts, fetched back byte for byte', async () => {
    const work = tempDir('ferry-ckpt64-');
    try {
      const body = bytes(64 * MiB);
      const file = path.join(work.dir, 'ckpt-000300.pt');
      writeFileSync(file, body);
      const mirror = `s3://${s3rver.bucket}/cifar`;
      const jobId = '20250101-120000-abc123';
      const tuning = { partSize: 8 * MiB, multipartThreshold: 16 * MiB, partConcurrency: 2 };

      const ac = new AbortController();
      partPuts = 0;
      await assert.rejects(
        mirrorCheckpoint({
          localPath: file,
          name: 'ckpt-000300.pt',
          mirror,
          jobId,
          signal: ac.signal,
          onProgress: (p) => {
            if (p.bytesDone >= 3 * 8 * MiB) ac.abort();
          },
          tuning,
        }),
        CancelledError,
      );
      const firstPuts = partPuts;
      assert.ok(firstPuts >= 3 && firstPuts < 8, `${firstPuts} parts sent before the interruption`);
      assert.deepEqual(await remoteKeys(s3rver, `cifar/${jobId}`), {}, 'nothing under the real key yet');

      partPuts = 0;
      let summary: SyncSummary | undefined;
      const uri = await mirrorCheckpoint({ localPath: file, name: 'ckpt-000300.pt', mirror, jobId, onSummary: (s) => (summary = s) });
      assert.equal(uri, `s3://${s3rver.bucket}/cifar/${jobId}/ckpt-000300.pt`);
      assert.equal(uri, mirrorUriFor(mirror, jobId, 'ckpt-000300.pt'));
      assert.ok(partPuts < 8, `resume sent ${partPuts} of 8 parts`);
      assert.ok(partPuts >= 8 - firstPuts, 'and at least the ones missing');
      assert.ok(summary && summary.bytes < 64 * MiB && summary.bytes === partPuts * 8 * MiB, `resume moved ${summary?.bytes} bytes`);
      assert.deepEqual(await remoteKeys(s3rver, `cifar/${jobId}`), { 'ckpt-000300.pt': 64 * MiB });

      // Mirroring the same checkpoint again sends nothing.
      partPuts = 0;
      await mirrorCheckpoint({ localPath: file, name: 'ckpt-000300.pt', mirror, jobId, onSummary: (s) => (summary = s) });
      assert.equal(partPuts, 0);
      assert.equal(summary?.skipped, 1);

      const restore = tempDir('ferry-ckpt64-restore-');
      try {
        const local = await fetchCheckpointFromS3(uri, restore.dir);
        assert.equal(local, path.join(restore.dir, 'ckpt-000300.pt'));
        assert.equal(sha(readFileSync(local)), sha(body));
        assert.deepEqual(Object.keys(readTree(restore.dir)), ['ckpt-000300.pt'], 'no temp files left');
      } finally {
        restore.remove();
      }
    } finally {
      work.remove();
    }
  });

  test('folder checkpoints, listing, keep pruning, fetch', async () => {
    const work = tempDir('ferry-ckptdir-');
    try {
      const mirror = `s3://${s3rver.bucket}/runs/resnet`;
      const jobId = '20250102-080000-def456';
      const names = ['step-100', 'step-200', 'step-300', 'step-400'];
      for (const n of names) {
        writeTree(path.join(work.dir, n), { 'model.bin': bytes(10_000), 'optim/state.bin': bytes(5_000), 'meta.json': `{"step":"${n}"}` });
        await mirrorCheckpoint({ localPath: path.join(work.dir, n), name: n, mirror, jobId });
      }
      writeFileSync(path.join(work.dir, 'final.pt'), 'final');
      await mirrorCheckpoint({ localPath: path.join(work.dir, 'final.pt'), name: 'final.pt', mirror, jobId });
      // Another job's checkpoints under the same mirror are never touched by this job's prune.
      await mirrorCheckpoint({ localPath: path.join(work.dir, 'step-100'), name: 'step-100', mirror, jobId: 'other-job' });

      const listed = await listMirroredCheckpoints({ mirror, jobId });
      assert.deepEqual(listed.map((c) => c.name).sort(), [...names, 'final.pt'].sort());
      const s100 = listed.find((c) => c.name === 'step-100');
      assert.equal(s100?.sizeBytes, 10_000 + 5_000 + '{"step":"step-100"}'.length);
      assert.equal(s100?.uri, `${mirror}/${jobId}/step-100`);

      const deleted = await pruneMirror({ mirror, jobId, keepNames: ['step-300', 'step-400', 'final.pt'] });
      assert.deepEqual(deleted, ['step-100', 'step-200']);
      const left = Object.keys(await remoteKeys(s3rver, `runs/resnet/${jobId}`)).sort();
      assert.deepEqual(left, ['final.pt', 'step-300/meta.json', 'step-300/model.bin', 'step-300/optim/state.bin', 'step-400/meta.json', 'step-400/model.bin', 'step-400/optim/state.bin']);
      assert.equal(Object.keys(await remoteKeys(s3rver, 'runs/resnet/other-job')).length, 3);
      assert.deepEqual(await pruneMirror({ mirror, jobId, keepNames: ['step-300', 'step-400', 'final.pt'] }), [], 'idempotent');

      const restore = tempDir('ferry-ckptdir-restore-');
      try {
        const local = await fetchCheckpointFromS3(`${mirror}/${jobId}/step-400`, restore.dir);
        assert.equal(local, path.join(restore.dir, 'step-400'));
        assert.deepEqual(readTree(local), readTree(path.join(work.dir, 'step-400')));
        await assert.rejects(fetchCheckpointFromS3(`${mirror}/${jobId}/step-100`, restore.dir), /Nothing found at s3:\/\//);
      } finally {
        restore.remove();
      }
    } finally {
      work.remove();
    }
  });

  test('bad names and job ids are user errors', async () => {
    const mirror = `s3://${s3rver.bucket}/x`;
    assert.throws(() => mirrorUriFor(mirror, 'job-1', '../escape'), UserError);
    assert.throws(() => mirrorUriFor(mirror, '../job', 'ckpt'), UserError);
    await assert.rejects(mirrorCheckpoint({ localPath: '/nonexistent/ckpt', name: 'ckpt', mirror, jobId: 'job-1' }), UserError);
  });
});
