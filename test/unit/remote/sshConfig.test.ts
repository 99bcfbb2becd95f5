import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseDestination, resolveHost } from '../../../src/core/remote/sshConfig';

function withConfig(text: string, fn: (file: string) => void): void {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ferry-sshcfg-'));
  try {
    const f = path.join(dir, 'config');
    writeFileSync(f, text);
    fn(f);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const CONFIG = `
Host gpu gpu-*
  HostName %h.lab.example
  User alice
  Port 2222
  IdentityFile ~/.ssh/lab_key
  IdentityFile "/keys/with space"
  IdentitiesOnly yes
  ProxyJump bastion

Host bastion
  HostName bastion.example
  User jump
  IdentityFile ~/.ssh/jump_key

Host two-hops
  HostName inner.example
  ProxyJump bastion,carol@mid.example:2022

Host loop-a
  ProxyJump loop-b
Host loop-b
  ProxyJump loop-a

Host *
  User bob
  ServerAliveInterval 30
`;

test('aliases and patterns: HostName with %h, User, Port, IdentityFile (~ expanded), IdentitiesOnly', () => {
  withConfig(CONFIG, (f) => {
    const h = resolveHost('gpu-7', { configPath: f });
    assert.equal(h.hostname, 'gpu-7.lab.example');
    assert.equal(h.user, 'alice');
    assert.equal(h.port, 2222);
    assert.deepEqual(h.identityFiles, [path.join(os.homedir(), '.ssh/lab_key'), '/keys/with space']);
    assert.equal(h.identitiesOnly, true);
    assert.equal(h.serverAliveIntervalS, 30);
    assert.equal(h.jump?.hostname, 'bastion.example');
    assert.equal(h.jump?.user, 'jump');
    assert.equal(h.jump?.jump, undefined);
  });
});

test('user@host:port overrides the config; unknown hosts get defaults', () => {
  withConfig(CONFIG, (f) => {
    const h = resolveHost('root@gpu:2200', { configPath: f });
    assert.equal(h.user, 'root');
    assert.equal(h.port, 2200);
    const d = resolveHost('plain.example', { configPath: f });
    assert.equal(d.hostname, 'plain.example');
    assert.equal(d.port, 22);
    assert.equal(d.user, 'bob');
    assert.equal(d.identityFilesExplicit, false);
    assert.ok(d.identityFiles.every((p) => p.startsWith(path.join(os.homedir(), '.ssh'))));
  });
});

test('ProxyJump with two hops chains them in order; loops are refused', () => {
  withConfig(CONFIG, (f) => {
    const h = resolveHost('two-hops', { configPath: f });
    assert.equal(h.hostname, 'inner.example');
    assert.equal(h.jump?.hostname, 'mid.example');
    assert.equal(h.jump?.user, 'carol');
    assert.equal(h.jump?.port, 2022);
    assert.equal(h.jump?.jump?.hostname, 'bastion.example');
    assert.throws(() => resolveHost('loop-a', { configPath: f }), /longer than 8 hops/);
  });
});

test('a missing config file is an empty one; FERRY_SSH_CONFIG is honoured', () => {
  const h = resolveHost('somewhere', { configPath: '/nonexistent/config' });
  assert.equal(h.hostname, 'somewhere');
  withConfig('Host x\n  HostName from-env.example\n', (f) => {
    assert.equal(resolveHost('x', { env: { FERRY_SSH_CONFIG: f } }).hostname, 'from-env.example');
  });
});

test('destinations parse', () => {
  assert.deepEqual(parseDestination('a@b:22'), { user: 'a', host: 'b', port: 22 });
  assert.deepEqual(parseDestination('[::1]:2222'), { user: undefined, host: '::1', port: 2222 });
  assert.throws(() => parseDestination('a@'), /not a host/);
});

test('Include files are followed (globs, absolute paths)', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ferry-sshinc-'));
  try {
    writeFileSync(path.join(dir, 'a.conf'), 'Host inc-a\n  HostName a.example\n');
    writeFileSync(path.join(dir, 'b.conf'), 'Host inc-b\n  Port 2200\n');
    writeFileSync(path.join(dir, 'config'), `Include ${dir}/*.conf\nHost *\n  User zed\n`);
    const a = resolveHost('inc-a', { configPath: path.join(dir, 'config') });
    assert.equal(a.hostname, 'a.example');
    assert.equal(a.user, 'zed');
    assert.equal(resolveHost('inc-b', { configPath: path.join(dir, 'config') }).port, 2200);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
