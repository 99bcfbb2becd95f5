import type { FerryConfig } from '../config';
import { UserError } from '../util/errors';
import type { Logger } from '../util/logger';
import { LocalTarget } from './local';
import type { Target } from './target';

export interface TargetFactoryOptions {
  home: string;
  env: NodeJS.ProcessEnv;
  logger: Logger;
  config?: FerryConfig;
}

/** Builds the Target for a target ref (`local`, `ssh:<alias>`, a provider, `cheapest`). */
export async function createTarget(ref: string, opts: TargetFactoryOptions): Promise<Target> {
  if (ref === 'local') return new LocalTarget({ home: opts.home, pricePerHour: opts.config?.localPricePerHour ?? 0 });
  if (ref.startsWith('ssh:')) {
    throw new UserError(`target "${ref}": SSH targets are not available in this build yet`, { hint: 'use --target local' });
  }
  throw new UserError(`target "${ref}": cloud targets are not available in this build yet`, { hint: 'use --target local' });
}
