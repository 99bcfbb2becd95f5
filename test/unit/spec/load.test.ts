import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadSpec, SpecError, specForScript } from '../../../src/core/spec/parse';
import { UserError } from '../../../src/core/util/errors';

let root: string;

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'ferry-spec-'));
  await mkdir(join(root, 'proj', 'src'), { recursive: true });
  await writeFile(join(root, 'proj', 'ferry.yaml'), 'workdir: src\nrun: python train.py\nresources: {gpu: "RTX4090:2"}\n');
  await writeFile(join(root, 'proj', 'alt.yml'), 'name: alt\nrun: echo hi\n');
  await writeFile(join(root, 'proj', 'bad.yaml'), 'run: x\nbudget: {max_cost: -1}\n');
  await writeFile(join(root, 'proj', 'train.py'), 'print("hi")\n');
  await writeFile(join(root, 'proj', 'go.sh'), 'echo hi\n');
  await writeFile(join(root, 'proj', 'notes.txt'), 'hello\n');
  await mkdir(join(root, 'empty'));
});

after(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('loadSpec', () => {
  it('loads the ferry.yaml of a folder', async () => {
    const loaded = await loadSpec('proj', { cwd: root });
    assert.equal(loaded.file, join(root, 'proj', 'ferry.yaml'));
    assert.equal(loaded.dir, join(root, 'proj'));
    assert.equal(loaded.spec.name, 'proj');
    assert.equal(loaded.spec.workdir, join(root, 'proj', 'src'));
    assert.equal(loaded.spec.target, 'cheapest');
    assert.deepEqual(loaded.spec.resources.gpu?.names, ['RTX 4090']);
  });

  it('loads a spec file under any .yaml/.yml name, absolute or relative', async () => {
    const loaded = await loadSpec(join(root, 'proj', 'alt.yml'));
    assert.equal(loaded.spec.name, 'alt');
    assert.equal(loaded.file, join(root, 'proj', 'alt.yml'));
    const rel = await loadSpec('ferry.yaml', { cwd: join(root, 'proj') });
    assert.equal(rel.spec.run, 'python train.py');
  });

  it('names the file as the user wrote it in spec errors', async () => {
    await assert.rejects(loadSpec('proj/bad.yaml', { cwd: root }), (err: unknown) => {
      assert.ok(err instanceof SpecError);
      assert.equal(
        err.message,
        'proj/bad.yaml:2:20: budget.max_cost: -1 is negative (expected an amount in USD of 0 or more, e.g. 20, 2.50 or $20)',
      );
      return true;
    });
  });

  it('makes a spec for a script', async () => {
    const loaded = await loadSpec('proj/train.py', { cwd: root });
    assert.equal(loaded.file, undefined);
    assert.equal(loaded.spec.run, 'python3 -u train.py');
    assert.equal(loaded.spec.target, 'local');
  });

  it('refuses a missing path, naming it', async () => {
    await assert.rejects(loadSpec('nope/ferry.yaml', { cwd: root }), (err: unknown) => {
      assert.ok(err instanceof UserError);
      assert.equal(err.message, 'nope/ferry.yaml: no such file or folder');
      assert.equal(err.exitCode, 2);
      return true;
    });
  });

  it('refuses a folder without ferry.yaml', async () => {
    await assert.rejects(loadSpec('empty', { cwd: root }), { name: 'UserError', message: 'empty: no ferry.yaml in this folder' });
  });

  it('refuses a file it cannot run', async () => {
    await assert.rejects(loadSpec('proj/notes.txt', { cwd: root }), {
      name: 'UserError',
      message: 'proj/notes.txt: not a ferry.yaml, a folder or a .py/.sh script',
    });
  });
});

describe('specForScript', () => {
  it('runs a Python script unbuffered from its folder', () => {
    const { spec, dir, file } = specForScript('/home/me/exp/train.py');
    assert.equal(dir, '/home/me/exp');
    assert.equal(file, undefined);
    assert.deepStrictEqual(spec, {
      name: 'train',
      workdir: '/home/me/exp',
      exclude: [],
      data: [],
      env: {},
      secrets: [],
      resources: { spot: 'auto' },
      run: 'python3 -u train.py',
      checkpoints: { path: 'checkpoints' },
      outputs: [],
      budget: {},
      retry: { on: ['preemption', 'no_capacity'], max_attempts: 3 },
      target: 'local',
    });
  });

  it('runs a shell script with bash', () => {
    assert.equal(specForScript('/x/go.sh').spec.run, 'bash go.sh');
  });

  it('quotes names the shell would split or expand', () => {
    assert.equal(specForScript('/x/my train.py').spec.run, "python3 -u 'my train.py'");
    assert.equal(specForScript("/x/it's $HOME.sh").spec.run, "bash 'it'\\''s $HOME.sh'");
    assert.equal(specForScript('/x/-v.py').spec.run, 'python3 -u ./-v.py');
    assert.equal(specForScript('/x/my train.py').spec.name, 'my train');
  });

  it('refuses other files', () => {
    assert.throws(() => specForScript('/x/model.ipynb'), { name: 'UserError', message: '/x/model.ipynb: cannot run a .ipynb file' });
    assert.throws(() => specForScript('/x/Makefile'), { name: 'UserError', message: '/x/Makefile: cannot run a file without an extension file' });
  });
});
