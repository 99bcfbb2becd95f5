import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { appendKnownHost, checkHostKey, fingerprint, formatKnownHostsLine, keyBlobType, knownHostsName, parseKnownHosts, patternsMatch } from '../../../src/core/remote/knownHosts';

function blob(type: string, body: string): Buffer {
  const t = Buffer.from(type);
  const len = Buffer.alloc(4);
  len.writeUInt32BE(t.length);
  return Buffer.concat([len, t, Buffer.from(body)]);
}

const K1 = blob('ssh-ed25519', 'key-one');
const K2 = blob('ssh-ed25519', 'key-two');
const R1 = blob('ssh-rsa', 'rsa-key');

test('names: port 22 bare, other ports bracketed', () => {
  assert.equal(knownHostsName('gpu.example', 22), 'gpu.example');
  assert.equal(knownHostsName('10.0.0.1', 2222), '[10.0.0.1]:2222');
});

test('fingerprint matches ssh-keygen -l', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ferry-kh-'));
  try {
    spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path.join(dir, 'k')]);
    const pub = readFileSync(path.join(dir, 'k.pub'), 'utf8').split(' ');
    const b = Buffer.from(pub[1] ?? '', 'base64');
    const want = spawnSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', path.join(dir, 'k.pub')], { encoding: 'utf8' }).stdout.split(' ')[1];
    assert.equal(fingerprint(b), want);
    assert.equal(keyBlobType(b), 'ssh-ed25519');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('patterns: lists, wildcards, negation', () => {
  assert.ok(patternsMatch('a.example,b.example', 'b.example'));
  assert.ok(patternsMatch('*.example', 'gpu.example'));
  assert.ok(patternsMatch('gpu-?', 'gpu-7'));
  assert.ok(!patternsMatch('*.example,!bad.example', 'bad.example'));
  assert.ok(patternsMatch('[127.0.0.1]:2222', '[127.0.0.1]:2222'));
  assert.ok(!patternsMatch('[127.0.0.1]:2222', '127.0.0.1'));
});

test('verdicts: known, unknown, changed (same or other type), revoked; comments and markers', () => {
  const text = [
    '# comment',
    '',
    `gpu.example ${formatKnownHostsLine('x', K1).split(' ').slice(1).join(' ')}`,
    `@cert-authority *.example ${formatKnownHostsLine('x', K2).split(' ').slice(1).join(' ')}`,
    `@revoked evil.example ${formatKnownHostsLine('x', K2).split(' ').slice(1).join(' ')}`,
    `rsa.example ${formatKnownHostsLine('x', R1).split(' ').slice(1).join(' ')}`,
  ].join('\n');
  const entries = parseKnownHosts(text);
  assert.equal(entries.length, 4);
  assert.equal(checkHostKey(entries, 'gpu.example', K1).status, 'known');
  const changed = checkHostKey(entries, 'gpu.example', K2);
  assert.equal(changed.status, 'changed');
  assert.equal(changed.status === 'changed' && changed.entry.line, 3);
  assert.equal(checkHostKey(entries, 'new.example', K1).status, 'unknown');
  assert.equal(checkHostKey(entries, 'evil.example', K2).status, 'revoked');
  // Only an RSA key is pinned: an ed25519 key from that host is not accepted silently.
  assert.equal(checkHostKey(entries, 'rsa.example', K1).status, 'changed');
});

test('hashed entries: ours and ssh-keygen -H agree', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ferry-kh-'));
  try {
    const f = path.join(dir, 'known_hosts');
    writeFileSync(f, `${formatKnownHostsLine('[10.1.2.3]:2200', K1)}\n`);
    spawnSync('ssh-keygen', ['-q', '-H', '-f', f]);
    const hashedByOpenSsh = parseKnownHosts(readFileSync(f, 'utf8'));
    assert.match(hashedByOpenSsh[0]?.patterns ?? '', /^\|1\|/);
    assert.equal(checkHostKey(hashedByOpenSsh, '[10.1.2.3]:2200', K1).status, 'known');
    assert.equal(checkHostKey(hashedByOpenSsh, '10.1.2.3', K1).status, 'unknown');
    // Ours, found by ssh-keygen -F.
    const g = path.join(dir, 'ours');
    await appendKnownHost(g, 'h.example', K1, true);
    await appendKnownHost(g, 'h2.example', K2, false);
    assert.match(readFileSync(g, 'utf8'), /^\|1\|[^ ]+ ssh-ed25519 /);
    const found = spawnSync('ssh-keygen', ['-F', 'h.example', '-f', g], { encoding: 'utf8' });
    assert.equal(found.status, 0);
    assert.equal(checkHostKey(parseKnownHosts(readFileSync(g, 'utf8')), 'h2.example', K2).status, 'known');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
