/**
 * How offers read in the GPU Offers view, as plain data: grouped by provider then GPU model, or
 * by GPU model first; one error node per failing provider; a node that says why a filtered
 * list is empty. No `vscode` here (unit-tested); OffersTreeProvider turns it into TreeItems.
 */
import type { ProviderOffers } from '../../core/offers/aggregate';
import { effectivePrice, filterOffers, rankOffers } from '../../core/offers/rank';
import type { Offer, OfferQuery } from '../../core/offers/types';
import type { IconSpec } from '../jobs/jobView';
import { formatElapsed } from '../jobs/jobView';

export type GroupBy = 'provider' | 'gpu';

export type OfferNode =
  | { kind: 'group'; id: string; label: string; description: string; tooltip: string; icon: IconSpec; contextValue: string; children: OfferNode[] }
  | { kind: 'offer'; id: string; label: string; description: string; tooltip: string; icon: IconSpec; contextValue: string; offer: Offer }
  | { kind: 'error'; id: string; label: string; description: string; tooltip: string; icon: IconSpec; contextValue: string; provider: string }
  | { kind: 'info'; id: string; label: string; description: string; tooltip: string; icon: IconSpec; contextValue: string; command?: 'clearFilter' | 'configure' };

const PROVIDER_NAMES: Readonly<Record<string, string>> = {
  local: 'This machine',
  ssh: 'SSH hosts',
  vast: 'Vast.ai',
  runpod: 'RunPod',
  lambda: 'Lambda',
};

const PROVIDER_ORDER = ['local', 'ssh', 'vast', 'runpod', 'lambda'];

export function providerLabel(p: string): string {
  return PROVIDER_NAMES[p] ?? p;
}

function providerRank(p: string): number {
  const i = PROVIDER_ORDER.indexOf(p);
  return i < 0 ? PROVIDER_ORDER.length : i;
}

/** `1x RTX 4090 24GB`; own machines read by name: `gpu-box`, `This machine (host)`. */
export function offerLabel(o: Offer): string {
  if (o.provider === 'local') return `This machine (${o.instanceType})`;
  if (o.provider === 'ssh') return o.id.replace(/^ssh:/, '');
  return gpuText(o);
}

export function gpuText(o: Offer): string {
  if (o.gpu.count === 0 || o.gpu.name === 'unknown') return o.gpu.count > 0 ? `${o.gpu.count}x GPU` : 'no GPU';
  return `${o.gpu.count}x ${o.gpu.name}${o.gpu.memoryGb > 0 ? ` ${Math.round(o.gpu.memoryGb)}GB` : ''}`;
}

export function formatPrice(usdPerHour: number): string {
  return `$${usdPerHour < 0.1 && usdPerHour > 0 ? usdPerHour.toFixed(3) : usdPerHour.toFixed(2)}/h`;
}

/** `$0.34/h · Texas, US · 99.2%` (spot price shown when asked for, reliability when known). */
export function offerDescription(o: Offer, opts: { spot?: OfferQuery['spot']; withProvider?: boolean } = {}): string {
  const price = effectivePrice(o, opts.spot) ?? o.pricePerHour;
  const bits: string[] = [];
  if (opts.withProvider) bits.push(providerLabel(o.provider));
  bits.push(formatPrice(price) + (opts.spot === true || (opts.spot === 'auto' && o.spotPricePerHour !== undefined && price === o.spotPricePerHour && price < o.pricePerHour) ? ' spot' : ''));
  if (o.provider === 'local' || o.provider === 'ssh') {
    if (o.gpu.count > 0 && o.gpu.name !== 'unknown') bits.push(gpuText(o));
    if (o.provider === 'ssh' && o.instanceType) bits.push(o.instanceType);
  } else if (o.region && o.region !== 'any') bits.push(o.region);
  if (o.reliability !== undefined) bits.push(`${(o.reliability * 100).toFixed(1)}%`);
  if (!o.available) bits.push('sold out');
  return bits.join(' · ');
}

export function offerTooltip(o: Offer, now: Date): string {
  const age = now.getTime() - Date.parse(o.asOf);
  const lines = [
    `${providerLabel(o.provider)}: ${gpuText(o)}${o.gpu.vendor !== 'unknown' ? ` (${o.gpu.vendor})` : ''}`,
    `offer ${o.id} · ${o.instanceType}`,
    `on-demand ${formatPrice(o.pricePerHour)}${o.spotPricePerHour !== undefined ? ` · spot ${formatPrice(o.spotPricePerHour)}` : ''}`,
    `${o.cpus} vCPU · ${o.memoryGb} GB RAM · ${o.diskGb} GB disk`,
    `region: ${o.region}`,
  ];
  if (o.reliability !== undefined) lines.push(`reliability: ${(o.reliability * 100).toFixed(1)}%`);
  lines.push(o.available ? 'available now' : 'no capacity now');
  lines.push(`price as of ${o.asOf} (${Number.isFinite(age) ? `${formatElapsed(age)} ago` : 'unknown age'})`);
  return lines.join('\n');
}

function offerNode(o: Offer, parent: string, opts: { spot?: OfferQuery['spot']; withProvider?: boolean }, now: Date): OfferNode {
  const own = o.provider === 'local' || o.provider === 'ssh';
  return {
    kind: 'offer',
    id: `${parent}/${o.id}`,
    label: offerLabel(o),
    description: offerDescription(o, opts),
    tooltip: offerTooltip(o, now),
    icon: { id: o.provider === 'local' ? 'vm' : own ? 'remote' : 'circuit-board', color: o.available ? undefined : 'disabledForeground' },
    contextValue: `ferry:offer:${o.provider}${o.available ? '' : '+unavailable'}`,
    offer: o,
  };
}

export interface OfferTreeInput {
  providers: readonly ProviderOffers[];
  query: OfferQuery;
  /** The text the query came from, for the "nothing matches" node. */
  filterText?: string;
  groupBy: GroupBy;
  /** Most offers under one GPU group (the cheapest); the rest are counted. */
  perGroup: number;
  now: Date;
}

function byGpu(offers: readonly Offer[]): Map<string, Offer[]> {
  const m = new Map<string, Offer[]>();
  for (const o of offers) {
    const key = o.gpu.count === 0 || o.gpu.name === 'unknown' ? 'Other machines' : o.gpu.name;
    const arr = m.get(key);
    if (arr) arr.push(o);
    else m.set(key, [o]);
  }
  return m;
}

function gpuGroupDescription(offers: readonly Offer[], spot: OfferQuery['spot']): string {
  const prices = offers.map((o) => effectivePrice(o, spot) ?? o.pricePerHour);
  const min = Math.min(...prices);
  return `${offers.length} offer${offers.length === 1 ? '' : 's'} · from ${formatPrice(min)}`;
}

function limited(children: OfferNode[], all: number, parent: string, perGroup: number): OfferNode[] {
  if (all <= perGroup) return children;
  return [
    ...children,
    {
      kind: 'info',
      id: `${parent}/more`,
      label: `${all - perGroup} more`,
      description: 'narrow the filter to see them',
      tooltip: `Only the ${perGroup} cheapest are listed (setting ferry.offers.maxPerGroup).`,
      icon: { id: 'ellipsis' },
      contextValue: 'ferry:info',
    },
  ];
}

function gpuGroups(offers: readonly Offer[], parent: string, input: OfferTreeInput, withProvider: boolean): OfferNode[] {
  const groups = byGpu(offers);
  const cheapest = (arr: readonly Offer[]) => Math.min(...arr.map((o) => effectivePrice(o, input.query.spot) ?? o.pricePerHour));
  return [...groups.entries()]
    .sort(([a, x], [b, y]) => cheapest(x) - cheapest(y) || a.localeCompare(b))
    .map(([gpu, arr]) => {
      const id = `${parent}/gpu:${gpu}`;
      const shown = arr.slice(0, input.perGroup).map((o) => offerNode(o, id, { spot: input.query.spot, withProvider }, input.now));
      return {
        kind: 'group' as const,
        id,
        label: gpu,
        description: gpuGroupDescription(arr, input.query.spot),
        tooltip: `${arr.length} offers of ${gpu}`,
        icon: { id: 'chip' },
        contextValue: 'ferry:gpuGroup',
        children: limited(shown, arr.length, id, input.perGroup),
      };
    });
}

function errorNode(p: ProviderOffers, parent: string): OfferNode {
  return {
    kind: 'error',
    id: `${parent}/error`,
    label: p.offers.length > 0 ? 'Could not refresh' : 'Could not list offers',
    description: p.error ?? '',
    tooltip: `${providerLabel(p.provider)}: ${p.error ?? 'failed'}${p.fetchedAt && p.offers.length ? `\nShowing the list from ${p.fetchedAt}.` : ''}\nClick to retry.`,
    icon: { id: 'error', color: 'errorForeground' },
    contextValue: `ferry:offersError:${p.provider}`,
    provider: p.provider,
  };
}

/** The whole tree for the current data, filter and grouping. */
export function buildOfferTree(input: OfferTreeInput): OfferNode[] {
  const { providers, query, now } = input;
  const filtered = providers.map((p) => ({ p, offers: rankOffers(filterOffers(p.offers, query), { spot: query.spot }) }));
  const filterOn = input.filterText !== undefined && input.filterText.trim() !== '';
  const total = filtered.reduce((n, f) => n + f.offers.length, 0);

  let nodes: OfferNode[];
  if (input.groupBy === 'gpu') {
    const all = rankOffers(
      filtered.flatMap((f) => f.offers),
      { spot: query.spot },
    );
    nodes = gpuGroups(all, 'gpu', input, true);
    for (const f of filtered) if (f.p.error) nodes.push({ ...errorNode(f.p, `gpu/${f.p.provider}`), label: `${providerLabel(f.p.provider)}: could not list offers` });
  } else {
    nodes = [...filtered]
      .sort((a, b) => providerRank(a.p.provider) - providerRank(b.p.provider))
      .map(({ p, offers }) => {
        const id = `provider:${p.provider}`;
        const own = p.provider === 'local' || p.provider === 'ssh';
        const children: OfferNode[] = [];
        if (p.error) children.push(errorNode(p, id));
        if (own) children.push(...offers.map((o) => offerNode(o, id, { spot: query.spot }, now)));
        else children.push(...gpuGroups(offers, id, input, false));
        if (offers.length === 0 && !p.error) {
          children.push({
            kind: 'info',
            id: `${id}/none`,
            label: filterOn ? 'No offers match the filter' : 'No offers right now',
            description: filterOn ? (input.filterText ?? '') : '',
            tooltip: filterOn ? `Nothing from ${providerLabel(p.provider)} matches "${input.filterText ?? ''}".` : `${providerLabel(p.provider)} lists nothing at the moment.`,
            icon: { id: 'info' },
            contextValue: 'ferry:info',
          });
        }
        const age = p.fetchedAt ? now.getTime() - Date.parse(p.fetchedAt) : NaN;
        const bits = [`${offers.length}${offers.length !== p.offers.length ? ` of ${p.offers.length}` : ''} offer${p.offers.length === 1 ? '' : 's'}`];
        if (!own && Number.isFinite(age)) bits.push(`${formatElapsed(age)} ago`);
        if (p.stale) bits.push('stale');
        if (p.error) bits.push('error');
        return {
          kind: 'group' as const,
          id,
          label: providerLabel(p.provider),
          description: bits.join(' · '),
          tooltip: `${providerLabel(p.provider)}${p.fetchedAt ? `\nlisted at ${p.fetchedAt}` : ''}${p.dropped ? `\n${p.dropped} offers dropped (did not parse)` : ''}${p.error ? `\nlast error: ${p.error}` : ''}`,
          icon: { id: p.error ? 'warning' : own ? 'vm' : 'cloud', color: p.error ? 'list.warningForeground' : undefined },
          contextValue: `ferry:provider:${p.provider}${p.error ? '+error' : ''}${p.stale ? '+stale' : ''}`,
          children,
        };
      });
  }
  if (filterOn && total === 0) {
    nodes.unshift({
      kind: 'info',
      id: 'filter/empty',
      label: `No offers match "${input.filterText ?? ''}"`,
      description: 'click to clear the filter',
      tooltip: 'The filter hides every offer. Click to clear it.',
      icon: { id: 'filter' },
      contextValue: 'ferry:info:filter',
      command: 'clearFilter',
    });
  }
  return nodes;
}
