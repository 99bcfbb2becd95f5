/**
 * Filtering and ranking of normalized offers. Pure and fast: `ferry offers` and the engine's
 * "cheapest" choice run this over every provider's list at once (20,000 offers in well under
 * 50 ms; see bench/offers-rank.ts), so per-offer work avoids regexes and allocations.
 */
import { gpuQueryMatches } from '../spec/gpuQuery';
import type { GpuQuery } from '../spec/types';
import type { Offer, OfferQuery, SpotChoice } from './types';

export type RankBy = 'price' | 'gpu-hour' | 'gpu-memory';

export interface RankOptions {
  /** 'price' (USD/h), 'gpu-hour' (USD per GPU-hour), 'gpu-memory' (USD per GB of GPU memory per hour). */
  by?: RankBy;
  /** Which price counts: spot when true, the cheaper when 'auto', else on-demand. */
  spot?: SpotChoice;
}

/** The price an offer is judged by; undefined when it has none of that kind. */
export function effectivePrice(o: Offer, spot: SpotChoice | undefined): number | undefined {
  if (spot === true) return o.spotPricePerHour;
  if (spot === 'auto' && o.spotPricePerHour !== undefined) return Math.min(o.spotPricePerHour, o.pricePerHour);
  return o.pricePerHour;
}

/**
 * Whether an offer's region is one the user asked for: the same name (`us-east-1`), a prefix
 * up to a dash (`us` for `us-east-1`), or one comma-separated part (`SE` or `Sweden` for
 * Vast's `Sweden, SE`). Case-insensitive. `wanted` must be lowercase and trimmed.
 */
export function regionMatches(region: string, wanted: string): boolean {
  const r = region.toLowerCase();
  if (r === wanted || r.startsWith(`${wanted}-`)) return true;
  if (!r.includes(',')) return false;
  return r.split(',').some((part) => part.trim() === wanted);
}

/**
 * A gpuQueryMatches with a memo: offers repeat a few (name, memory, count) shapes thousands of
 * times. Two-level (name, then a number) so the hot path builds no strings.
 */
function gpuMatcher(q: GpuQuery): (o: Offer) => boolean {
  const memo = new Map<string, Map<number, boolean>>();
  return (o) => {
    const g = o.gpu;
    let byShape = memo.get(g.name);
    if (!byShape) memo.set(g.name, (byShape = new Map()));
    // memoryGb has at most one decimal and counts stay far below 2^16.
    const shape = g.memoryGb * 65_536 + g.count;
    let hit = byShape.get(shape);
    if (hit === undefined) {
      // memoryGb 0 means unknown: let the catalogue's figure stand in.
      hit = gpuQueryMatches(q, { name: g.name, memoryGb: g.memoryGb > 0 ? g.memoryGb : undefined, count: g.count });
      byShape.set(shape, hit);
    }
    return hit;
  };
}

/** The offers that satisfy every constraint of the query, in their original order. */
export function filterOffers(offers: readonly Offer[], query: OfferQuery): Offer[] {
  const providers = query.providers && query.providers.length > 0 ? new Set(query.providers) : undefined;
  const regions = query.regions && query.regions.length > 0 ? query.regions.map((r) => r.trim().toLowerCase()) : undefined;
  const maxPrice = query.maxPricePerHour;
  const spot = query.spot;
  const gpuOk = query.gpu ? gpuMatcher(query.gpu) : undefined;
  const out: Offer[] = [];
  for (const o of offers) {
    if (providers && !providers.has(o.provider)) continue;
    if (query.availableOnly && !o.available) continue;
    const price = effectivePrice(o, spot);
    if (price === undefined) continue;
    // A cent's rounding noise should not drop an offer priced exactly at the cap.
    if (maxPrice !== undefined && price > maxPrice + 1e-9) continue;
    if (regions && !regions.some((w) => regionMatches(o.region, w))) continue;
    if (gpuOk && !gpuOk(o)) continue;
    out.push(o);
  }
  return out;
}

/** The figure an offer is ranked by; Infinity puts it last (no price of that kind, no GPUs). */
export function rankMetric(o: Offer, by: RankBy, spot: SpotChoice | undefined): number {
  const price = effectivePrice(o, spot);
  if (price === undefined) return Infinity;
  switch (by) {
    case 'price':
      return price;
    case 'gpu-hour':
      return o.gpu.count > 0 ? price / o.gpu.count : Infinity;
    case 'gpu-memory': {
      const total = o.gpu.count * o.gpu.memoryGb;
      return total > 0 ? price / total : Infinity;
    }
  }
}

/** Index bits in a sort key (2^21 offers) and the coarse metric's range (2^31): 52 bits, exact in a double. */
const INDEX_SPAN = 2 ** 21;
const COARSE_MAX = 2 ** 31;

/**
 * Sorted copy: by the metric ascending; equal metrics by reliability (higher first, unknown
 * after known), then available before sold out, then id, so the order is the same every run.
 *
 * Speed: a comparator sort of 20,000 objects costs ~300k JS calls. Instead each offer gets a
 * number (metric scaled into 31 bits, times 2^21, plus its index) sorted natively as a
 * Float64Array; only runs that share a scaled metric go through the full comparator.
 */
export function rankOffers(offers: readonly Offer[], opts: RankOptions = {}): Offer[] {
  const by = opts.by ?? 'price';
  const n = offers.length;
  if (n > INDEX_SPAN) throw new RangeError(`rankOffers: at most ${INDEX_SPAN} offers`);
  const metric = new Float64Array(n);
  const rel = new Float64Array(n);
  const avail = new Uint8Array(n);
  let maxFinite = 0;
  for (let i = 0; i < n; i++) {
    const o = offers[i] as Offer;
    const m = rankMetric(o, by, opts.spot);
    // Quantized so 0.1 + 0.2 and 0.3 tie instead of being ordered by float noise.
    const q = Number.isFinite(m) ? Math.round(m * 1e9) : Infinity;
    metric[i] = q;
    if (q !== Infinity && q > maxFinite) maxFinite = q;
    rel[i] = o.reliability ?? -1;
    avail[i] = o.available ? 1 : 0;
  }
  // Coarse keys: monotone in the metric, Infinity last; collisions are settled below.
  const scale = maxFinite > 0 ? (COARSE_MAX - 1) / maxFinite : 0;
  const keys = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const q = metric[i] as number;
    const coarse = q === Infinity ? COARSE_MAX : Math.floor(q * scale);
    keys[i] = coarse * INDEX_SPAN + i;
  }
  keys.sort();

  const full = (a: number, b: number): number => {
    const ma = metric[a] as number;
    const mb = metric[b] as number;
    if (ma !== mb) return ma < mb ? -1 : 1;
    const ra = rel[a] as number;
    const rb = rel[b] as number;
    if (ra !== rb) return rb - ra;
    const va = avail[a] as number;
    const vb = avail[b] as number;
    if (va !== vb) return vb - va;
    const ia = (offers[a] as Offer).id;
    const ib = (offers[b] as Offer).id;
    return ia < ib ? -1 : ia > ib ? 1 : 0;
  };

  const out = new Array<Offer>(n);
  let start = 0;
  while (start < n) {
    const coarse = Math.floor((keys[start] as number) / INDEX_SPAN);
    let end = start + 1;
    while (end < n && Math.floor((keys[end] as number) / INDEX_SPAN) === coarse) end++;
    if (end - start === 1) {
      out[start] = offers[(keys[start] as number) - coarse * INDEX_SPAN] as Offer;
    } else {
      const run: number[] = [];
      for (let k = start; k < end; k++) run.push((keys[k] as number) - coarse * INDEX_SPAN);
      run.sort(full);
      for (let k = 0; k < run.length; k++) out[start + k] = offers[run[k] as number] as Offer;
    }
    start = end;
  }
  return out;
}

/** filterOffers then rankOffers with the query's spot choice. */
export function selectOffers(offers: readonly Offer[], query: OfferQuery, by: RankBy = 'price'): Offer[] {
  return rankOffers(filterOffers(offers, query), { by, spot: query.spot });
}
