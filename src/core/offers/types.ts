/**
 * The records every offers source produces, whatever provider it talks to (DESIGN.md,
 * "Offers"). Units are fixed here once: money is USD per hour for the whole instance (all its
 * GPUs), memory and disk are GB, times are ISO 8601 strings.
 */
import type { GpuQuery } from '../spec/types';

/** The marketplaces Ferry rents from. `ssh` and `local` are the user's own machines. */
export type CloudProviderName = 'vast' | 'runpod' | 'lambda';
export type ProviderName = CloudProviderName | 'ssh' | 'local' | (string & {});

export interface OfferGpu {
  /** Canonical name (canonicalGpuName), or 'unknown' for a machine whose GPU Ferry can't see. */
  name: string;
  /** GPUs in the instance; 0 for a machine without one (or not known). */
  count: number;
  /** Memory per GPU, GB. 0 when unknown. */
  memoryGb: number;
  vendor: 'nvidia' | 'amd' | 'intel' | 'unknown';
}

export interface Offer {
  provider: ProviderName;
  /** Unique across providers: `vast:12345678`, `lambda:gpu_1x_a10:us-east-1`, `ssh:box`. */
  id: string;
  /** The provider's own name for what is rented (Lambda type name, RunPod GPU type id...). */
  instanceType: string;
  gpu: OfferGpu;
  cpus: number;
  /** System RAM, GB. */
  memoryGb: number;
  diskGb: number;
  /** Provider's region or location text; 'any' where the provider places the instance itself. */
  region: string;
  /** On-demand USD/hour for the whole instance. Always finite: an offer without one is dropped. */
  pricePerHour: number;
  /** Interruptible USD/hour for the whole instance, when the provider sells it spot. */
  spotPricePerHour?: number;
  /** 0..1, as the provider reports it (Vast's host reliability). */
  reliability?: number;
  /** False when the provider lists the type but has no capacity now. */
  available: boolean;
  /** When this price was fetched (ISO 8601): the UI shows its age. */
  asOf: string;
}

export type InstanceStatus = 'pending' | 'running' | 'stopped' | 'terminated' | 'unknown';

export interface SshEndpoint {
  host: string;
  port: number;
  user: string;
}

export interface Instance {
  provider: ProviderName;
  /** The provider's instance id (Vast contract id, RunPod pod id, Lambda instance id). */
  id: string;
  name: string;
  status: InstanceStatus;
  /** The provider's own status word(s), for messages and for telling preemption apart. */
  rawStatus: string;
  offerId?: string;
  /** Present once the instance can be reached (the provider has published host and port). */
  ssh?: SshEndpoint;
  /** USD/hour as the provider reports it for this instance (the billed price, not the listed one). */
  pricePerHour: number;
  /** Ferry's labels (e.g. the job id), round-tripped through whatever the provider offers. */
  labels: Record<string, string>;
  createdAt?: string;
}

/** `true`: only spot, priced at the spot price. `'auto'`: the cheaper of the two. */
export type SpotChoice = boolean | 'auto';

export interface OfferQuery {
  gpu?: GpuQuery;
  /** Upper bound on the price that applies (spot price when asking for spot). */
  maxPricePerHour?: number;
  spot?: SpotChoice;
  /** Region names or country codes (see regionMatches); any of them. */
  regions?: string[];
  /** Provider names; any of them. */
  providers?: string[];
  /** Drop offers the provider lists without capacity. Default: keep them (ranked after equals). */
  availableOnly?: boolean;
}

export interface OfferList {
  offers: Offer[];
  /** Items in the provider's answer that did not parse or had no price. */
  dropped: number;
}

export interface LaunchOptions {
  /** The user's public key (one line, `ssh-ed25519 AAAA... comment`). */
  sshPublicKey: string;
  name: string;
  labels: Record<string, string>;
  /** Rent at the offer's spot price (interruptible). Refused when the offer has none. */
  spot?: boolean;
  /** Container image where the provider runs containers (Vast, RunPod). */
  image?: string;
  diskGb?: number;
}

/** Where offers come from: a marketplace adapter, or the user's own machines. */
export interface OfferSource {
  readonly name: ProviderName;
  /** False for sources that are cheap and local (ssh hosts, this machine): never cached. */
  readonly cacheable?: boolean;
  /**
   * Offers for the query. The source narrows on its server where it can, so the list may be
   * wider than the query (RunPod and Lambda price their whole catalogue): callers apply
   * filterOffers, as listAllOffers does. That keeps one cached list good for many queries.
   */
  listOffers(query: OfferQuery, signal: AbortSignal): Promise<OfferList>;
  /**
   * The part of a query this source sends to its server, as a string: lists fetched for equal
   * keys are interchangeable, so the cache can share them. Default: the whole GPU/price/spot part.
   */
  cacheKey?(query: OfferQuery): string;
}

/** A marketplace Ferry can rent from and give back to. */
export interface Provider extends OfferSource {
  readonly name: CloudProviderName | (string & {});
  launch(offer: Offer, opts: LaunchOptions, signal: AbortSignal): Promise<Instance>;
  /** undefined when the provider no longer knows the instance (terminated and forgotten). */
  getInstance(id: string, signal: AbortSignal): Promise<Instance | undefined>;
  listInstances(signal: AbortSignal): Promise<Instance[]>;
  /** Idempotent: an instance that is already gone is not an error. */
  terminate(id: string, signal: AbortSignal): Promise<void>;
}
