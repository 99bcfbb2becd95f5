import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { effectivePrice, filterOffers, rankOffers, regionMatches, selectOffers } from '../../../src/core/offers/rank';
import { parseGpuQuery } from '../../../src/core/spec/gpuQuery';
import { offer } from './helpers';

const ids = (os: ReadonlyArray<{ id: string }>): string[] => os.map((o) => o.id);

describe('rankOffers', () => {
  it('sorts by $/h and breaks ties by reliability, then availability, then id', () => {
    const offers = [
      offer({ id: 'e', pricePerHour: 2 }),
      offer({ id: 'd', pricePerHour: 1, reliability: 0.9, available: false }),
      offer({ id: 'c', pricePerHour: 1, reliability: 0.9, available: true }),
      offer({ id: 'b', pricePerHour: 1, reliability: 0.99 }),
      offer({ id: 'a', pricePerHour: 1, reliability: 0.9, available: true }),
      offer({ id: 'f', pricePerHour: 1 }),
    ];
    // f has no reliability figure: after the known ones at the same price.
    assert.deepEqual(ids(rankOffers(offers)), ['b', 'a', 'c', 'd', 'f', 'e']);
  });

  it('treats float noise as a tie', () => {
    const offers = [offer({ id: 'x', pricePerHour: 0.1 + 0.2, reliability: 0.5 }), offer({ id: 'y', pricePerHour: 0.3, reliability: 0.9 })];
    assert.deepEqual(ids(rankOffers(offers)), ['y', 'x']);
  });

  it('is stable across runs and leaves its input alone', () => {
    const offers = Array.from({ length: 50 }, (_, i) => offer({ id: `o${String(i).padStart(2, '0')}`, pricePerHour: i % 3 }));
    const before = ids(offers);
    const a = ids(rankOffers(offers));
    const b = ids(rankOffers([...offers].reverse()));
    assert.deepEqual(a, b);
    assert.deepEqual(ids(offers), before);
  });

  it('ranks by the spot price when asked, offers without one last', () => {
    const offers = [
      offer({ id: 'a', pricePerHour: 1, spotPricePerHour: 0.6 }),
      offer({ id: 'b', pricePerHour: 0.8, spotPricePerHour: 0.5 }),
      offer({ id: 'c', pricePerHour: 0.1 }),
    ];
    assert.deepEqual(ids(rankOffers(offers, { spot: true })), ['b', 'a', 'c']);
    assert.deepEqual(ids(rankOffers(offers)), ['c', 'b', 'a']);
    assert.equal(effectivePrice(offers[0]!, 'auto'), 0.6);
    assert.equal(effectivePrice(offers[2]!, 'auto'), 0.1);
    assert.equal(effectivePrice(offers[2]!, true), undefined);
  });

  it('ranks by $/GPU-hour and by $ per GB of GPU memory', () => {
    const one = offer({ id: 'one', pricePerHour: 2.5, gpu: { name: 'H100', count: 1, memoryGb: 80, vendor: 'nvidia' } });
    const eight = offer({ id: 'eight', pricePerHour: 16, gpu: { name: 'H100', count: 8, memoryGb: 80, vendor: 'nvidia' } });
    const small = offer({ id: 'small', pricePerHour: 0.3, gpu: { name: 'RTX 4090', count: 1, memoryGb: 24, vendor: 'nvidia' } });
    const none = offer({ id: 'none', pricePerHour: 0, gpu: { name: 'unknown', count: 0, memoryGb: 0, vendor: 'unknown' } });
    assert.deepEqual(ids(rankOffers([one, eight, small, none], { by: 'price' })), ['none', 'small', 'one', 'eight']);
    // 0.3, 2.0, 2.5 per GPU-hour; no GPU, no GPU-hours: last.
    assert.deepEqual(ids(rankOffers([one, eight, small, none], { by: 'gpu-hour' })), ['small', 'eight', 'one', 'none']);
    // 0.0125, 0.025, 0.03125 per GB-hour.
    assert.deepEqual(ids(rankOffers([one, eight, small, none], { by: 'gpu-memory' })), ['small', 'eight', 'one', 'none']);
  });
});

describe('rankOffers agrees with a plain comparator sort', () => {
  it('on 3,000 random offers full of ties, missing spot prices and GPU-less machines', () => {
    let seed = 7;
    const r = (): number => ((seed = (seed * 16807) % 2147483647) / 2147483647);
    const offers = Array.from({ length: 3000 }, (_, i) =>
      offer({
        id: `o${Math.floor(r() * 1e6)}-${i}`,
        pricePerHour: Math.round(r() * 50) / 10,
        spotPricePerHour: r() < 0.5 ? Math.round(r() * 30) / 10 : undefined,
        reliability: r() < 0.5 ? Math.round(r() * 4) / 4 : undefined,
        available: r() < 0.8,
        gpu: { name: 'A100', count: Math.floor(r() * 4), memoryGb: r() < 0.5 ? 40 : 80, vendor: 'nvidia' },
      }),
    );
    for (const by of ['price', 'gpu-hour', 'gpu-memory'] as const) {
      for (const spot of [undefined, true, 'auto'] as const) {
        const metric = (o: (typeof offers)[number]): number => {
          const p = effectivePrice(o, spot);
          if (p === undefined) return Infinity;
          const m = by === 'price' ? p : by === 'gpu-hour' ? (o.gpu.count > 0 ? p / o.gpu.count : Infinity) : o.gpu.count * o.gpu.memoryGb > 0 ? p / (o.gpu.count * o.gpu.memoryGb) : Infinity;
          return Number.isFinite(m) ? Math.round(m * 1e9) : Infinity;
        };
        const expected = [...offers].sort((a, b) => {
          const ma = metric(a);
          const mb = metric(b);
          if (ma !== mb) return ma < mb ? -1 : 1;
          const ra = a.reliability ?? -1;
          const rb = b.reliability ?? -1;
          if (ra !== rb) return rb - ra;
          if (a.available !== b.available) return a.available ? -1 : 1;
          return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
        });
        assert.deepEqual(ids(rankOffers(offers, { by, spot })), ids(expected), `${by} ${String(spot)}`);
      }
    }
  });
});

describe('filterOffers', () => {
  const offers = [
    offer({ id: 'vast:1', provider: 'vast', gpu: { name: 'A100', count: 1, memoryGb: 80, vendor: 'nvidia' }, pricePerHour: 1.1, spotPricePerHour: 0.6, region: 'Texas, US' }),
    offer({ id: 'vast:2', provider: 'vast', gpu: { name: 'A100', count: 2, memoryGb: 40, vendor: 'nvidia' }, pricePerHour: 1.6, region: 'Sweden, SE' }),
    offer({ id: 'lambda:a', provider: 'lambda', gpu: { name: 'A100', count: 8, memoryGb: 80, vendor: 'nvidia' }, pricePerHour: 14.32, region: 'any', available: false }),
    offer({ id: 'lambda:b', provider: 'lambda', gpu: { name: 'H100', count: 1, memoryGb: 80, vendor: 'nvidia' }, pricePerHour: 3.29, region: 'us-east-1' }),
    offer({ id: 'runpod:c', provider: 'runpod', gpu: { name: 'RTX 4090', count: 1, memoryGb: 24, vendor: 'nvidia' }, pricePerHour: 0.34, region: 'US' }),
    offer({ id: 'ssh:box', provider: 'ssh', gpu: { name: 'unknown', count: 0, memoryGb: 0, vendor: 'unknown' }, pricePerHour: 0, region: 'ssh' }),
  ];

  it('applies the GPU query grammar', () => {
    assert.deepEqual(ids(filterOffers(offers, { gpu: parseGpuQuery('A100') })), ['vast:1']);
    assert.deepEqual(ids(filterOffers(offers, { gpu: parseGpuQuery('A100:80GB:1..8') })), ['vast:1', 'lambda:a']);
    assert.deepEqual(ids(filterOffers(offers, { gpu: parseGpuQuery('24GB..') })), ['vast:1', 'lambda:b', 'runpod:c']);
    assert.deepEqual(ids(filterOffers(offers, { gpu: parseGpuQuery('RTX4090,H100:1') })), ['lambda:b', 'runpod:c']);
  });

  it('applies max price, spot, regions, providers and availability', () => {
    assert.deepEqual(ids(filterOffers(offers, { maxPricePerHour: 1.1 })), ['vast:1', 'runpod:c', 'ssh:box']);
    assert.deepEqual(ids(filterOffers(offers, { spot: true })), ['vast:1']);
    assert.deepEqual(ids(filterOffers(offers, { spot: true, maxPricePerHour: 0.5 })), []);
    assert.deepEqual(ids(filterOffers(offers, { regions: ['US'] })), ['vast:1', 'lambda:b', 'runpod:c']);
    assert.deepEqual(ids(filterOffers(offers, { regions: ['sweden', 'us-east-1'] })), ['vast:2', 'lambda:b']);
    assert.deepEqual(ids(filterOffers(offers, { providers: ['lambda'] })), ['lambda:a', 'lambda:b']);
    assert.deepEqual(ids(filterOffers(offers, { providers: ['lambda'], availableOnly: true })), ['lambda:b']);
  });

  it('selectOffers filters then ranks with the query spot choice', () => {
    assert.deepEqual(ids(selectOffers(offers, { gpu: parseGpuQuery('A100:1..8'), spot: 'auto' })), ['vast:1', 'vast:2', 'lambda:a']);
  });

  it('matches regions by name, dash prefix or comma part', () => {
    assert.ok(regionMatches('us-east-1', 'us'));
    assert.ok(regionMatches('us-east-1', 'us-east-1'));
    assert.ok(regionMatches('California, US', 'us'));
    assert.ok(regionMatches('Hong Kong, HK', 'hong kong'));
    assert.ok(!regionMatches('australia-east-1', 'us'));
    assert.ok(!regionMatches('Russia, RU', 'us'));
  });
});
