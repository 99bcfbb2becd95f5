import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { SyncSummary as TreeSummary } from '../../../src/core/sync/sync';
import { formatBytes, progressMessage, progressPercent, routeSync, s3ProgressView, s3SummaryText, treeProgressView, treeSummaryText } from '../../../src/extension/sync/syncPlan';

test('Sync Data routes: local and SSH go through syncTree, local and S3 through the S3 sync, in both directions', () => {
  const local = { kind: 'local', path: '/w/data' } as const;
  const box = { kind: 'ssh', alias: 'gpu-box', path: 'data' } as const;
  const s3 = { kind: 's3', uri: 's3://bucket/prefix' } as const;
  assert.deepEqual(routeSync(local, box), { engine: 'tree', direction: 'upload', local: '/w/data', alias: 'gpu-box', remotePath: 'data' });
  assert.deepEqual(routeSync(box, local), { engine: 'tree', direction: 'download', local: '/w/data', alias: 'gpu-box', remotePath: 'data' });
  assert.deepEqual(routeSync(local, s3), { engine: 's3', direction: 'upload', local: '/w/data', uri: 's3://bucket/prefix' });
  assert.deepEqual(routeSync(s3, local), { engine: 's3', direction: 'download', local: '/w/data', uri: 's3://bucket/prefix' });
  assert.match((routeSync(local, local) as { error: string }).error, /both ends are on this machine/);
  assert.match((routeSync(box, s3) as { error: string }).error, /gpu-box:data -> s3:\/\/bucket\/prefix has no local end/);
});

test('progress reads files, bytes and rate for both engines; the bar follows bytes', () => {
  const tree = treeProgressView({ phase: 'transfer', filesDone: 12, filesTotal: 40, bytesDone: 3.1 * 1024 * 1024, bytesTotal: 9 * 1024 * 1024, rate: 1.2 * 1024 * 1024, etaS: 4.2 });
  assert.equal(progressMessage(tree), 'copying: 12/40 files · 3.1 MB/9.0 MB · 1.2 MB/s · 5s left');
  assert.equal(Math.round(progressPercent(tree) ?? -1), 34);
  const s3 = s3ProgressView({ phase: 'listing', filesDone: 0, filesTotal: 0, bytesDone: 0, bytesTotal: 0, bytesPerSecond: 0 });
  assert.equal(progressMessage(s3), 'listing...');
  assert.equal(progressPercent(s3), undefined);
  const slow = s3ProgressView({ phase: 'transferring', filesDone: 1, filesTotal: 2, bytesDone: 500, bytesTotal: 2048, bytesPerSecond: 10, etaSeconds: 154.8 });
  assert.equal(progressMessage(slow), 'copying: 1/2 files · 500 B/2.0 KB · 10 B/s · 2m35s left');
  assert.equal(formatBytes(5 * 1024 ** 4), '5.0 TB');
});

test('the summary says what moved, how fast, or that nothing had to', () => {
  const base: TreeSummary = {
    from: '/w/data',
    to: 'gpu-box:data',
    direction: 'upload',
    scanned: { files: 10, dirs: 2, links: 0, bytes: 4096 },
    transferred: { files: 3, links: 0, bytes: 3 * 1024 * 1024 },
    dirsCreated: 1,
    touched: 0,
    modeChanges: 0,
    deleted: 0,
    skipped: [],
    noop: false,
    dryRun: false,
    durationMs: 1500,
    rate: 2 * 1024 * 1024,
  };
  assert.equal(treeSummaryText(base), 'Synced /w/data -> gpu-box:data: 3 files (3.0 MB) in 1.5 s (2.0 MB/s).');
  assert.equal(treeSummaryText({ ...base, noop: true }), 'gpu-box:data is up to date (10 files checked in 1.5 s).');
  assert.equal(s3SummaryText('/w', 's3://b/p', { uploaded: 2, downloaded: 0, deleted: 1, skipped: 5, bytes: 2048, seconds: 2 }), 'Synced /w -> s3://b/p: 2 files (2.0 KB), 5 unchanged, 1 deleted in 2.0 s (1.0 KB/s).');
  assert.equal(s3SummaryText('/w', 's3://b/p', { uploaded: 0, downloaded: 0, deleted: 0, skipped: 5, bytes: 0, seconds: 0.2 }), 's3://b/p is up to date (5 files already there).');
});
