/** The offers module's public surface: adapters, own machines, ranking, cache, aggregation. */
export type {
  CloudProviderName,
  Instance,
  InstanceStatus,
  LaunchOptions,
  Offer,
  OfferGpu,
  OfferList,
  OfferQuery,
  OfferSource,
  Provider,
  ProviderName,
  SpotChoice,
  SshEndpoint,
} from './types';
export { ProviderError, isLaunchRefusal, type ProviderErrorKind } from './errors';
export { DEFAULT_RETRY, MinIntervalLimiter, type FetchFn, type RetryPolicy } from './http';
export { VastProvider, VAST_DEFAULT_URL, type VastOptions } from './vast';
export { RunpodProvider, RUNPOD_DEFAULT_URL, type RunpodOptions } from './runpod';
export { LambdaProvider, LAMBDA_DEFAULT_URL, type LambdaOptions } from './lambda';
export { CLOUD_PROVIDERS, cloudProvidersFromEnv, createProvider, providerConfigFromEnv, type ProviderConfig } from './registry';
export { localMachineOffer, sshHostAliases, sshHostOffers, staticOfferSource, type LocalMachineOfferOptions, type SshHostOfferOptions } from './localHosts';
export { parseNvidiaSmiGpus, summarizeGpus, type NvidiaSmiGpu } from './nvidiaSmi';
export { effectivePrice, filterOffers, rankMetric, rankOffers, regionMatches, selectOffers, type RankBy, type RankOptions } from './rank';
export { DEFAULT_OFFER_TTL_MS, OfferCache, OfferSchema, defaultCacheKey, offersCacheDir, type CachedOffers } from './cache';
export { listAllOffers, type AggregateOptions, type AggregateResult, type ProviderOffers } from './aggregate';
