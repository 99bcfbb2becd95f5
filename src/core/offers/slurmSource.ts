/**
 * Slurm clusters as offers: for every cluster the user configured (the keys of config.yaml's
 * `slurm_prices`, login-node aliases of the ssh config), one offer per partition (and node
 * configuration within it) from `sinfo` on the login node, so "where can I run this" includes
 * the user's clusters. An offer is one node of the partition: its GPUs per node, CPUs, memory,
 * priced at GPUs x the cluster's price per GPU-hour; available when the partition is up and has
 * an idle node now.
 */
import { canonicalGpuName, gpuVendor } from '../util/gpuNames';
import { errorMessage, InfraError } from '../util/errors';
import type { Logger } from '../util/logger';
import { SshPool } from '../remote/pool';
import { shJoin } from '../util/quote';
import { gpusOfGres, parseSinfo, SINFO_FORMAT, type SinfoRow } from '../slurm/parse';
import type { Offer, OfferGpu, OfferList, OfferSource } from './types';

/** The sinfo command run on the login node: one line per partition and node configuration. */
export const SINFO_COMMAND = shJoin(['sinfo', '-h', '-o', SINFO_FORMAT]);

export interface SlurmOfferOptions {
  /** $/GPU-hour of the cluster (default 0). */
  pricePerGpuHour?: number;
  now?: () => Date;
}

/** Offers for one cluster from its sinfo output (`sinfo -h -o SINFO_FORMAT`). */
export function slurmPartitionOffers(alias: string, sinfoOut: string, opts: SlurmOfferOptions = {}): Offer[] {
  const price = Math.max(0, opts.pricePerGpuHour ?? 0);
  const asOf = (opts.now ?? (() => new Date()))().toISOString();
  const rows = parseSinfo(sinfoOut);
  const seen = new Map<string, number>();
  return rows.map((row) => {
    const gpu = offerGpu(row);
    const base = `slurm:${alias}:${row.partition}`;
    const n = (seen.get(base) ?? 0) + 1;
    seen.set(base, n);
    return {
      provider: 'slurm',
      // A partition with nodes of several configurations has one row (and offer) per configuration.
      id: n === 1 ? base : `${base}#${n}`,
      instanceType: `${row.partition}${row.isDefault ? '*' : ''} (${row.nodes.idle}/${row.nodes.total} nodes idle)`,
      gpu,
      cpus: row.cpusPerNode,
      memoryGb: Math.round((row.memoryMbPerNode / 1024) * 10) / 10,
      diskGb: 0,
      region: `slurm:${alias}`,
      pricePerHour: gpu.count * price,
      available: row.up && row.nodes.idle > 0,
      asOf,
    };
  });
}

function offerGpu(row: SinfoRow): OfferGpu {
  const g = gpusOfGres(row.gres);
  if (g.count === 0) return { name: 'none', count: 0, memoryGb: 0, vendor: 'unknown' };
  if (!g.name) return { name: 'unknown', count: g.count, memoryGb: 0, vendor: 'unknown' };
  const name = canonicalGpuName(g.name);
  return { name, count: g.count, memoryGb: 0, vendor: gpuVendor(name) };
}

export interface SlurmOfferSourceOptions {
  /** $/GPU-hour by login-node alias; its keys are the clusters listed. */
  prices: Record<string, number>;
  /** Runs a command on the login node, resolves with stdout (rejects on a non-zero exit). */
  exec(alias: string, cmd: string, signal: AbortSignal): Promise<string>;
  logger?: Logger;
  now?: () => Date;
}

/**
 * An uncached OfferSource over the configured clusters. A cluster that does not answer is left
 * out (and logged); the source fails only when every cluster does.
 */
export function slurmOfferSource(o: SlurmOfferSourceOptions): OfferSource {
  return {
    name: 'slurm',
    cacheable: false,
    async listOffers(_query, signal): Promise<OfferList> {
      const aliases = Object.keys(o.prices);
      const results = await Promise.allSettled(aliases.map(async (alias) => slurmPartitionOffers(alias, await o.exec(alias, SINFO_COMMAND, signal), { pricePerGpuHour: o.prices[alias], now: o.now })));
      const offers: Offer[] = [];
      const errors: string[] = [];
      results.forEach((r, i) => {
        if (r.status === 'fulfilled') offers.push(...r.value);
        else {
          const msg = `slurm:${aliases[i]}: ${errorMessage(r.reason)}`;
          errors.push(msg);
          o.logger?.warn(`offers: ${msg}`);
        }
      });
      if (aliases.length > 0 && errors.length === aliases.length) throw new InfraError(errors.join('; '));
      return { offers, dropped: 0 };
    },
  };
}

/**
 * The clusters of `$FERRY_HOME/config.yaml` (`slurm_prices` keys) as one source, or none when
 * no cluster is configured. sinfo runs over SSH (ssh config and known_hosts as for targets:
 * FERRY_SSH_CONFIG, FERRY_KNOWN_HOSTS); each listing opens its own connections and closes them.
 */
export function configuredSlurmSources(o: { env: NodeJS.ProcessEnv; config: { slurmPrices: Record<string, number> }; logger?: Logger }): OfferSource[] {
  if (Object.keys(o.config.slurmPrices).length === 0) return [];
  const inner = (exec: SlurmOfferSourceOptions['exec']) => slurmOfferSource({ prices: o.config.slurmPrices, exec, logger: o.logger });
  return [
    {
      name: 'slurm',
      cacheable: false,
      async listOffers(query, signal): Promise<OfferList> {
        const pool = new SshPool({ env: o.env, logger: o.logger });
        try {
          return await inner((alias, cmd, sig) => pool.get(alias).run(cmd, { signal: sig, timeoutMs: 30_000, what: 'sinfo' })).listOffers(query, signal);
        } finally {
          pool.closeAll();
        }
      },
    },
  ];
}
