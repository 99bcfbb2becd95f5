/**
 * Offers ranking benchmark (DESIGN.md target: 20,000 offers filtered and ranked in < 50 ms).
 * Run: npx tsx bench/offers-rank.ts
 *
 * 20,000 synthetic offers from a fixed seed (names, counts, prices, regions, reliability and
 * availability spread like a real marketplace dump), then filterOffers + rankOffers 20 times
 * per scenario after one warm-up run; prints min/median/max ms. The "rank everything" case is
 * the worst one (nothing filtered out, full sort).
 */
import { performance } from 'node:perf_hooks';
import { filterOffers, rankOffers, type RankBy } from '../src/core/offers/rank';
import type { Offer, OfferQuery } from '../src/core/offers/types';
import { parseGpuQuery } from '../src/core/spec/gpuQuery';

const N = 20_000;
const RUNS = 20;

/** mulberry32: small, fast, and the same offers every run. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const GPUS: Array<[string, number, number]> = [
  ['RTX 4090', 24, 0.35],
  ['RTX 3090', 24, 0.2],
  ['A100', 80, 1.2],
  ['A100', 40, 0.9],
  ['H100', 80, 2.4],
  ['H200', 141, 3.5],
  ['L40S', 48, 0.9],
  ['A6000', 48, 0.5],
  ['V100', 16, 0.25],
  ['MI300X', 192, 2.5],
];
const REGIONS = ['California, US', 'Texas, US', 'Sweden, SE', 'Quebec, CA', 'us-east-1', 'us-west-1', 'europe-central-1', 'US', 'any', 'Hong Kong, HK'];
const PROVIDERS = ['vast', 'runpod', 'lambda'];
const COUNTS = [1, 1, 1, 2, 2, 4, 8];

function syntheticOffers(seed: number): Offer[] {
  const r = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;
  const asOf = new Date('2026-08-01T12:00:00Z').toISOString();
  const out: Offer[] = [];
  for (let i = 0; i < N; i++) {
    const [name, memoryGb, base] = pick(GPUS);
    const count = pick(COUNTS);
    const provider = pick(PROVIDERS);
    // Prices on a cent grid, so ties (and the tie-breaks) actually happen.
    const price = Math.round(base * count * (0.7 + r() * 0.8) * 100) / 100;
    const o: Offer = {
      provider,
      id: `${provider}:${i}`,
      instanceType: `${count}x ${name}`,
      gpu: { name, count, memoryGb, vendor: name === 'MI300X' ? 'amd' : 'nvidia' },
      cpus: 8 * count,
      memoryGb: 32 * count,
      diskGb: 100 + Math.floor(r() * 900),
      region: pick(REGIONS),
      pricePerHour: price,
      available: r() > 0.1,
      asOf,
    };
    if (r() < 0.6) o.spotPricePerHour = Math.round(price * (0.4 + r() * 0.3) * 100) / 100;
    if (provider === 'vast') o.reliability = Math.round((0.85 + r() * 0.15) * 1000) / 1000;
    out.push(o);
  }
  return out;
}

function time(label: string, offers: readonly Offer[], query: OfferQuery, by: RankBy): number {
  let kept = 0;
  const run = (): number => {
    const t0 = performance.now();
    const ranked = rankOffers(filterOffers(offers, query), { by, spot: query.spot });
    const ms = performance.now() - t0;
    kept = ranked.length;
    return ms;
  };
  run(); // warm-up: JIT, not a measurement
  const ms = Array.from({ length: RUNS }, run).sort((a, b) => a - b);
  const median = ((ms[(RUNS >> 1) - 1] ?? 0) + (ms[RUNS >> 1] ?? 0)) / 2;
  const f = (x: number | undefined): string => (x ?? 0).toFixed(2);
  process.stdout.write(`${label.padEnd(44)} kept ${String(kept).padStart(5)}  min ${f(ms[0])}  median ${f(median)}  max ${f(ms[RUNS - 1])} ms\n`);
  return median;
}

const offers = syntheticOffers(20260801);
process.stdout.write(`offers-rank: ${N} offers, ${RUNS} runs each, node ${process.version}\n`);
const medians = [
  time('rank everything by $/h (worst case)', offers, {}, 'price'),
  time('A100,H100:80GB:1..8 max $20/h, US, spot', offers, { gpu: parseGpuQuery('A100,H100:80GB:1..8'), maxPricePerHour: 20, regions: ['US'], spot: true }, 'price'),
  time('24GB.. by $/GPU-hour, spot auto', offers, { gpu: parseGpuQuery('24GB..:1..'), spot: 'auto' }, 'gpu-hour'),
  time('any GPU by $/GB of GPU memory', offers, { gpu: parseGpuQuery('1..') }, 'gpu-memory'),
];
const worst = Math.max(...medians);
process.stdout.write(`worst median ${worst.toFixed(2)} ms (target < 50 ms): ${worst < 50 ? 'OK' : 'TOO SLOW'}\n`);
