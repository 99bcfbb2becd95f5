/**
 * A per-provider cache of offer lists on disk (under FERRY_HOME), so `ferry offers` is
 * instant within the TTL, the CLI and the extension share one fetch, and a provider that
 * fails can still show its last good list, marked stale. Writes are atomic (tmp + rename):
 * a reader never sees half a file, and two writers leave one whole file.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import type { Offer, OfferQuery } from './types';

export const DEFAULT_OFFER_TTL_MS = 10 * 60_000;

/** `<FERRY_HOME>/cache/offers`. */
export function offersCacheDir(ferryHome: string): string {
  return join(ferryHome, 'cache', 'offers');
}

const num = z.number().finite();
export const OfferSchema = z.object({
  provider: z.string(),
  id: z.string(),
  instanceType: z.string(),
  gpu: z.object({
    name: z.string(),
    count: num,
    memoryGb: num,
    vendor: z.enum(['nvidia', 'amd', 'intel', 'unknown']),
  }),
  cpus: num,
  memoryGb: num,
  diskGb: num,
  region: z.string(),
  pricePerHour: num.nonnegative(),
  spotPricePerHour: num.nonnegative().optional(),
  reliability: num.optional(),
  available: z.boolean(),
  asOf: z.string(),
});

const CacheFile = z.object({
  version: z.literal(1),
  provider: z.string(),
  queryKey: z.string(),
  fetchedAt: z.string(),
  dropped: z.number().int().nonnegative(),
  offers: z.array(OfferSchema),
});

export interface CachedOffers {
  provider: string;
  queryKey: string;
  /** ISO time of the fetch. */
  fetchedAt: string;
  dropped: number;
  offers: Offer[];
}

/** The server-side part of a query (the rest is applied by filterOffers after the fetch). */
export function defaultCacheKey(query: OfferQuery): string {
  const g = query.gpu;
  return JSON.stringify({
    gpu: g ? { names: [...g.names].sort(), memoryGb: g.memoryGb, count: g.count } : null,
    spot: query.spot ?? false,
    maxPricePerHour: query.maxPricePerHour ?? null,
  });
}

export interface OfferCacheOptions {
  dir: string;
  ttlMs?: number;
}

export class OfferCache {
  readonly dir: string;
  readonly ttlMs: number;

  constructor(opts: OfferCacheOptions) {
    this.dir = opts.dir;
    this.ttlMs = opts.ttlMs ?? DEFAULT_OFFER_TTL_MS;
  }

  /** One file per provider and query key; the provider name stays readable in the file name. */
  fileFor(provider: string, queryKey: string): string {
    const safe = provider.replace(/[^A-Za-z0-9_-]/g, '_');
    const hash = createHash('sha256').update(queryKey).digest('hex').slice(0, 16);
    return join(this.dir, `${safe}-${hash}.json`);
  }

  /** The entry, or undefined when missing or unreadable (a corrupt cache is just a miss). */
  async read(provider: string, queryKey: string): Promise<CachedOffers | undefined> {
    let text: string;
    try {
      text = await readFile(this.fileFor(provider, queryKey), 'utf8');
    } catch {
      return undefined;
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      return undefined;
    }
    const r = CacheFile.safeParse(json);
    if (!r.success || r.data.provider !== provider || r.data.queryKey !== queryKey) return undefined;
    const { version: _version, ...entry } = r.data;
    return entry;
  }

  async write(entry: CachedOffers): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const file = this.fileFor(entry.provider, entry.queryKey);
    const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    try {
      await writeFile(tmp, JSON.stringify({ version: 1, ...entry }), 'utf8');
      await rename(tmp, file);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
  }

  /** Younger than the TTL at `now`. */
  isFresh(entry: CachedOffers, now: Date): boolean {
    const age = now.getTime() - Date.parse(entry.fetchedAt);
    return Number.isFinite(age) && age >= 0 && age < this.ttlMs;
  }
}
