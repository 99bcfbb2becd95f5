/**
 * All providers' offers in one ranked list. Providers are fetched concurrently; each has its
 * own cache entry and its own fate: one that fails keeps its last good list (marked stale,
 * with the error) and never hides the others.
 */
import { CancelledError, errorMessage, isCancelled } from '../util/errors';
import { nullLogger, scrubSecrets, type Logger } from '../util/logger';
import { defaultCacheKey, type CachedOffers, type OfferCache } from './cache';
import { selectOffers, type RankBy } from './rank';
import type { Offer, OfferQuery, OfferSource } from './types';

export interface ProviderOffers {
  provider: string;
  offers: Offer[];
  /** When the list was fetched (ISO); absent when there never was a list. */
  fetchedAt?: string;
  /** The list is older than the TTL: the refresh failed (see error) or is still running. */
  stale: boolean;
  /** Why the last fetch failed (already free of secrets). */
  error?: string;
  /** Items the provider sent that did not parse or had no price. */
  dropped: number;
  /** Served from the cache without asking the provider. */
  fromCache: boolean;
}

export interface AggregateOptions {
  cache?: OfferCache;
  signal: AbortSignal;
  now?: () => Date;
  /** Ask every provider even when its cached list is fresh. */
  refresh?: boolean;
  /**
   * Answer at once with expired cached lists (marked stale) and refresh them in the
   * background; `revalidated` resolves with the refreshed result.
   */
  staleWhileRevalidate?: boolean;
  rankBy?: RankBy;
  logger?: Logger;
}

export interface AggregateResult {
  /** One entry per source asked, in the order given. */
  providers: ProviderOffers[];
  /** Every provider's offers, filtered by the query and ranked. */
  offers: Offer[];
  /** With staleWhileRevalidate and something expired: the result once refreshed. Never rejects. */
  revalidated?: Promise<AggregateResult>;
}

export async function listAllOffers(sources: readonly OfferSource[], query: OfferQuery, opts: AggregateOptions): Promise<AggregateResult> {
  const { signal } = opts;
  const now = opts.now ?? (() => new Date());
  const logger = opts.logger ?? nullLogger;
  if (signal.aborted) throw new CancelledError();
  // A source the query excludes is not asked at all.
  const wanted = query.providers && query.providers.length > 0 ? sources.filter((s) => query.providers?.includes(s.name)) : [...sources];

  const fetchFresh = async (source: OfferSource, key: string, cached: CachedOffers | undefined): Promise<ProviderOffers> => {
    const fetchedAt = now().toISOString();
    try {
      const list = await source.listOffers(query, signal);
      const useCache = opts.cache && source.cacheable !== false;
      if (useCache) {
        await opts.cache
          ?.write({ provider: source.name, queryKey: key, fetchedAt, dropped: list.dropped, offers: list.offers })
          .catch((err: unknown) => logger.warn(`offers: could not cache ${source.name}'s list: ${errorMessage(err)}`));
      }
      return { provider: source.name, offers: list.offers, fetchedAt, stale: false, dropped: list.dropped, fromCache: false };
    } catch (err) {
      if (isCancelled(err) || signal.aborted) throw err instanceof CancelledError ? err : new CancelledError();
      const error = scrubSecrets(errorMessage(err));
      logger.warn(cached ? `${error} (showing the list from ${cached.fetchedAt})` : error);
      if (cached) {
        return { provider: source.name, offers: cached.offers, fetchedAt: cached.fetchedAt, stale: true, error, dropped: cached.dropped, fromCache: true };
      }
      return { provider: source.name, offers: [], stale: false, error, dropped: 0, fromCache: false };
    }
  };

  const background: Array<{ index: number; promise: Promise<ProviderOffers> }> = [];
  const first = await Promise.all(
    wanted.map(async (source, index): Promise<ProviderOffers> => {
      const key = source.cacheKey?.(query) ?? defaultCacheKey(query);
      const cacheable = opts.cache !== undefined && source.cacheable !== false;
      const cached = cacheable ? await opts.cache?.read(source.name, key) : undefined;
      if (cached && !opts.refresh) {
        const hit = { provider: source.name, offers: cached.offers, fetchedAt: cached.fetchedAt, dropped: cached.dropped, fromCache: true };
        if (opts.cache?.isFresh(cached, now())) return { ...hit, stale: false };
        if (opts.staleWhileRevalidate) {
          background.push({ index, promise: fetchFresh(source, key, cached) });
          return { ...hit, stale: true };
        }
      }
      return fetchFresh(source, key, cached);
    }),
  );

  const merge = (providers: ProviderOffers[]): AggregateResult => ({
    providers,
    offers: selectOffers(
      providers.flatMap((p) => p.offers),
      query,
      opts.rankBy,
    ),
  });
  const result = merge(first);
  if (background.length > 0) {
    result.revalidated = Promise.all(
      background.map(({ index, promise }) =>
        promise.then(
          (p) => ({ index, p }),
          // Cancelled while refreshing: keep what was shown.
          () => ({ index, p: first[index] as ProviderOffers }),
        ),
      ),
    ).then((done) => {
      const providers = [...first];
      for (const { index, p } of done) providers[index] = p;
      return merge(providers);
    });
  }
  return result;
}
