import { promises as fs } from 'node:fs';
import { homedir } from 'node:os';
import * as path from 'node:path';
import type { FerryConfig } from '../config';
import type { Logger } from '../util/logger';
import { localMachineOffer, sshHostOffers, staticOfferSource } from './localHosts';
import { cloudProvidersFromEnv } from './registry';
import { configuredSlurmSources } from './slurmSource';
import type { OfferSource, Provider } from './types';

/** FERRY_SSH_CONFIG, else ~/.ssh/config. */
export function sshConfigPath(env: NodeJS.ProcessEnv = process.env): string {
  return env.FERRY_SSH_CONFIG || path.join(env.HOME || homedir(), '.ssh', 'config');
}

export interface OfferSourcesOptions {
  env: NodeJS.ProcessEnv;
  config: FerryConfig;
  logger?: Logger;
  /** Include providers without an API key (they fail with a clear "set FERRY_X_API_KEY"). */
  allProviders?: boolean;
}

/**
 * Everywhere a job can run: the configured cloud providers, the user's own SSH hosts (priced by
 * config `ssh_prices`), and this machine. "Where can I run this, and for how much".
 */
export function offerSources(o: OfferSourcesOptions): { sources: OfferSource[]; providers: Provider[] } {
  const providers = cloudProvidersFromEnv(o.env, { all: o.allProviders, logger: o.logger });
  const ssh = staticOfferSource('ssh', async () => {
    const text = await fs.readFile(sshConfigPath(o.env), 'utf8').catch(() => '');
    return sshHostOffers(text, { pricePerHour: o.config.sshPrices });
  });
  const local = staticOfferSource('local', () => [localMachineOffer({ pricePerHour: o.config.localPricePerHour })]);
  return { sources: [...providers, ssh, ...configuredSlurmSources(o), local], providers };
}
