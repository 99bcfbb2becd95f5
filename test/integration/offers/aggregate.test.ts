import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { listAllOffers } from '../../../src/core/offers/aggregate';
import { OfferCache } from '../../../src/core/offers/cache';
import { LambdaProvider } from '../../../src/core/offers/lambda';
import { sshHostOffers, staticOfferSource } from '../../../src/core/offers/localHosts';
import { RunpodProvider } from '../../../src/core/offers/runpod';
import type { Offer } from '../../../src/core/offers/types';
import { VastProvider } from '../../../src/core/offers/vast';
import { parseGpuQuery } from '../../../src/core/spec/gpuQuery';
import { startFakeLambda } from '../../fakes/providers/lambda';
import { startFakeRunpod } from '../../fakes/providers/runpod';
import { startFakeVast } from '../../fakes/providers/vast';
import { captureLogger, FAST_RETRY, KEY, signal } from './helpers';

function assertSortedByPrice(offers: readonly Offer[]): void {
  for (let i = 1; i < offers.length; i++) {
    assert.ok((offers[i - 1]?.pricePerHour ?? 0) <= (offers[i]?.pricePerHour ?? 0), `${offers[i - 1]?.id} before ${offers[i]?.id}`);
  }
}

describe('listAllOffers across the three fakes', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'ferry-offers-agg-'));
  const vastFake = await startFakeVast();
  const runpodFake = await startFakeRunpod();
  const lambdaFake = await startFakeLambda();
  let clock = new Date('2026-08-01T12:00:00Z');
  const now = (): Date => clock;
  const common = { apiKey: KEY, retry: FAST_RETRY, now };
  const vast = new VastProvider({ ...common, baseUrl: vastFake.url });
  const runpod = new RunpodProvider({ ...common, baseUrl: runpodFake.url });
  const lambda = new LambdaProvider({ ...common, baseUrl: lambdaFake.url, minIntervalMs: 0 });
  const own = staticOfferSource('ssh', () => sshHostOffers('Host box\n  HostName 192.0.2.7\n', { pricePerHour: { box: 0.05 }, now }));
  const cache = new OfferCache({ dir, ttlMs: 10 * 60_000 });
  after(async () => {
    await Promise.all([vastFake.close(), runpodFake.close(), lambdaFake.close()]);
    await rm(dir, { recursive: true, force: true });
  });

  it('fetches every provider concurrently into one list sorted by price', async () => {
    const r = await listAllOffers([vast, runpod, lambda, own], {}, { cache, signal, now });
    assert.deepEqual(r.providers.map((p) => [p.provider, p.stale, p.error, p.fromCache]), [
      ['vast', false, undefined, false],
      ['runpod', false, undefined, false],
      ['lambda', false, undefined, false],
      ['ssh', false, undefined, false],
    ]);
    assert.equal(r.providers[1]?.dropped, 4, 'RunPod L40S has no price at any count');
    assert.deepEqual(new Set(r.offers.map((o) => o.provider)), new Set(['vast', 'runpod', 'lambda', 'ssh']));
    assertSortedByPrice(r.offers);
    assert.equal(r.offers[0]?.id, 'ssh:box');
    assert.ok(r.offers.every((o) => o.asOf === clock.toISOString()), 'every offer carries its fetch time');
    // Own machines are never cached; the three marketplaces each have a file.
    assert.deepEqual((await readdir(dir)).map((f) => f.split('-')[0]).sort(), ['lambda', 'runpod', 'vast']);
  });

  it('answers from the cache within the TTL, without a request', async () => {
    const before = vastFake.requests.length + runpodFake.requests.length + lambdaFake.requests.length;
    clock = new Date(clock.getTime() + 5 * 60_000);
    const r = await listAllOffers([vast, runpod, lambda], {}, { cache, signal, now });
    assert.ok(r.providers.every((p) => p.fromCache && !p.stale));
    assert.equal(vastFake.requests.length + runpodFake.requests.length + lambdaFake.requests.length, before);
    assert.equal(r.providers[0]?.fetchedAt, '2026-08-01T12:00:00.000Z');
  });

  it('filters and ranks the merged list by the query', async () => {
    const r = await listAllOffers([vast, runpod, lambda], { gpu: parseGpuQuery('A100:80GB:1..8'), maxPricePerHour: 15 }, { cache, signal, now, refresh: true });
    assert.ok(r.offers.length > 0);
    assert.ok(r.offers.every((o) => o.gpu.name === 'A100' && o.gpu.memoryGb === 80 && o.pricePerHour <= 15));
    assert.deepEqual(new Set(r.offers.map((o) => o.provider)), new Set(['vast', 'runpod', 'lambda']));
    assertSortedByPrice(r.offers);
  });

  it('asks only the providers the query names', async () => {
    const before = vastFake.requests.length;
    const r = await listAllOffers([vast, runpod, lambda], { providers: ['lambda', 'runpod'] }, { cache, signal, now, refresh: true });
    assert.deepEqual(r.providers.map((p) => p.provider), ['runpod', 'lambda']);
    assert.equal(vastFake.requests.length, before);
  });

  it('keeps a failed provider’s last good list, marked stale with the error, beside the others', async () => {
    await listAllOffers([vast, runpod, lambda], {}, { cache, signal, now, refresh: true });
    const fetchedAt = clock.toISOString();
    await vastFake.close();
    clock = new Date(clock.getTime() + 11 * 60_000);
    const logger = captureLogger();
    const r = await listAllOffers([vast, runpod, lambda], {}, { cache, signal, now, logger });
    const [v, rp, l] = r.providers;
    assert.equal(v?.stale, true);
    assert.equal(v?.fromCache, true);
    assert.equal(v?.fetchedAt, fetchedAt);
    assert.match(v?.error ?? '', /^vast: POST \/api\/v0\/bundles\/ unreachable: ECONNREFUSED/);
    assert.equal(v?.offers.length, 6);
    assert.ok(rp && !rp.stale && !rp.fromCache && rp.error === undefined);
    assert.ok(l && !l.stale && !l.fromCache && l.error === undefined);
    assert.ok(r.offers.some((o) => o.provider === 'vast'), 'the stale list still shows');
    assert.ok(r.offers.some((o) => o.provider === 'lambda'));
    assert.ok(logger.lines.some((x) => x.startsWith('warn vast:')));
  });

  it('serves expired lists at once and revalidates in the background when asked', async () => {
    clock = new Date(clock.getTime() + 11 * 60_000);
    const before = lambdaFake.requests.length;
    const r = await listAllOffers([lambda], {}, { cache, signal, now, staleWhileRevalidate: true });
    assert.equal(r.providers[0]?.stale, true);
    assert.equal(r.providers[0]?.fromCache, true);
    assert.ok(r.revalidated);
    const fresh = await r.revalidated;
    assert.equal(fresh.providers[0]?.stale, false);
    assert.equal(fresh.providers[0]?.fetchedAt, clock.toISOString());
    assert.equal(lambdaFake.requests.length, before + 1);
  });
});

describe('listAllOffers with a provider failing and no cache', () => {
  it('shows the others and marks the failing one', async () => {
    const runpodFake = await startFakeRunpod();
    const lambdaFake = await startFakeLambda();
    try {
      for (let i = 0; i < 4; i++) lambdaFake.script.push({ status: 500, body: { error: { code: 'provider/internal-unavailable', message: 'Provider unavailable', suggestion: 'Try again shortly' } } });
      const runpod = new RunpodProvider({ apiKey: KEY, baseUrl: runpodFake.url });
      const lambda = new LambdaProvider({ apiKey: KEY, baseUrl: lambdaFake.url, minIntervalMs: 0, retry: FAST_RETRY });
      const r = await listAllOffers([runpod, lambda], {}, { signal });
      const l = r.providers[1];
      assert.equal(l?.error, 'lambda: GET /api/v1/instance-types failed (HTTP 500): Provider unavailable');
      assert.equal(l?.offers.length, 0);
      assert.equal(lambdaFake.requests.length, 4, 'retried before giving up');
      assert.ok(r.offers.length > 0 && r.offers.every((o) => o.provider === 'runpod'));
    } finally {
      await Promise.all([runpodFake.close(), lambdaFake.close()]);
    }
  });
});
