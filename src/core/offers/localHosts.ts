/**
 * The user's own machines as offers, beside the marketplaces, so the offers list answers
 * "where can I run this, and for how much": every concrete Host alias of the ssh config
 * (`ssh:<alias>`) and this machine (`local`), at a configured USD/hour (default 0).
 */
import { statfsSync } from 'node:fs';
import { availableParallelism, homedir, hostname, totalmem } from 'node:os';
import SSHConfig from 'ssh-config';
import { z } from 'zod';
import { UserError } from '../util/errors';
import { canonicalGpuName, gpuVendor } from '../util/gpuNames';
import { summarizeGpus, type NvidiaSmiGpu } from './nvidiaSmi';
import type { Offer, OfferGpu, OfferList, OfferSource, ProviderName } from './types';

const Price = z.number().finite().nonnegative();
const Prices = z.record(z.string(), Price);
const GpuSetting = z.object({
  name: z.string().min(1),
  count: z.number().int().nonnegative(),
  memoryGb: z.number().nonnegative().default(0),
});

export interface SshHostOfferOptions {
  /** USD/hour per alias; others cost defaultPrice. */
  pricePerHour?: Record<string, number>;
  defaultPrice?: number;
  /** What each host has, when the user has said (Ferry does not log in to ask). */
  gpus?: Record<string, { name: string; count: number; memoryGb?: number }>;
  /** More aliases than the ssh config's (a setting's list); patterns are skipped the same way. */
  extraHosts?: string[];
  now?: () => Date;
}

const UNKNOWN_GPU: OfferGpu = { name: 'unknown', count: 0, memoryGb: 0, vendor: 'unknown' };

function checked<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const at = issue?.path.length ? `.${issue.path.map(String).join('.')}` : '';
  throw new UserError(`${what}${at}: ${issue?.message ?? 'invalid'}`);
}

function configuredGpu(setting: { name: string; count: number; memoryGb?: number } | undefined, alias: string): OfferGpu {
  if (!setting) return UNKNOWN_GPU;
  const g = checked(GpuSetting, setting, `gpus.${alias}`);
  const name = canonicalGpuName(g.name);
  const vendor = gpuVendor(name);
  return { name, count: g.count, memoryGb: g.memoryGb, vendor };
}

/** Concrete aliases of the `Host` lines, in file order: no patterns (`*`, `?`), no negations. */
export function sshHostAliases(sshConfigText: string): string[] {
  const parsed = SSHConfig.parse(sshConfigText);
  const out: string[] = [];
  for (const line of parsed) {
    if (line.type !== SSHConfig.DIRECTIVE || line.param.toLowerCase() !== 'host') continue;
    const values = typeof line.value === 'string' ? line.value.split(/\s+/) : line.value.map((v) => v.val);
    for (const alias of values) {
      if (alias === '' || /[*?!]/.test(alias) || out.includes(alias)) continue;
      out.push(alias);
    }
  }
  return out;
}

/** One offer per concrete Host alias. */
export function sshHostOffers(sshConfigText: string, opts: SshHostOfferOptions = {}): Offer[] {
  const prices = checked(Prices, opts.pricePerHour ?? {}, 'pricePerHour');
  const defaultPrice = checked(Price, opts.defaultPrice ?? 0, 'defaultPrice');
  const asOf = (opts.now ?? (() => new Date()))().toISOString();
  const parsed = SSHConfig.parse(sshConfigText);
  const aliases = sshHostAliases(sshConfigText);
  for (const extra of opts.extraHosts ?? []) if (!/[*?!]/.test(extra) && !aliases.includes(extra)) aliases.push(extra);
  return aliases.map((alias) => {
    // matchExec: false, so a `Match exec` line in the user's config never runs a command here.
    const computed = parsed.compute(alias, { matchExec: false, ignoreCase: true });
    const host = computed.hostname;
    const target = typeof host === 'string' && host !== '' ? host : alias;
    return {
      provider: 'ssh',
      id: `ssh:${alias}`,
      instanceType: target,
      gpu: configuredGpu(opts.gpus?.[alias], alias),
      cpus: 0,
      memoryGb: 0,
      diskGb: 0,
      region: 'ssh',
      pricePerHour: prices[alias] ?? defaultPrice,
      available: true,
      asOf,
    };
  });
}

export interface LocalMachineOfferOptions {
  pricePerHour?: number;
  /** The probe's result (parseNvidiaSmiGpus); undefined = not probed, [] = no NVIDIA GPU. */
  gpus?: readonly NvidiaSmiGpu[];
  now?: () => Date;
}

/** This machine: CPUs and memory from the os module, the GPU from the caller's probe. */
export function localMachineOffer(opts: LocalMachineOfferOptions = {}): Offer {
  const price = checked(Price, opts.pricePerHour ?? 0, 'pricePerHour');
  let diskGb = 0;
  try {
    const fs = statfsSync(homedir());
    diskGb = Math.round(((fs.bavail * fs.bsize) / 1024 ** 3) * 10) / 10;
  } catch {
    // Free disk is a nicety in the table; a platform without statfs shows 0.
  }
  return {
    provider: 'local',
    id: 'local',
    instanceType: hostname(),
    gpu: opts.gpus === undefined ? UNKNOWN_GPU : summarizeGpus(opts.gpus),
    cpus: availableParallelism(),
    memoryGb: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    diskGb,
    region: 'local',
    pricePerHour: price,
    available: true,
    asOf: (opts.now ?? (() => new Date()))().toISOString(),
  };
}

/** Wraps a function that yields offers (own machines) as an uncached OfferSource. */
export function staticOfferSource(name: ProviderName, offers: () => Offer[] | Promise<Offer[]>): OfferSource {
  return {
    name,
    cacheable: false,
    async listOffers(): Promise<OfferList> {
      return { offers: await offers(), dropped: 0 };
    },
  };
}
