import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { extract } from 'tar-stream';
import { decodeManifest, encodeManifest, isOwnPath, isSafeRelPath, linkEscapes } from '../../../src/core/sync/manifest';
import { TAR_END, tarHeader, tarPadding } from '../../../src/core/sync/tar';

test('safe relative paths', () => {
  for (const ok of ['a', 'a/b', 'ünï 日本/x y', "it's", '..a', 'a..', '.hidden']) assert.ok(isSafeRelPath(ok), ok);
  for (const bad of ['', '/abs', '..', 'a/../b', 'a/./b', './a', 'a//b', 'a/', 'nul\0']) assert.ok(!isSafeRelPath(bad), JSON.stringify(bad));
});

test('links that escape the root', () => {
  assert.ok(linkEscapes('a', '/etc/passwd'));
  assert.ok(linkEscapes('a', '..'));
  assert.ok(linkEscapes('d/a', '../../x'));
  assert.ok(linkEscapes('d/a', 'sub/../../../x'));
  assert.ok(!linkEscapes('d/a', '../x'));
  assert.ok(!linkEscapes('d/a', 'sibling'));
  assert.ok(linkEscapes('a', ''));
});

test("Ferry's own names", () => {
  assert.ok(isOwnPath('.ferry-manifest.json'));
  assert.ok(isOwnPath('.ferry-tmp/part-1'));
  assert.ok(isOwnPath('dir/file.ferry-tmp-123-abc'));
  assert.ok(!isOwnPath('dir/.ferry-manifest.json'));
});

test('manifest round trip; a path or link pointing out is refused; junk is ignored', () => {
  const text = encodeManifest([
    { path: 'a/b', type: 'file', size: 3, mtime: 5, mode: 0o644, hash: 'ab'.repeat(32) },
    { path: 'ln', type: 'symlink', size: 0, mtime: 5, mode: 0o777, link: 'a/b' },
    { path: 'a', type: 'dir', size: 0, mtime: 5, mode: 0o755 },
  ]);
  const m = decodeManifest(text, 'test');
  assert.equal(m?.entries.get('a/b')?.hash, 'ab'.repeat(32));
  assert.equal(m?.entries.get('ln')?.link, 'a/b');
  const evil = JSON.stringify({ version: 1, writtenAt: 'x', entries: [['../../etc/passwd', 'f', 1, 1, 420, null, null]] });
  assert.throws(() => decodeManifest(evil, 'remote:/x/.ferry-manifest.json'), /remote:\/x\/\.ferry-manifest\.json: refusing path "\.\.\/\.\.\/etc\/passwd"/);
  const evilLink = JSON.stringify({ version: 1, writtenAt: 'x', entries: [['l', 'l', 0, 1, 511, null, '/etc']] });
  assert.throws(() => decodeManifest(evilLink, 'm'), /points outside the sync root/);
  assert.equal(decodeManifest('not json', 'm'), undefined);
  assert.equal(decodeManifest('{"version":2}', 'm'), undefined);
});

test('tar writer: GNU tar and tar-stream read what it writes (long unicode link text via pax)', async () => {
  const data = Buffer.from('hello\n');
  const longLink = `${'ünï/'.repeat(40)}x`;
  const tarBuf = Buffer.concat([
    tarHeader({ name: '0', type: 'file', size: data.length, mode: 0o755, mtime: 1_700_000_000 }),
    data,
    tarPadding(data.length),
    tarHeader({ name: '1', type: 'symlink', size: 0, mode: 0o777, mtime: 1_700_000_000, link: longLink }),
    tarHeader({ name: '2', type: 'symlink', size: 0, mode: 0o777, mtime: 1_700_000_000, link: 'a b/c' }),
    TAR_END,
  ]);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ferry-tar-'));
  try {
    writeFileSync(path.join(dir, 't.tar'), tarBuf);
    const r = spawnSync('tar', ['-tvf', path.join(dir, 't.tar')], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^-rwxr-xr-x 0\/0 +6 2023-11-1\d \d\d:\d\d 0$/m);
    assert.ok(r.stdout.includes(`1 -> ${longLink}`));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const seen: string[] = [];
  await new Promise<void>((resolve, reject) => {
    const ex = extract();
    ex.on('entry', (h, stream, next) => {
      seen.push(`${h.name}:${h.type}:${h.linkname ?? ''}:${h.size}`);
      stream.resume();
      stream.on('end', next);
    });
    ex.on('finish', resolve);
    ex.on('error', reject);
    ex.end(tarBuf);
  });
  assert.deepEqual(seen, ['0:file::6', `1:symlink:${longLink}:0`, '2:symlink:a b/c:0']);
});
