/**
 * The GPU Offers view's model: every source's offers (this machine, SSH hosts, each configured
 * cloud provider), fetched together through core's listAllOffers, each with its own fate (a
 * failing provider keeps its last good list, marked stale, and never hides the others).
 * OffersTreeProvider maps it to nodes. No `vscode` here.
 */
import { readFile } from 'node:fs/promises';
import type { ProviderOffers } from '../../core/offers/aggregate';
import type { OfferCache } from '../../core/offers/cache';
import type { Offer, OfferSource } from '../../core/offers/types';
import { CancelledError, errorMessage, isCancelled } from '../../core/util/errors';
import type { Logger } from '../../core/util/logger';
import type { CloudProvider } from '../ids';

export interface OfferSourcesInfo {
  sources: OfferSource[];
  /** Cloud providers with a key (or a base URL). */
  cloud: string[];
  /** Concrete Host aliases in the ssh config. */
  sshHosts: number;
}

export interface OfferSourceSettings {
  localPricePerHour: number;
  sshConfigFile: string;
  sshPrices: Record<string, number>;
  sshGpus: Record<string, { name: string; count: number; memoryGb?: number }>;
  baseUrls: Record<CloudProvider, string>;
}

/** Builds the sources from settings and the keys there are. */
export async function buildOfferSources(
  s: OfferSourceSettings,
  keys: Partial<Record<CloudProvider, string>>,
  logger: Logger,
  env: NodeJS.ProcessEnv = process.env,
): Promise<OfferSourcesInfo> {
  // Loaded on first use (zod schemas, ssh-config): nothing here is needed to activate.
  const { localMachineOffer, sshHostAliases, sshHostOffers, staticOfferSource } = await import('../../core/offers/localHosts');
  const { createProvider } = await import('../../core/offers/registry');
  const sources: OfferSource[] = [staticOfferSource('local', () => [localMachineOffer({ pricePerHour: s.localPricePerHour })])];
  const sshText = await readFile(s.sshConfigFile, 'utf8').catch(() => '');
  let sshHosts = 0;
  try {
    sshHosts = sshHostAliases(sshText).length;
  } catch (err) {
    logger.warn(`ssh config ${s.sshConfigFile}: ${errorMessage(err)}`);
  }
  if (sshHosts > 0) sources.push(staticOfferSource('ssh', () => sshHostOffers(sshText, { pricePerHour: s.sshPrices, gpus: s.sshGpus })));
  const cloud: string[] = [];
  for (const name of ['vast', 'runpod', 'lambda'] as const) {
    const apiKey = keys[name];
    // The setting, else FERRY_<PROVIDER>_API_URL as the CLI reads it.
    const baseUrl = s.baseUrls[name] || env[`FERRY_${name.toUpperCase()}_API_URL`]?.trim() || undefined;
    if (!apiKey) continue;
    cloud.push(name);
    sources.push(createProvider({ name, apiKey, ...(baseUrl ? { baseUrl } : {}) }, { logger }));
  }
  return { sources, cloud, sshHosts };
}

export interface OffersModelDeps {
  logger: Logger;
  loadSources(): Promise<OfferSourcesInfo>;
  /** FERRY_HOME: provider lists are cached under it (shared with `ferry offers`). */
  home?: string;
  ttlMs?: number;
}

export class OffersModel {
  private data: ProviderOffers[] = [];
  private info: OfferSourcesInfo | undefined;
  private running: { promise: Promise<void>; abort: AbortController } | undefined;
  private readonly listeners = new Set<() => void>();
  loadedAt: number | undefined;
  /** Why building the sources failed (not a provider's failure: those are per provider). */
  error: string | undefined;

  private cache: OfferCache | undefined;

  constructor(private readonly deps: OffersModelDeps) {}

  get providers(): readonly ProviderOffers[] {
    return this.data;
  }

  get cloudConfigured(): readonly string[] {
    return this.info?.cloud ?? [];
  }

  get sshHosts(): number {
    return this.info?.sshHosts ?? 0;
  }

  get loading(): boolean {
    return this.running !== undefined;
  }

  /** Nothing but this machine to show: the view shows its welcome content instead. */
  get onlyThisMachine(): boolean {
    return this.info !== undefined && this.info.cloud.length === 0 && this.info.sshHosts === 0;
  }

  get offers(): Offer[] {
    return this.data.flatMap((p) => p.offers);
  }

  onDidChange(listener: () => void): { dispose(): void } {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  isOlderThan(ms: number, now = Date.now()): boolean {
    return this.loadedAt === undefined || now - this.loadedAt >= ms;
  }

  /**
   * Loads every source. `force` asks the providers even when their cached lists are fresh.
   * A refresh already running is reused unless `force`, which cancels it and starts over.
   */
  refresh(opts: { force?: boolean; signal?: AbortSignal } = {}): Promise<void> {
    if (this.running && !opts.force) return this.running.promise;
    this.running?.abort.abort();
    const abort = new AbortController();
    const onOuter = () => abort.abort();
    opts.signal?.addEventListener('abort', onOuter, { once: true });
    const run = (async () => {
      try {
        this.info = await this.deps.loadSources();
        this.error = undefined;
        this.fire();
        const { listAllOffers } = await import('../../core/offers/aggregate');
        if (!this.cache && this.deps.home) {
          const { OfferCache, offersCacheDir } = await import('../../core/offers/cache');
          this.cache = new OfferCache({ dir: offersCacheDir(this.deps.home), ...(this.deps.ttlMs ? { ttlMs: this.deps.ttlMs } : {}) });
        }
        const result = await listAllOffers(this.info.sources, {}, {
          signal: abort.signal,
          cache: this.cache,
          refresh: opts.force === true,
          logger: this.deps.logger,
        });
        if (abort.signal.aborted) throw new CancelledError();
        this.data = result.providers;
        this.loadedAt = Date.now();
      } catch (err) {
        if (isCancelled(err) || abort.signal.aborted) return;
        this.error = errorMessage(err);
        this.deps.logger.warn(`offers: ${this.error}`);
      } finally {
        opts.signal?.removeEventListener('abort', onOuter);
        if (this.running?.abort === abort) this.running = undefined;
        this.fire();
      }
    })();
    this.running = { promise: run, abort };
    this.fire();
    return run;
  }

  private fire(): void {
    for (const l of [...this.listeners]) l();
  }

  dispose(): void {
    this.running?.abort.abort();
    this.listeners.clear();
  }
}
