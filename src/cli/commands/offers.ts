import type { Command } from 'commander';
import { formatUsd } from '../../core/cost/meter';
import { listAllOffers } from '../../core/offers/aggregate';
import { OfferCache, offersCacheDir } from '../../core/offers/cache';
import type { RankBy } from '../../core/offers/rank';
import { offerSources } from '../../core/offers/sources';
import type { OfferQuery } from '../../core/offers/types';
import { parseGpuQuery } from '../../core/spec/gpuQuery';
import { parseMoney } from '../../core/spec/money';
import { UserError, errorMessage } from '../../core/util/errors';
import { act } from '../action';
import type { CliContext } from '../context';
import { err, formatAge, out, table } from '../io';

function bad<T>(what: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw new UserError(`${what}: ${errorMessage(e)}`);
  }
}

export function registerOffers(program: Command, ctx: () => CliContext): void {
  program
    .command('offers')
    .description('GPU offers from every configured provider, your SSH hosts and this machine, cheapest first')
    .argument('[query]', 'GPU query: name[,name][:memory][:count], e.g. A100:80GB:1..2, 24GB.., RTX4090,L40S:1')
    .option('-p, --provider <names>', 'only these providers (comma-separated: vast,runpod,lambda,ssh,local)')
    .option('--max-price <usd>', 'highest $/hour')
    .option('--spot', 'interruptible (spot) prices only')
    .option('--region <regions>', 'region names or country codes (comma-separated)')
    .option('--sort <by>', 'price | gpu-hour | gpu-memory', 'price')
    .option('--refresh', 'ask every provider now, ignoring the cache')
    .option('--limit <n>', 'rows to show (table only)', '30')
    .option('--json', 'print the offers as a JSON array, sorted as shown')
    .action(act(async (q: string | undefined, o: { provider?: string; maxPrice?: string; spot?: boolean; region?: string; sort: string; refresh?: boolean; limit: string; json?: boolean }) => {
      const c = ctx();
      if (!['price', 'gpu-hour', 'gpu-memory'].includes(o.sort)) throw new UserError(`--sort "${o.sort}" (expected price, gpu-hour or gpu-memory)`);
      const query: OfferQuery = {
        ...(q ? { gpu: bad(`query "${q}"`, () => parseGpuQuery(q)) } : {}),
        ...(o.maxPrice !== undefined ? { maxPricePerHour: bad('--max-price', () => parseMoney(o.maxPrice as string)) } : {}),
        ...(o.spot ? { spot: true } : {}),
        ...(o.region ? { regions: o.region.split(',').map((s) => s.trim()).filter(Boolean) } : {}),
        ...(o.provider ? { providers: o.provider.split(',').map((s) => s.trim()).filter(Boolean) } : {}),
      };
      const { sources } = offerSources({ env: process.env, config: await c.config(), logger: c.logger });
      const wanted = query.providers ? sources.filter((s) => query.providers?.includes(s.name)) : sources;
      const abort = new AbortController();
      process.once('SIGINT', () => abort.abort());
      const result = await listAllOffers(wanted, query, {
        cache: new OfferCache({ dir: offersCacheDir(c.home) }),
        signal: abort.signal,
        refresh: o.refresh,
        rankBy: o.sort as RankBy,
        logger: c.logger,
      });
      for (const p of result.providers) {
        if (p.error) err.line(`warning: ${p.provider}: ${p.error}${p.offers.length ? ` (showing its last list, ${formatAge(p.fetchedAt)} old, marked stale)` : ''}`);
        else if (p.dropped > 0) c.logger.debug(`${p.provider}: ${p.dropped} items did not parse and were dropped`);
      }
      if (o.json) {
        out.json(result.offers);
        return 0;
      }
      const stale = new Set(result.providers.filter((p) => p.stale).map((p) => p.provider));
      const limit = Math.max(1, Number(o.limit) || 30);
      const rows = result.offers.slice(0, limit).map((x) => [
        x.gpu.count > 0 ? x.gpu.name : '-',
        x.gpu.count,
        x.gpu.memoryGb > 0 ? `${x.gpu.memoryGb}GB` : '-',
        formatUsd(x.pricePerHour),
        x.spotPricePerHour !== undefined ? formatUsd(x.spotPricePerHour) : '-',
        x.region,
        x.provider,
        x.reliability !== undefined ? `${(x.reliability * 100).toFixed(1)}%` : '-',
        `${formatAge(x.asOf)}${stale.has(x.provider) ? ' (stale)' : ''}${x.available ? '' : ' no capacity'}`,
      ]);
      if (rows.length === 0) {
        out.line(`No offers match${q ? ` "${q}"` : ''}.${result.providers.some((p) => p.error) ? ' Some providers failed (see above).' : ''}`);
        return 0;
      }
      out.line(table(['GPU', 'COUNT', 'MEMORY', '$/H', 'SPOT $/H', 'REGION', 'PROVIDER', 'RELIABILITY', 'AGE'], rows));
      if (result.offers.length > limit) out.line(`(${result.offers.length - limit} more; --limit or --json for all)`);
      return 0;
    }));
}
