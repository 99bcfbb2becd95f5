import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { JobRecord } from '../../../src/core/jobs/types';
import { ROOT, ferry, tempHome } from '../../helpers/cli';
import { startS3rver, type S3rverHandle } from '../../helpers/s3rver';

// s3rver runs in this process: the CLI runs asynchronously so it can answer.
const run = (args: string[], env: Record<string, string>) => ferry(args, env).done;

function finalLoss(text: string): string | undefined {
  return /final loss: ([0-9.]+)/.exec(text)?.[1];
}

/** Every object key under a prefix, read from s3rver's own storage folder. */
function keysUnder(s3: S3rverHandle, prefix: string): string[] {
  const root = path.join(s3.dir, s3.bucket);
  const out: string[] = [];
  const walk = (d: string, rel: string) => {
    for (const n of readdirSync(d, { withFileTypes: true })) {
      const r = rel ? `${rel}/${n.name}` : n.name;
      if (n.isDirectory()) walk(path.join(d, n.name), r);
      else if (n.name.endsWith('._S3rver_object')) out.push(r.replace(/\._S3rver_object$/, ''));
    }
  };
  try {
    walk(root, '');
  } catch {
    return [];
  }
  return out.filter((k) => k.startsWith(prefix)).sort();
}

describe('checkpoints mirrored to S3 (s3rver), keep pruning everywhere, resume from the S3 copy; ferry sync with S3', () => {
  const t = tempHome();
  let s3: S3rverHandle;
  let env: Record<string, string>;
  before(async () => {
    s3 = await startS3rver();
    env = { FERRY_HOME: t.home, STEP_SECONDS: '0', ...s3.env };
  });
  after(async () => {
    await s3.close();
    t.remove();
  });

  it('mirrors each checkpoint, keeps the newest 3 in every place, and resumes from S3 when the local copy is gone', async () => {
    const dir = path.join(t.home, 'proj');
    mkdirSync(dir, { recursive: true });
    copyFileSync(path.join(ROOT, 'examples', 'quickstart', 'train.py'), path.join(dir, 'train.py'));
    writeFileSync(path.join(dir, 'ferry.yaml'), `name: mirrored\nrun: python3 -u train.py\ncheckpoints: {path: checkpoints, keep: 3, mirror: s3://${s3.bucket}/ckpts}\n`);
    const r = await run(['run', dir, '--json'], env);
    assert.equal(r.code, 0, r.stderr);
    const job = JSON.parse(r.stdout) as JobRecord;
    const expected = finalLoss(r.stderr);
    assert.equal(job.state, 'SUCCEEDED');
    assert.deepEqual(job.checkpoints.map((c) => c.name), ['ckpt-000040.json', 'ckpt-000050.json', 'ckpt-000060.json']);
    for (const c of job.checkpoints) {
      assert.ok(c.locations.some((l) => l.kind === 'local'), `${c.name} local`);
      assert.ok(c.locations.some((l) => l.kind === 's3' && l.uri === `s3://${s3.bucket}/ckpts/${job.id}/${c.name}`), `${c.name} s3`);
    }
    assert.deepEqual(keysUnder(s3, `ckpts/${job.id}/`), job.checkpoints.map((c) => `ckpts/${job.id}/${c.name}`));
    const localDir = path.join(t.home, 'jobs', job.id, 'checkpoints');
    assert.deepEqual(readdirSync(localDir).filter((n) => !n.startsWith('.')).sort(), job.checkpoints.map((c) => c.name));

    // The local copies are lost: resume restores the chosen checkpoint from S3.
    rmSync(localDir, { recursive: true, force: true });
    const resumed = await run(['resume', job.id, '--from', 'ckpt-000050.json', '--json'], env);
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.match(resumed.stderr, /resumed from step 50/);
    assert.equal(finalLoss(resumed.stderr), expected);
  });

  it('ferry sync: local to S3, no-op, one file changed, and back', async () => {
    const src = path.join(t.home, 'data');
    mkdirSync(path.join(src, 'sub dir'), { recursive: true });
    for (let i = 0; i < 20; i++) writeFileSync(path.join(src, `f${i}.txt`), `file ${i}\n`.repeat(i + 1));
    writeFileSync(path.join(src, 'sub dir', 'naïve é.bin'), Buffer.alloc(3000, 7));
    const uri = `s3://${s3.bucket}/datasets/d1`;
    const first = await run(['sync', src, uri, '--json'], env);
    assert.equal(first.code, 0, first.stderr);
    assert.equal((JSON.parse(first.stdout) as { uploaded: number }).uploaded, 21);
    const again = await run(['sync', src, uri, '--json'], env);
    assert.equal((JSON.parse(again.stdout) as { uploaded: number }).uploaded, 0, 'a no-op uploads nothing');
    writeFileSync(path.join(src, 'f3.txt'), 'changed\n');
    const one = await run(['sync', src, uri, '--json'], env);
    assert.equal((JSON.parse(one.stdout) as { uploaded: number }).uploaded, 1);
    const back = path.join(t.home, 'back');
    const down = await run(['sync', uri, back], env);
    assert.equal(down.code, 0, down.stderr);
    assert.match(down.stderr, /synced .* 21 files/);
    assert.equal(readFileSync(path.join(back, 'f3.txt'), 'utf8'), 'changed\n');
    assert.deepEqual(readFileSync(path.join(back, 'sub dir', 'naïve é.bin')), Buffer.alloc(3000, 7));
    const bad = await run(['sync', 'gpu-box:data', uri], env);
    assert.equal(bad.code, 2);

    // The same prefix as a job's data source: pulled through the controller into the run dir.
    const proj = path.join(t.home, 'uses-data');
    mkdirSync(proj, { recursive: true });
    writeFileSync(path.join(proj, 'ferry.yaml'), `name: uses-data\ndata: [{from: "${uri}", to: inputs}]\nrun: cat inputs/f3.txt; ls "inputs/sub dir"\n`);
    const job = await run(['run', proj, '--json'], env);
    assert.equal(job.code, 0, job.stderr);
    assert.match(job.stderr, /^changed$/m);
    assert.match(job.stderr, /naïve é\.bin/);
  });
});
