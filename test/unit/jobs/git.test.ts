import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { gitInfo } from '../../../src/core/jobs/git';

function hasGit(): boolean {
  try {
    execFileSync('git', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function git(cwd: string, ...args: string[]): void {
  execFileSync('git', ['-c', 'user.email=t@example.invalid', '-c', 'user.name=t', '-c', 'commit.gpgsign=false', ...args], {
    cwd,
    stdio: 'ignore',
  });
}

test('gitInfo: not a repo, empty repo, clean, dirty', { skip: !hasGit() && 'git not installed' }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'ferry-git-'));
  try {
    assert.equal(await gitInfo(dir), undefined);
    assert.equal(await gitInfo(join(dir, 'missing')), undefined);

    git(dir, 'init', '-q');
    assert.deepEqual(await gitInfo(dir), { commit: null, dirty: false });

    await writeFile(join(dir, 'train.py'), 'print(1)\n');
    assert.deepEqual(await gitInfo(dir), { commit: null, dirty: true });

    git(dir, 'add', '.');
    git(dir, 'commit', '-q', '-m', 'first');
    const clean = await gitInfo(dir);
    assert.ok(clean);
    assert.match(clean.commit ?? '', /^[0-9a-f]{40}$/);
    assert.equal(clean.dirty, false);

    await writeFile(join(dir, 'train.py'), 'print(2)\n');
    const dirty = await gitInfo(dir);
    assert.equal(dirty?.commit, clean.commit);
    assert.equal(dirty?.dirty, true);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
