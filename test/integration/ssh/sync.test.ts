import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs, mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { SshConnection } from '../../../src/core/remote/connection';
import { resolveHost } from '../../../src/core/remote/sshConfig';
import { syncTree, type SyncProgress } from '../../../src/core/sync/sync';
import { CancelledError, InfraError } from '../../../src/core/util/errors';
import { startSshd, type Sshd } from '../../helpers/sshd';
import { bytes, listFiles, treeDigest, writeTree } from '../../helpers/trees';

// The sshd runs on this machine, so the "remote" folders are inspected directly on disk.
let s: Sshd;
let conn: SshConnection;
let tmp: string;

before(async () => {
  s = await startSshd();
  conn = newConn();
  tmp = mkdtempSync(path.join(os.tmpdir(), 'ferry-sync-'));
});

after(async () => {
  conn?.close();
  await s?.stop();
  rmSync(tmp, { recursive: true, force: true });
});

function newConn(): SshConnection {
  return new SshConnection(resolveHost(s.alias, { configPath: s.configPath }), { knownHostsPath: s.knownHostsPath, agentSocket: null });
}

let n = 0;
function dirs(): { src: string; dst: string } {
  n++;
  return { src: path.join(tmp, `src${n}`), dst: path.join(tmp, `dst${n}`) };
}

const TREE = {
  'train.py': 'print("hi")\n',
  'run me.sh': { mode: 0o755, data: '#!/bin/sh\necho run\n' },
  'data/ünïcode 日本/file with spaces.txt': 'unicode\n',
  'data/emoji 🚀.bin': bytes(1, 70_000),
  "data/it's \"quoted\" $(x) `y`.txt": 'shell-hostile name\n',
  'nested/a/b/c/deep.txt': 'deep\n',
  'link-to-train': { link: 'train.py' },
  'nested/link-up': { link: '../train.py' },
  'escape-abs': { link: '/etc/passwd' },
  'nested/escape-rel': { link: '../../outside' },
  '.gitignore': '*.log\nbuild/\n',
  'debug.log': 'ignored by .gitignore\n',
  'build/out.o': 'ignored folder\n',
  'nested/.ferryignore': 'secret.txt\n',
  'nested/secret.txt': 'ignored by .ferryignore\n',
  'data/raw/huge.csv': 'excluded by the spec\n',
  '.git/HEAD': 'never synced\n',
};

function without(d: Record<string, string>, ...keys: string[]): Record<string, string> {
  const o = { ...d };
  for (const k of keys) delete o[k];
  return o;
}

for (const smallFiles of ['tar', 'sftp'] as const) {
test(`upload (${smallFiles}): unicode and space names, modes, links kept as links, escaping links refused, ignore rules`, async () => {
  const { src, dst } = dirs();
  await writeTree(src, TREE);
  const progress: SyncProgress[] = [];
  const r = await syncTree({ from: src, to: { conn, path: dst }, exclude: ['data/raw/**'], onProgress: (p) => progress.push(p), smallFiles });
  const want = without(await treeDigest(src), 'escape-abs', 'nested/escape-rel', 'debug.log', 'build', 'build/out.o', 'nested/secret.txt', 'data/raw/huge.csv', '.git', '.git/HEAD');
  // Folder modes of the destination root's children are created by us; compare all.
  assert.deepEqual(await treeDigest(dst), want);
  assert.equal((await fs.readlink(path.join(dst, 'link-to-train'))), 'train.py');
  assert.deepEqual(r.skipped.map((x) => x.path).sort(), ['escape-abs', 'nested/escape-rel']);
  assert.match(r.skipped[0]?.reason ?? '', /points outside the root/);
  assert.equal(r.direction, 'upload');
  assert.equal(r.transferred.links, 2);
  assert.ok(r.transferred.files >= 7);
  assert.equal(r.noop, false);
  const last = progress.at(-1);
  assert.equal(last?.phase, 'finish');
  assert.equal(last?.bytesDone, last?.bytesTotal);
  assert.equal(last?.filesDone, last?.filesTotal);
  // The manifest is there; no staging left behind.
  await fs.access(path.join(dst, '.ferry-manifest.json'));
  await assert.rejects(fs.access(path.join(dst, '.ferry-tmp')));
});
}

test('no-op resync moves 0 bytes and writes nothing; one changed file moves alone', async () => {
  const { src, dst } = dirs();
  await writeTree(src, { 'a.txt': 'a', 'b/c.txt': 'c', 'big.bin': bytes(2, 9 * 1024 * 1024) });
  await syncTree({ from: src, to: { conn, path: dst } });
  const manifestBefore = await fs.stat(path.join(dst, '.ferry-manifest.json'));
  const r = await syncTree({ from: src, to: { conn, path: dst } });
  assert.equal(r.noop, true);
  assert.deepEqual(r.transferred, { files: 0, links: 0, bytes: 0 });
  assert.equal((await fs.stat(path.join(dst, '.ferry-manifest.json'))).mtimeMs, manifestBefore.mtimeMs);

  await fs.writeFile(path.join(src, 'b/c.txt'), 'changed, longer');
  const r2 = await syncTree({ from: src, to: { conn, path: dst } });
  assert.deepEqual(r2.transferred, { files: 1, links: 0, bytes: 15 });
  assert.deepEqual(await treeDigest(dst), await treeDigest(src));
});

test('tar path into an existing tree: new files in old folders, new folders (nested, empty, read-only)', async () => {
  const { src, dst } = dirs();
  await writeTree(src, { 'a/old.txt': 'old' });
  await syncTree({ from: src, to: { conn, path: dst } });
  const more: Record<string, string> = {};
  for (let i = 0; i < 40; i++) more[`a/f${i}.txt`] = `in an existing folder ${i}`;
  for (let i = 0; i < 40; i++) more[`a/new/deeper/g${i}.txt`] = `in a new nested folder ${i}`;
  for (let i = 0; i < 10; i++) more[`b b/ü${i}.txt`] = `new top folder ${i}`;
  await writeTree(src, more);
  await fs.mkdir(path.join(src, 'empty/inner'), { recursive: true });
  await fs.mkdir(path.join(src, 'locked'));
  await writeTree(src, { 'locked/x.txt': 'x' });
  await fs.chmod(path.join(src, 'locked'), 0o555);
  try {
    const r = await syncTree({ from: src, to: { conn, path: dst }, smallFiles: 'tar' });
    assert.equal(r.transferred.files, 91);
    assert.deepEqual(await treeDigest(dst), await treeDigest(src));
    await assert.rejects(fs.access(path.join(dst, '.ferry-tmp')));
  } finally {
    await fs.chmod(path.join(src, 'locked'), 0o755);
    await fs.chmod(path.join(dst, 'locked'), 0o755).catch(() => undefined);
  }
});

test('a touched file with equal content gets its mtime fixed, not re-sent; a remote edit is not trusted', async () => {
  const { src, dst } = dirs();
  await writeTree(src, { 'same.txt': 'same content', 'edited.txt': 'original!!' });
  await syncTree({ from: src, to: { conn, path: dst } });
  const later = new Date(Date.now() + 60_000);
  await fs.utimes(path.join(src, 'same.txt'), later, later);
  const r = await syncTree({ from: src, to: { conn, path: dst } });
  assert.equal(r.touched, 1);
  assert.equal(r.transferred.files, 0);
  assert.equal(Math.floor((await fs.stat(path.join(dst, 'same.txt'))).mtimeMs / 1000), Math.floor(later.getTime() / 1000));

  // Someone edits the remote copy behind Ferry's back (same size, new mtime): the manifest
  // no longer matches the listing, so the file is hashed there and sent again.
  await fs.writeFile(path.join(dst, 'edited.txt'), 'tampered!!');
  // (A different second from the original: within the same second size+mtime cannot tell.)
  await fs.utimes(path.join(dst, 'edited.txt'), new Date(Date.now() + 120_000), new Date(Date.now() + 120_000));
  const r2 = await syncTree({ from: src, to: { conn, path: dst } });
  assert.equal(r2.transferred.files, 1);
  assert.equal(await fs.readFile(path.join(dst, 'edited.txt'), 'utf8'), 'original!!');
});

test('deletions only when mirroring, and never of what the rules exclude', async () => {
  const { src, dst } = dirs();
  await writeTree(src, { 'keep.txt': 'k', 'gone.txt': 'g', 'old/x.txt': 'x', '.gitignore': '*.ckpt\n' });
  await syncTree({ from: src, to: { conn, path: dst } });
  await writeTree(dst, { 'remote-made.ckpt': 'written by the job' });
  await fs.rm(path.join(src, 'gone.txt'));
  await fs.rm(path.join(src, 'old'), { recursive: true });
  const r = await syncTree({ from: src, to: { conn, path: dst } });
  assert.equal(r.deleted, 0);
  await fs.access(path.join(dst, 'gone.txt'));
  await fs.access(path.join(dst, 'old/x.txt'));
  const r2 = await syncTree({ from: src, to: { conn, path: dst }, delete: true });
  assert.equal(r2.deleted, 3);
  assert.deepEqual(await listFiles(dst), ['.ferry-manifest.json', '.gitignore', 'keep.txt', 'remote-made.ckpt']);
});

for (const smallFiles of ['tar', 'sftp'] as const) {
test(`download (${smallFiles}): same guarantees remote -> local (names, links, escaping links, no-op)`, async () => {
  const { src: remote, dst: local } = dirs();
  await writeTree(remote, TREE);
  const r = await syncTree({ from: { conn, path: remote }, to: local, ignoreFiles: false, smallFiles });
  assert.equal(r.direction, 'download');
  const want = without(await treeDigest(remote), 'escape-abs', 'nested/escape-rel', '.git', '.git/HEAD');
  assert.deepEqual(await treeDigest(local), want);
  assert.deepEqual(r.skipped.map((x) => x.path).sort(), ['escape-abs', 'nested/escape-rel']);
  const again = await syncTree({ from: { conn, path: remote }, to: local, ignoreFiles: false });
  assert.equal(again.noop, true);
  assert.equal(again.transferred.bytes, 0);
  // Large files come down over SFTP.
  await writeTree(remote, { 'big/one.bin': bytes(3, 10 * 1024 * 1024) });
  const r3 = await syncTree({ from: { conn, path: remote }, to: local, ignoreFiles: false });
  assert.equal(r3.transferred.files, 1);
  assert.deepEqual(await treeDigest(local), without(await treeDigest(remote), 'escape-abs', 'nested/escape-rel', '.git', '.git/HEAD'));
});
}

test('a folder on the destination replaced by a link is never written through', async () => {
  const { src, dst } = dirs();
  const outside = path.join(tmp, `outside${n}`);
  await fs.mkdir(outside);
  await writeTree(src, { 'd/f.txt': 'inside' });
  await fs.mkdir(dst, { recursive: true });
  // The destination has `d` as a link pointing out of the root.
  await fs.symlink(outside, path.join(dst, 'd'));
  await syncTree({ from: src, to: { conn, path: dst } });
  assert.deepEqual(await fs.readdir(outside), []);
  assert.ok((await fs.lstat(path.join(dst, 'd'))).isDirectory());
  assert.equal(await fs.readFile(path.join(dst, 'd/f.txt'), 'utf8'), 'inside');
});

test('an aborted sync leaves no half file under a real name; the next run completes', async () => {
  const { src, dst } = dirs();
  const spec: Record<string, Buffer> = {};
  for (let i = 0; i < 200; i++) spec[`small/f${i}.bin`] = bytes(100 + i, 20_000 + i);
  spec['large/a.bin'] = bytes(7, 48 * 1024 * 1024);
  await writeTree(src, spec);
  const ac = new AbortController();
  const p = syncTree({
    from: src,
    to: { conn, path: dst },
    signal: ac.signal,
    onProgress: (pr) => {
      if (pr.bytesDone > 8 * 1024 * 1024) ac.abort();
    },
  });
  await assert.rejects(p, (e: unknown) => e instanceof CancelledError);
  await new Promise((r) => setTimeout(r, 300));
  // Whatever exists under a real name is whole.
  const srcDigest = await treeDigest(src);
  const partial = await treeDigest(dst);
  for (const [rel, d] of Object.entries(partial)) if (d.startsWith('f ')) assert.equal(d, srcDigest[rel], `${rel} is whole`);
  assert.ok(Object.keys(partial).filter((k) => partial[k]?.startsWith('f ')).length < 201, 'the abort happened mid-way');
  const r = await syncTree({ from: src, to: { conn, path: dst } });
  assert.deepEqual(await treeDigest(dst), srcDigest);
  assert.equal(r.noop, false);
  await assert.rejects(fs.access(path.join(dst, '.ferry-tmp')), 'staging cleaned up');
});

test('a connection killed in the middle of a large sync: the rerun resumes and the tree is identical by hash', async () => {
  const { src, dst } = dirs();
  await writeTree(src, { 'big1.bin': bytes(11, 64 * 1024 * 1024), 'big2.bin': bytes(12, 40 * 1024 * 1024), 'small.txt': 'x' });
  const c = newConn();
  try {
    let killed = false;
    const p = syncTree({
      from: src,
      to: { conn: c, path: dst },
      onProgress: (pr) => {
        if (!killed && pr.bytesDone > 30 * 1024 * 1024) {
          killed = true;
          void s.killConnections();
        }
      },
    });
    await assert.rejects(p, (e: unknown) => e instanceof InfraError);
    const partial = await treeDigest(dst).catch(() => ({}) as Record<string, string>);
    const srcDigest = await treeDigest(src);
    for (const [rel, d] of Object.entries(partial)) if (d.startsWith('f ')) assert.equal(d, srcDigest[rel], `${rel} is whole`);
    const staged = await fs.readdir(path.join(dst, '.ferry-tmp')).catch(() => []);
    assert.ok(staged.some((x) => x.startsWith('part-')), 'a partial large file waits in staging');
    const notes: string[] = [];
    const logger = { debug: (m: string) => notes.push(m), info: () => {}, warn: () => {}, error: () => {} };
    await syncTree({ from: src, to: { conn: c, path: dst }, logger });
    assert.deepEqual(await treeDigest(dst), srcDigest);
    assert.ok(notes.some((m) => /resuming big\d\.bin at [1-9]\d* bytes/.test(m)), `resumed a partial file: ${notes.join(' | ')}`);
    await assert.rejects(fs.access(path.join(dst, '.ferry-tmp')));
  } finally {
    c.close();
  }
});

test('only: a single path (a checkpoint) comes down, nothing else', async () => {
  const { src: remote, dst: local } = dirs();
  await writeTree(remote, { 'ckpt-1.pt': 'one', 'ckpt-2/weights.bin': 'two', 'ckpt-2/meta.json': '{}', 'other.txt': 'no' });
  await syncTree({ from: { conn, path: remote }, to: local, only: ['ckpt-2'] });
  assert.deepEqual(await listFiles(local), ['ckpt-2/meta.json', 'ckpt-2/weights.bin']);
  await syncTree({ from: { conn, path: remote }, to: local, only: ['ckpt-1.pt'] });
  assert.deepEqual(await listFiles(local), ['ckpt-1.pt', 'ckpt-2/meta.json', 'ckpt-2/weights.bin']);
});

test('bad endpoints are user errors', async () => {
  await assert.rejects(syncTree({ from: path.join(tmp, 'nope'), to: { conn, path: path.join(tmp, 'x') } }), /does not exist/);
  await assert.rejects(syncTree({ from: tmp, to: tmp }), /one local and one remote/);
});
