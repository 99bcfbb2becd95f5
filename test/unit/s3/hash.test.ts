import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { HashCache, cachedHashes, hashFile, stampOf } from '../../../src/core/s3/hash';

test('the hash cache answers only for an unchanged file', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'ferry-hash-'));
  try {
    const f = path.join(dir, 'a.bin');
    writeFileSync(f, 'one');
    const cacheDir = path.join(dir, 'cache');
    const c1 = await HashCache.open(cacheDir, dir);
    const h1 = await cachedHashes(c1, 'a.bin', f);
    assert.deepEqual(h1, await hashFile(f));
    await c1.save();
    const c2 = await HashCache.open(cacheDir, dir);
    assert.deepEqual(c2.get('a.bin', stampOf(statSync(f))), h1, 'reloaded from disk');
    // Same size, mtime put back: the ctime still moves, so the entry is not trusted.
    const st = statSync(f);
    // File times tick with the kernel's coarse clock: let it move on.
    await new Promise((r) => setTimeout(r, 30));
    writeFileSync(f, 'two');
    utimesSync(f, st.atime, st.mtime);
    assert.equal(c2.get('a.bin', stampOf(statSync(f))), undefined);
    assert.deepEqual(await cachedHashes(c2, 'a.bin', f), await hashFile(f));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
