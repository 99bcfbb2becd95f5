/**
 * The run flow's choices, as plain data: where a spec can run (this machine, the user's SSH
 * hosts, the best cloud offers that fit its resources), each with its $/hour, and what a run
 * may cost at most (price × budget.max_duration). No `vscode` here.
 */
import { formatUsd } from '../../core/cost/meter';
import { slurmPricePerHour } from '../../core/slurm/cost';
import { selectOffers } from '../../core/offers/rank';
import type { Offer, OfferQuery } from '../../core/offers/types';
import { formatDuration } from '../../core/spec/duration';
import type { FerrySpec } from '../../core/spec/types';
import { formatPrice, gpuText, offerDescription, providerLabel } from '../offers/offerView';

export interface TargetChoice {
  /** The target ref the job records: `local`, `ssh:<alias>`, `vast`... */
  ref: string;
  label: string;
  description: string;
  detail?: string;
  pricePerHour: number;
  offer?: Offer;
  /** The spec names this target. */
  fromSpec: boolean;
}

/** The offers query a spec's `resources` stand for. */
export function specOfferQuery(spec: FerrySpec): OfferQuery {
  const r = spec.resources;
  return {
    ...(r.gpu ? { gpu: r.gpu } : {}),
    ...(r.max_price_per_hour !== undefined ? { maxPricePerHour: r.max_price_per_hour } : {}),
    spot: r.spot === 'spot' ? true : r.spot === 'auto' ? 'auto' : false,
    ...(r.providers ? { providers: [...r.providers] } : {}),
  };
}

/**
 * Own machines first (this machine, then SSH hosts), then up to `maxCloud` cloud offers that
 * fit, cheapest first. The spec's own target, when it names one, comes first of all.
 */
export function targetChoices(
  spec: FerrySpec,
  offers: readonly Offer[],
  opts: { localPricePerHour: number; maxCloud?: number; /** $/GPU-hour by cluster alias (config.yaml `slurm_prices`). */ slurmPrices?: Readonly<Record<string, number>> },
): TargetChoice[] {
  const own: TargetChoice[] = [];
  const local = offers.find((o) => o.provider === 'local');
  own.push({
    ref: 'local',
    label: '$(vm) This machine',
    description: formatPrice(local?.pricePerHour ?? opts.localPricePerHour),
    detail: local ? `${local.instanceType} · ${local.cpus} CPUs · ${local.memoryGb} GB RAM${local.gpu.count > 0 ? ` · ${gpuText(local)}` : ''}` : undefined,
    pricePerHour: local?.pricePerHour ?? opts.localPricePerHour,
    ...(local ? { offer: local } : {}),
    fromSpec: spec.target === 'local',
  });
  for (const o of offers) {
    if (o.provider !== 'ssh') continue;
    const ref = o.id.startsWith('ssh:') ? o.id : `ssh:${o.id}`;
    own.push({
      ref,
      label: `$(remote) ${ref.slice(4)}`,
      description: formatPrice(o.pricePerHour),
      detail: `SSH host ${o.instanceType}${o.gpu.count > 0 ? ` · ${gpuText(o)}` : ''}`,
      pricePerHour: o.pricePerHour,
      offer: o,
      fromSpec: spec.target === ref,
    });
  }
  own.push(...slurmChoices(spec, offers, opts.slurmPrices ?? {}));
  const query = specOfferQuery(spec);
  const cloud = selectOffers(
    offers.filter((o) => o.provider !== 'local' && o.provider !== 'ssh' && o.provider !== 'slurm' && o.available),
    query,
  ).slice(0, opts.maxCloud ?? 10);
  const cloudChoices: TargetChoice[] = cloud.map((o) => {
    const price = query.spot === true ? (o.spotPricePerHour ?? o.pricePerHour) : query.spot === 'auto' ? Math.min(o.spotPricePerHour ?? Infinity, o.pricePerHour) : o.pricePerHour;
    return {
      ref: o.provider,
      label: `$(cloud) ${gpuText(o)}`,
      description: offerDescription(o, { spot: query.spot, withProvider: true }),
      detail: `${providerLabel(o.provider)} offer ${o.id} · ${o.cpus} vCPU · ${o.memoryGb} GB RAM`,
      pricePerHour: price,
      offer: o,
      fromSpec: spec.target === o.provider,
    };
  });
  const all = [...own, ...cloudChoices];
  const first = all.findIndex((c) => c.fromSpec);
  if (first > 0) {
    const [c] = all.splice(first, 1);
    if (c) all.unshift(c);
  }
  return all;
}

/** The cluster alias of a Slurm offer (`slurm:<alias>:<partition>`, region `slurm:<alias>`). */
export function slurmAliasOfOffer(o: Offer): string | undefined {
  if (o.provider !== 'slurm') return undefined;
  const m = /^slurm:([^:]+)/.exec(o.region) ?? /^slurm:([^:]+)/.exec(o.id);
  return m?.[1];
}

/**
 * One choice per Slurm cluster, `slurm:<alias>`: every configured cluster (`slurm_prices` keys)
 * and every cluster the `slurm` offer source listed, with its partitions and idle nodes from
 * sinfo. The price is the whole allocation's: nodes x GPUs per node x the cluster's $/GPU-hour.
 */
export function slurmChoices(spec: FerrySpec, offers: readonly Offer[], slurmPrices: Readonly<Record<string, number>>): TargetChoice[] {
  const byAlias = new Map<string, Offer[]>();
  for (const alias of Object.keys(slurmPrices)) byAlias.set(alias, []);
  for (const o of offers) {
    const alias = slurmAliasOfOffer(o);
    if (!alias) continue;
    const list = byAlias.get(alias) ?? [];
    list.push(o);
    byAlias.set(alias, list);
  }
  const nodes = spec.resources.nodes ?? 1;
  return [...byAlias.entries()].map(([alias, list]) => {
    const ref = `slurm:${alias}`;
    const gpuPrice = slurmPrices[alias] ?? (list[0] && list[0].gpu.count > 0 ? list[0].pricePerHour / list[0].gpu.count : 0);
    const price = slurmPricePerHour(spec, gpuPrice);
    const parts = list.map((o) => o.instanceType);
    const idle = list.some((o) => o.available);
    return {
      ref,
      label: `$(server-environment) ${alias}`,
      description: `${formatPrice(price)} · Slurm${nodes > 1 ? ` · ${nodes} nodes` : ''}${list.length ? (idle ? ' · idle nodes now' : ' · no idle node now') : ''}`,
      detail: list.length ? `Slurm cluster · partitions: ${parts.join(', ')}` : 'Slurm cluster (partitions not listed: sinfo did not answer or offers not loaded)',
      pricePerHour: price,
      fromSpec: spec.target === ref,
    };
  });
}

export interface CostEstimate {
  /** USD at most, when the spec bounds the duration. */
  maxCost?: number;
  text: string;
}

/** `$1.20/h × 10m = at most $0.20` (or the open-ended form without max_duration). */
export function estimateCost(spec: FerrySpec, pricePerHour: number): CostEstimate {
  const secs = spec.budget.max_duration;
  const maxCost = spec.budget.max_cost;
  const rate = formatPrice(pricePerHour);
  if (pricePerHour <= 0) return { maxCost: 0, text: 'free (this machine costs $0.00/h; set ferry.local.pricePerHour to count it)' };
  let text: string;
  let bound: number | undefined;
  if (secs !== undefined) {
    bound = (pricePerHour * secs) / 3600;
    text = `${rate} × ${formatDuration(secs)} = at most ${formatUsd(bound)}`;
  } else text = `${rate} until the job ends (no budget.max_duration)`;
  if (maxCost !== undefined) {
    bound = bound === undefined ? maxCost : Math.min(bound, maxCost);
    text += `; stopped at budget.max_cost ${formatUsd(maxCost)}`;
  }
  return { ...(bound !== undefined ? { maxCost: bound } : {}), text };
}

/** "What is left of the budget" for the confirmation: the monthly cap minus this month's spend. */
export function budgetLeftText(monthlyBudget: number | undefined, monthSpent: number): string | undefined {
  if (monthlyBudget === undefined || monthlyBudget <= 0) return undefined;
  const left = Math.max(0, monthlyBudget - monthSpent);
  return `${formatUsd(left)} left of the ${formatUsd(monthlyBudget)} monthly budget`;
}

/** The choice for an offer picked in the GPU Offers view ("Run here..."), whether or not the spec's resources ask for it. */
export function choiceForOffer(spec: FerrySpec, offer: Offer): TargetChoice {
  if (offer.provider === 'local') {
    return { ref: 'local', label: '$(vm) This machine', description: formatPrice(offer.pricePerHour), pricePerHour: offer.pricePerHour, offer, fromSpec: spec.target === 'local' };
  }
  if (offer.provider === 'ssh') {
    const ref = offer.id.startsWith('ssh:') ? offer.id : `ssh:${offer.id}`;
    return { ref, label: `$(remote) ${ref.slice(4)}`, description: formatPrice(offer.pricePerHour), pricePerHour: offer.pricePerHour, offer, fromSpec: spec.target === ref };
  }
  const alias = slurmAliasOfOffer(offer);
  if (alias) {
    const ref = `slurm:${alias}`;
    const price = slurmPricePerHour(spec, offer.gpu.count > 0 ? offer.pricePerHour / offer.gpu.count : 0);
    return { ref, label: `$(server-environment) ${alias}`, description: formatPrice(price), detail: `Slurm partition ${offer.instanceType}`, pricePerHour: price, fromSpec: spec.target === ref };
  }
  const spot = specOfferQuery(spec).spot;
  const price = spot === true ? (offer.spotPricePerHour ?? offer.pricePerHour) : spot === 'auto' ? Math.min(offer.spotPricePerHour ?? Infinity, offer.pricePerHour) : offer.pricePerHour;
  return {
    ref: offer.provider,
    label: `$(cloud) ${gpuText(offer)}`,
    description: offerDescription(offer, { spot, withProvider: true }),
    detail: `${providerLabel(offer.provider)} offer ${offer.id}`,
    pricePerHour: price,
    offer,
    fromSpec: spec.target === offer.provider,
  };
}

function isCloudRef(p: string): p is 'vast' | 'runpod' | 'lambda' {
  return p === 'vast' || p === 'runpod' || p === 'lambda';
}

/**
 * The spec a run on a picked cloud offer records: the cloud target chooses among live offers
 * by the spec's resources, so they are narrowed to this offer's provider, GPU model and count,
 * and its price (what the user confirmed in the modal) becomes the ceiling, even above the
 * spec's own: picking the offer was the choice. A cheaper identical machine may still win; a
 * dearer or different one never does.
 */
export function pinSpecToOffer(spec: FerrySpec, offer: Offer, pricePerHour: number): FerrySpec {
  const provider: string = offer.provider;
  if (!isCloudRef(provider)) return spec;
  const ceiling = Math.ceil(Math.round(Math.max(pricePerHour, 0) * 1e6) / 1000) / 1000;
  const gpu =
    offer.gpu.count > 0 && offer.gpu.name !== 'unknown'
      ? { names: [offer.gpu.name], memoryGb: {}, count: { min: offer.gpu.count, max: offer.gpu.count }, raw: `${offer.gpu.name}:${offer.gpu.count}` }
      : spec.resources.gpu;
  return {
    ...spec,
    target: provider,
    resources: {
      ...spec.resources,
      ...(gpu ? { gpu } : {}),
      max_price_per_hour: ceiling,
      providers: [provider],
    },
  };
}
