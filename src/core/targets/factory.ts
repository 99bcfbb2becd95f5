import { UserError } from '../util/errors';
import type { Logger } from '../util/logger';
import { LocalTarget } from './local';
import type { Target } from './target';

export interface TargetFactoryOptions {
  home: string;
  env: NodeJS.ProcessEnv;
  logger: Logger;
}

/** Local price per hour: FERRY_LOCAL_PRICE_PER_HOUR, default 0 (your own machine). */
function localPrice(env: NodeJS.ProcessEnv): number {
  const raw = env.FERRY_LOCAL_PRICE_PER_HOUR;
  if (raw === undefined || raw === '') return 0;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0) throw new UserError(`FERRY_LOCAL_PRICE_PER_HOUR must be a number >= 0, got "${raw}"`);
  return n;
}

/** Builds the Target for a target ref (`local`, `ssh:<alias>`, a provider, `cheapest`). */
export async function createTarget(ref: string, opts: TargetFactoryOptions): Promise<Target> {
  if (ref === 'local') return new LocalTarget({ home: opts.home, pricePerHour: localPrice(opts.env) });
  if (ref.startsWith('ssh:')) {
    throw new UserError(`target "${ref}": SSH targets are not available in this build yet`, { hint: 'use --target local' });
  }
  throw new UserError(`target "${ref}": cloud targets are not available in this build yet`, { hint: 'use --target local' });
}
