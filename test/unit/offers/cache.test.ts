import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { defaultCacheKey, OfferCache, offersCacheDir } from '../../../src/core/offers/cache';
import { parseGpuQuery } from '../../../src/core/spec/gpuQuery';
import { NOW, offer } from './helpers';

describe('OfferCache', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'ferry-offers-cache-'));
  after(() => rm(dir, { recursive: true, force: true }));

  it('round-trips a list, atomically, with no temp file left', async () => {
    const cache = new OfferCache({ dir: join(dir, 'a', 'b') });
    const entry = { provider: 'vast', queryKey: 'k', fetchedAt: NOW.toISOString(), dropped: 2, offers: [offer({ id: 'vast:1', spotPricePerHour: 0.2, reliability: 0.9 })] };
    await cache.write(entry);
    assert.deepEqual(await cache.read('vast', 'k'), entry);
    assert.equal(await cache.read('vast', 'other'), undefined);
    assert.deepEqual((await readdir(join(dir, 'a', 'b'))).filter((f) => f.endsWith('.tmp')), []);
  });

  it('treats a corrupt or foreign file as a miss', async () => {
    const cache = new OfferCache({ dir });
    await writeFile(cache.fileFor('runpod', 'k'), '{"version":1,"provider":"runpod"');
    assert.equal(await cache.read('runpod', 'k'), undefined);
    await writeFile(cache.fileFor('lambda', 'k'), JSON.stringify({ version: 1, provider: 'lambda', queryKey: 'k', fetchedAt: 'x', dropped: 0, offers: [{ id: 1 }] }));
    assert.equal(await cache.read('lambda', 'k'), undefined);
  });

  it('survives concurrent writers: one whole file wins', async () => {
    const cache = new OfferCache({ dir });
    const mk = (i: number) => ({ provider: 'vast', queryKey: 'race', fetchedAt: NOW.toISOString(), dropped: i, offers: Array.from({ length: 200 }, (_, j) => offer({ id: `vast:${i}-${j}` })) });
    await Promise.all([1, 2, 3, 4, 5].map((i) => cache.write(mk(i))));
    const got = await cache.read('vast', 'race');
    assert.ok(got && got.offers.length === 200 && got.offers.every((o) => o.id.startsWith(`vast:${got.dropped}-`)));
  });

  it('is fresh within the TTL only', () => {
    const cache = new OfferCache({ dir, ttlMs: 60_000 });
    const e = { provider: 'x', queryKey: '', fetchedAt: NOW.toISOString(), dropped: 0, offers: [] };
    assert.equal(cache.isFresh(e, new Date(NOW.getTime() + 59_000)), true);
    assert.equal(cache.isFresh(e, new Date(NOW.getTime() + 61_000)), false);
    assert.equal(new OfferCache({ dir }).ttlMs, 10 * 60_000, 'default TTL 10 min');
    assert.equal(offersCacheDir('/home/u/.ferry'), join('/home/u/.ferry', 'cache', 'offers'));
  });

  it('keys queries by what reaches the server, not by name order', () => {
    assert.equal(defaultCacheKey({ gpu: parseGpuQuery('A100,H100') }), defaultCacheKey({ gpu: parseGpuQuery('H100,A100'), regions: ['us'] }));
    assert.notEqual(defaultCacheKey({ spot: true }), defaultCacheKey({}));
  });
});
