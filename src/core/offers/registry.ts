/**
 * Building the cloud providers from the environment (DESIGN.md, "Command line contract"):
 * FERRY_<PROVIDER>_API_KEY and FERRY_<PROVIDER>_API_URL for VAST, RUNPOD, LAMBDA. The CLI
 * calls this with process.env; the extension passes keys from SecretStorage instead.
 */
import type { Logger } from '../util/logger';
import type { FetchFn, RetryPolicy } from './http';
import { LambdaProvider } from './lambda';
import { RunpodProvider } from './runpod';
import type { CloudProviderName, Provider } from './types';
import { VastProvider } from './vast';

export const CLOUD_PROVIDERS: readonly CloudProviderName[] = ['vast', 'runpod', 'lambda'];

export interface ProviderConfig {
  name: CloudProviderName;
  apiKey?: string;
  baseUrl?: string;
  /** A key or a URL is set: the user means to use this provider. */
  configured: boolean;
}

export interface ProviderCommonOptions {
  fetch?: FetchFn;
  logger?: Logger;
  now?: () => Date;
  retry?: Partial<RetryPolicy>;
}

function envValue(env: Record<string, string | undefined>, name: string): string | undefined {
  const v = env[name]?.trim();
  return v ? v : undefined;
}

export function providerConfigFromEnv(name: CloudProviderName, env: Record<string, string | undefined> = process.env): ProviderConfig {
  const prefix = `FERRY_${name.toUpperCase()}_`;
  const apiKey = envValue(env, `${prefix}API_KEY`);
  const baseUrl = envValue(env, `${prefix}API_URL`);
  return { name, apiKey, baseUrl, configured: apiKey !== undefined || baseUrl !== undefined };
}

export function createProvider(config: Omit<ProviderConfig, 'configured'>, common: ProviderCommonOptions = {}): Provider {
  const opts = { apiKey: config.apiKey, baseUrl: config.baseUrl, ...common };
  switch (config.name) {
    case 'vast':
      return new VastProvider(opts);
    case 'runpod':
      return new RunpodProvider(opts);
    case 'lambda':
      return new LambdaProvider(opts);
  }
}

/**
 * The providers the environment configures (a key or a URL), or all three with `all`
 * (Vast and RunPod list offers without a key; Lambda then reports that its key is missing).
 */
export function cloudProvidersFromEnv(
  env: Record<string, string | undefined> = process.env,
  common: ProviderCommonOptions & { all?: boolean } = {},
): Provider[] {
  const { all, ...rest } = common;
  return CLOUD_PROVIDERS.map((n) => providerConfigFromEnv(n, env))
    .filter((c) => all || c.configured)
    .map((c) => createProvider(c, rest));
}
