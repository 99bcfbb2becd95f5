import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { localReader, scanTree, walkTree } from '../../../src/core/sync/scan';
import { writeTree } from '../../helpers/trees';

test('scan: ignore files apply below their folder; excludes; links reported, not followed', async () => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'ferry-scan-'));
  try {
    await writeTree(root, {
      '.gitignore': '*.log\n',
      'a.log': 'x',
      'keep.txt': 'x',
      'sub/.ferryignore': 'local-only/\n',
      'sub/local-only/f': 'x',
      'sub/b.log': 'x',
      'sub/c.txt': 'x',
      'other/local-only/g': 'x',
      'data/raw/big.csv': 'x',
      'ln': { link: 'sub' },
      '.git/config': 'x',
    });
    const entries = await scanTree(root, { exclude: ['data/raw/'] });
    assert.deepEqual(
      entries.map((e) => `${e.type === 'symlink' ? 'l' : e.type[0]} ${e.path}`),
      ['f .gitignore', 'd data', 'f keep.txt', 'l ln', 'd other', 'd other/local-only', 'f other/local-only/g', 'd sub', 'f sub/.ferryignore', 'f sub/c.txt'],
    );
    assert.equal(entries.find((e) => e.path === 'ln')?.linkTarget, 'sub');
    const walk = await walkTree(localReader(root), { exclude: ['data/raw/'] });
    // Questions about paths that do not exist use the deepest folder's rules.
    assert.ok(walk.ignores('sub/new/x.log', false));
    assert.ok(walk.ignores('sub/local-only', true));
    assert.ok(!walk.ignores('other/new.txt', false));
    assert.ok(walk.ignores('.git', true));
    const raw = await walkTree(localReader(root), { raw: true });
    assert.ok(raw.entries.some((e) => e.path === 'a.log'));
    assert.ok(raw.entries.some((e) => e.path === '.git/config'));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
