import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { existsSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import * as esbuild from 'esbuild';
import { startS3rver, type S3rverHandle } from '../../helpers/s3rver';
import { tempDir, writeTree } from './util';

const ROOT = path.resolve(__dirname, '..', '..', '..');

let s3rver: S3rverHandle;
const work = tempDir('ferry-lazy-');
before(async () => {
  s3rver = await startS3rver();
});
after(async () => {
  await s3rver.close();
  work.remove();
});

test('a bundle of the S3 engine carries no SDK and loads s3.js from beside itself on first use', async () => {
  const out = path.join(work.dir, 'dist');
  // The same shape as esbuild.config.mjs: the engine in one bundle, the SDK adapter in s3.js.
  const common = { bundle: true, platform: 'node', target: 'node20', format: 'cjs', logLevel: 'error' } as const;
  await esbuild.build({ ...common, entryPoints: [path.join(__dirname, 'fixtures', 'bundledSync.ts')], outfile: path.join(out, 'cli.js') });
  await esbuild.build({ ...common, entryPoints: [path.join(ROOT, 'src/core/s3/impl.ts')], outfile: path.join(out, 's3.js') });
  const engine = readFileSync(path.join(out, 'cli.js'), 'utf8');
  assert.ok(!engine.includes('@aws-sdk') && !engine.includes('S3Client'), 'no SDK inside the engine bundle');
  assert.ok(statSync(path.join(out, 's3.js')).size > 500_000, 'the SDK is in s3.js');

  const src = path.join(work.dir, 'src');
  writeTree(src, { 'a.txt': 'a', 'b/c.txt': 'c' });
  // Asynchronously: s3rver runs in this process and must keep answering.
  const r = await promisify(execFile)(process.execPath, [path.join(out, 'cli.js'), src, `s3://${s3rver.bucket}/lazy`], {
    env: { ...process.env, ...s3rver.env, FERRY_HOME: path.join(work.dir, 'home') },
    encoding: 'utf8',
    timeout: 60_000,
  });
  assert.equal(r.stderr, '', 'nothing on stderr (no SDK warnings either)');
  const res = JSON.parse(r.stdout) as { before: boolean; after: boolean; summary: { uploaded: number } };
  assert.deepEqual([res.before, res.after, res.summary.uploaded], [false, true, 2]);
});

test('the built dist/cli.js and dist/extension.js carry no SDK', { skip: !existsSync(path.join(ROOT, 'dist/cli.js')) && 'not built' }, () => {
  for (const f of ['dist/cli.js', 'dist/extension.js']) {
    const p = path.join(ROOT, f);
    if (!existsSync(p)) continue;
    assert.ok(!readFileSync(p, 'utf8').includes('@aws-sdk/client-s3'), `${f} must not bundle the AWS SDK`);
  }
});
