import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { TreeEntry } from '../../../src/core/sync/manifest';
import { isEmptyPlan, makePlan } from '../../../src/core/sync/plan';

const f = (p: string, size = 1, mtime = 100, mode = 0o644): TreeEntry => ({ path: p, type: 'file', size, mtime, mode });
const d = (p: string, mode = 0o755): TreeEntry => ({ path: p, type: 'dir', size: 0, mtime: 0, mode });
const l = (p: string, link: string): TreeEntry => ({ path: p, type: 'symlink', size: 0, mtime: 0, mode: 0o777, link });
const map = (...es: TreeEntry[]): Map<string, TreeEntry> => new Map(es.map((e) => [e.path, e]));

test('equal trees plan nothing', async () => {
  const t = [d('a'), f('a/x'), l('ln', 'a/x')];
  assert.ok(isEmptyPlan(await makePlan({ src: t, dst: map(...t), delete: true })));
});

test('new, changed size, mode only, link retarget', async () => {
  const p = await makePlan({
    src: [d('a'), f('a/new'), f('a/grown', 5), f('a/mode', 1, 100, 0o755), l('ln', 'a/new')],
    dst: map(d('a'), f('a/grown', 4), f('a/mode'), l('ln', 'a/grown')),
    delete: false,
  });
  assert.deepEqual(p.files.map((e) => e.path), ['a/new', 'a/grown']);
  assert.equal(p.bytes, 6);
  assert.deepEqual(p.chmods.map((e) => e.path), ['a/mode']);
  assert.deepEqual(p.links.map((e) => e.path), ['ln']);
  assert.deepEqual(p.mkdirs, []);
});

test('same size, other mtime: hashes decide between touch and transfer', async () => {
  const src = [f('same', 3, 200), f('diff', 3, 200), f('unknown', 3, 200)];
  const p = await makePlan({
    src,
    dst: map(f('same', 3, 100), f('diff', 3, 100), f('unknown', 3, 100)),
    delete: false,
    sameContent: async (s) => (s.path === 'same' ? true : s.path === 'diff' ? false : undefined),
  });
  assert.deepEqual(p.touches.map((e) => e.path), ['same']);
  assert.deepEqual(p.files.map((e) => e.path), ['diff', 'unknown']);
});

test('type changes remove first; a non-empty folder only when mirroring', async () => {
  const dst = map(d('was-dir'), f('was-dir/in'), f('was-file'), l('was-link', 'x'));
  const src = [f('was-dir'), d('was-file'), f('was-file/kid'), d('was-link')];
  const p = await makePlan({ src, dst, delete: false });
  assert.deepEqual(p.skipped.map((s) => s.path), ['was-dir']);
  assert.deepEqual(p.removals.map((e) => e.path), ['was-file', 'was-link']);
  assert.deepEqual(p.mkdirs.map((e) => e.path), ['was-file', 'was-link']);
  const p2 = await makePlan({ src, dst, delete: true });
  assert.deepEqual(p2.removals.map((e) => e.path).slice(0, 2), ['was-dir/in', 'was-dir']);
});

test('links that point out are skipped; unsafe paths refused', async () => {
  const p = await makePlan({ src: [l('abs', '/etc'), l('up', '../x'), l('deep/ok', '../fine'), f('../evil')], dst: new Map(), delete: false });
  assert.deepEqual(p.skipped.map((s) => s.path), ['abs', 'up', '../evil']);
  assert.deepEqual(p.links.map((e) => e.path), ['deep/ok']);
});

test('deletions: only when mirroring, children first, protected entries kept', async () => {
  const dst = map(f('keep'), d('old'), f('old/a'), d('old/sub'), f('old/sub/b'), f('x.ckpt'), d('mixed'), f('mixed/y.ckpt'), f('mixed/z'));
  const src = [f('keep')];
  const none = await makePlan({ src, dst, delete: false });
  assert.equal(none.deletions.length, 0);
  const p = await makePlan({ src, dst, delete: true, protect: (rel) => rel.endsWith('.ckpt') });
  assert.deepEqual(p.deletions.map((e) => e.path), ['mixed/z', 'old/sub/b', 'old/sub', 'old/a', 'old']);
});
