import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import type { ResolvedHost } from '../../../src/core/remote/sshConfig';
import { configIncludes, formatHostEntry, hostEntryForJob, includeLine, managedAlias, remoteFolder, upsertHostEntry, writeManagedEntry } from '../../../src/extension/ssh/managedSshConfig';
import { attempt, job } from './fixtures/records';

const HOME = '/home/u';

test('a Host block between markers, replaced in place on the next write', () => {
  const e = { name: 'ferry-box', hostName: '10.0.0.5', port: 2222, user: 'me', identityFile: '/home/u/.ssh/id key' };
  const block = formatHostEntry(e);
  assert.equal(block, '# ferry:begin ferry-box\nHost ferry-box\n  HostName 10.0.0.5\n  Port 2222\n  User me\n  IdentityFile "/home/u/.ssh/id key"\n  IdentitiesOnly yes\n# ferry:end ferry-box');
  const once = upsertHostEntry('', e);
  assert.match(once, /^# Managed by Ferry/);
  const other = upsertHostEntry(once, { name: 'ferry-two', hostName: 'h2' });
  const again = upsertHostEntry(other, { ...e, port: 22 });
  assert.equal(again.match(/Host ferry-box/g)?.length, 1);
  assert.doesNotMatch(again, /Port 2222/);
  assert.match(again, /Host ferry-two/);
});

test('values that would inject ssh config lines are refused', () => {
  assert.throws(() => formatHostEntry({ name: 'ferry-x', hostName: 'h\nProxyCommand evil' }), /cannot write HostName/);
  assert.equal(managedAlias('my box/../x y'), 'ferry-my-box-..-x-y');
});

test('Include detection: ~ paths, absolute paths, relative to ~/.ssh, globs', () => {
  const file = path.join(HOME, '.ssh', 'ferry_config');
  assert.equal(includeLine(file, HOME), 'Include ~/.ssh/ferry_config');
  assert.ok(configIncludes('Include ~/.ssh/ferry_config\nHost a\n', file, HOME));
  assert.ok(configIncludes('  include /home/u/.ssh/ferry_config', file, HOME));
  assert.ok(configIncludes('Include ferry_config', file, HOME));
  assert.ok(configIncludes('Include ~/.ssh/*_config', file, HOME));
  assert.ok(!configIncludes('Include ~/.ssh/other\n# Include ~/.ssh/ferry_config', file, HOME));
});

test('the entry of an ssh:<alias> job comes from the resolved ssh config; a local job has none', () => {
  const resolved: ResolvedHost = { alias: 'gpu', hostname: '10.1.1.1', port: 22, user: 'ann', identityFiles: ['/k'], identityFilesExplicit: true, identitiesOnly: true, jump: { alias: 'bastion', hostname: 'b.example', port: 2200, user: 'ann', identityFiles: [], identityFilesExplicit: false, identitiesOnly: false } };
  const e = hostEntryForJob(job({ target: 'ssh:gpu', attempts: [attempt({ target: 'ssh:gpu', handle: { runDir: '/srv/run' } })] }), () => resolved);
  assert.deepEqual(e, { name: 'ferry-gpu', hostName: '10.1.1.1', port: 22, user: 'ann', identityFile: '/k', proxyJump: 'ann@b.example:2200' });
  assert.equal(hostEntryForJob(job(), () => resolved), undefined);
  const cloud = hostEntryForJob(job({ target: 'vast', attempts: [attempt({ handle: { host: '1.2.3.4', port: 40022 } })] }), () => resolved);
  assert.equal(cloud?.hostName, '1.2.3.4');
  assert.equal(cloud?.port, 40022);
  assert.equal(cloud?.user, 'root');
  assert.equal(remoteFolder(attempt({ handle: { runDir: '/srv/run' } })), '/srv/run');
  assert.equal(remoteFolder(undefined), undefined);
});

test('the managed file is written with private permissions', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'ferry-ssh-'));
  try {
    const file = path.join(dir, 'sub', 'ferry_config');
    await writeManagedEntry(file, { name: 'ferry-a', hostName: 'h' });
    await writeManagedEntry(file, { name: 'ferry-a', hostName: 'h2' });
    const text = readFileSync(file, 'utf8');
    assert.match(text, /HostName h2/);
    assert.doesNotMatch(text, /HostName h\n/);
    assert.equal(statSync(file).mode & 0o777, 0o600);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
