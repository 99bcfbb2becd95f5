/**
 * The GPU Offers view's filter: the same words as `ferry offers [QUERY] [--provider P]
 * [--max-price X] [--spot]`, typed into one box. A GPU query (`A100:80GB:1..2`, `RTX4090,L40S`,
 * `24GB..`), then options either as flags or as `key=value`:
 *
 *   A100:80GB --provider vast,runpod --max-price 2.5 --spot --region us
 *   RTX4090 provider=vast max=0.5 region=SE available
 *
 * No `vscode` here.
 */
import type { OfferQuery } from '../../core/offers/types';
import { parseGpuQuery } from '../../core/spec/gpuQuery';
import { errorMessage, UserError } from '../../core/util/errors';

export const FILTER_EXAMPLE = 'A100:80GB:1..2 --max-price 2.5 --provider vast,runpod --spot';

const KEYS: Readonly<Record<string, 'provider' | 'max-price' | 'region' | 'spot' | 'on-demand' | 'available'>> = {
  provider: 'provider',
  providers: 'provider',
  p: 'provider',
  'max-price': 'max-price',
  max: 'max-price',
  price: 'max-price',
  region: 'region',
  regions: 'region',
  spot: 'spot',
  'on-demand': 'on-demand',
  ondemand: 'on-demand',
  available: 'available',
  'available-only': 'available',
};

function list(v: string): string[] {
  return v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** Parses the filter text; throws UserError with what was wrong and an example. */
export function parseOfferFilter(text: string): OfferQuery {
  const words = text.trim().split(/\s+/).filter(Boolean);
  const q: OfferQuery = {};
  const gpuWords: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const w = words[i] as string;
    let key: string | undefined;
    let value: string | undefined;
    if (w.startsWith('--')) {
      const eq = w.indexOf('=');
      key = eq > 0 ? w.slice(2, eq) : w.slice(2);
      if (eq > 0) value = w.slice(eq + 1);
    } else if (/^[a-z-]+=/.test(w)) {
      const eq = w.indexOf('=');
      key = w.slice(0, eq);
      value = w.slice(eq + 1);
    } else if (KEYS[w] === 'spot' || KEYS[w] === 'on-demand' || KEYS[w] === 'available') {
      key = w;
    }
    if (key === undefined) {
      gpuWords.push(w);
      continue;
    }
    const kind = KEYS[key.toLowerCase()];
    if (!kind) throw new UserError(`unknown filter option "${key}"`, { hint: `options: --provider, --max-price, --region, --spot, --on-demand, --available (e.g. ${FILTER_EXAMPLE})` });
    if (kind === 'spot' || kind === 'on-demand' || kind === 'available') {
      if (value !== undefined && !/^(true|yes|1)$/i.test(value)) throw new UserError(`"${w}": ${kind} takes no value`);
      if (kind === 'spot') q.spot = true;
      else if (kind === 'on-demand') q.spot = false;
      else q.availableOnly = true;
      continue;
    }
    if (value === undefined) {
      value = words[i + 1];
      i++;
      if (value === undefined) throw new UserError(`--${kind} needs a value (e.g. ${FILTER_EXAMPLE})`);
    }
    if (kind === 'provider') q.providers = [...(q.providers ?? []), ...list(value.toLowerCase())];
    else if (kind === 'region') q.regions = [...(q.regions ?? []), ...list(value)];
    else {
      const n = Number(value.replace(/^\$/, '').replace(/\/h(our)?$/i, ''));
      if (!Number.isFinite(n) || n <= 0) throw new UserError(`--max-price "${value}" is not a price (USD per hour, e.g. 2.5)`);
      q.maxPricePerHour = n;
    }
  }
  if (gpuWords.length > 1) throw new UserError(`"${gpuWords.join(' ')}": one GPU query at most (join names with commas, e.g. RTX4090,L40S:24GB)`);
  const gpu = gpuWords[0];
  if (gpu !== undefined) {
    try {
      q.gpu = parseGpuQuery(gpu);
    } catch (err) {
      throw new UserError(`"${gpu}": ${errorMessage(err)}`);
    }
  }
  return q;
}

/** Remembered filters: most recent first, no duplicates, at most `max`. */
export function rememberFilter(history: readonly string[], text: string, max = 10): string[] {
  const t = text.trim();
  if (!t) return [...history].slice(0, max);
  return [t, ...history.filter((h) => h !== t)].slice(0, max);
}
