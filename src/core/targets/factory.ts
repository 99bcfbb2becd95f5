import type { FerryConfig } from '../config';
import { cloudProvidersFromEnv } from '../offers/registry';
import type { HostKeyPrompt } from '../remote/connection';
import { UserError } from '../util/errors';
import type { Logger } from '../util/logger';
import { CloudTarget } from './cloud';
import { LocalTarget } from './local';
import { SlurmTarget } from './slurm';
import { SshTarget } from './ssh';
import type { Target } from './target';

export interface TargetFactoryOptions {
  home: string;
  env: NodeJS.ProcessEnv;
  logger: Logger;
  config?: FerryConfig;
  /** Unknown SSH host keys: ask the user (CLI prompt, VS Code modal). Absent: refused. */
  confirmHostKey?: (p: HostKeyPrompt) => Promise<boolean>;
  /** Passphrase of an encrypted key. */
  passphrase?: (keyPath: string) => Promise<string | undefined>;
  /** API keys from elsewhere (VS Code SecretStorage), by provider; the environment wins. */
  apiKeys?: Partial<Record<'vast' | 'runpod' | 'lambda', string>>;
}

const CLOUD_REFS = new Set(['vast', 'runpod', 'lambda', 'cheapest']);

/** Builds the Target for a target ref (`local`, `ssh:<alias>`, a provider, `cheapest`). */
export async function createTarget(ref: string, opts: TargetFactoryOptions): Promise<Target> {
  if (ref === 'local') return new LocalTarget({ home: opts.home, pricePerHour: opts.config?.localPricePerHour ?? 0 });
  if (ref.startsWith('ssh:')) {
    const alias = ref.slice(4);
    if (!alias) throw new UserError('target "ssh:" needs a host alias, e.g. ssh:gpu-box');
    return new SshTarget({
      alias,
      pricePerHour: opts.config?.sshPrices[alias] ?? 0,
      confirmHostKey: opts.confirmHostKey,
      passphrase: opts.passphrase,
      logger: opts.logger,
      env: opts.env,
    });
  }
  if (ref.startsWith('slurm:')) {
    const alias = ref.slice(6);
    if (!alias) throw new UserError('target "slurm:" needs the login node\'s host alias, e.g. slurm:cluster');
    return new SlurmTarget({
      alias,
      pricePerGpuHour: slurmPricePerGpuHour(opts, alias),
      confirmHostKey: opts.confirmHostKey,
      passphrase: opts.passphrase,
      logger: opts.logger,
      env: opts.env,
    });
  }
  if (CLOUD_REFS.has(ref)) {
    const env: NodeJS.ProcessEnv = { ...opts.env };
    for (const [name, key] of Object.entries(opts.apiKeys ?? {})) {
      const v = `FERRY_${name.toUpperCase()}_API_KEY`;
      if (key && !env[v]) env[v] = key;
    }
    const providers = cloudProvidersFromEnv(env, { logger: opts.logger }).filter((p) => ref === 'cheapest' || p.name === ref);
    if (providers.length === 0 && ref !== 'cheapest') {
      throw new UserError(`target "${ref}": no API key for ${ref}`, { hint: `set FERRY_${ref.toUpperCase()}_API_KEY (or configure it in VS Code: Ferry: Configure Provider API Key...)` });
    }
    return new CloudTarget({ ref, providers, home: opts.home, logger: opts.logger });
  }
  throw new UserError(`target "${ref}" is not a target`, { hint: 'expected local, ssh:<alias>, slurm:<alias>, vast, runpod, lambda or cheapest' });
}

/**
 * A cluster's price per GPU-hour: `slurm_prices: {<alias>: 0.5}` in the config (read as
 * `slurmPrices` once config.ts carries it), else FERRY_SLURM_PRICE_PER_GPU_HOUR, else 0.
 */
function slurmPricePerGpuHour(opts: TargetFactoryOptions, alias: string): number {
  const fromConfig = (opts.config as { slurmPrices?: Record<string, number> } | undefined)?.slurmPrices?.[alias];
  if (typeof fromConfig === 'number' && Number.isFinite(fromConfig)) return fromConfig;
  const env = Number(opts.env.FERRY_SLURM_PRICE_PER_GPU_HOUR);
  return Number.isFinite(env) && env > 0 ? env : 0;
}
