import { ferryHome } from '../core/jobs/paths';
import { JobStore } from '../core/jobs/store';
import { createTarget } from '../core/targets/factory';
import type { Target } from '../core/targets/target';
import type { Logger } from '../core/util/logger';
import { stderrLogger } from './io';

/** What every command needs, built once per invocation from the environment. */
export interface CliContext {
  home: string;
  store: JobStore;
  logger: Logger;
  targetFor(ref: string): Promise<Target>;
}

export function cliContext(env: NodeJS.ProcessEnv = process.env): CliContext {
  const home = ferryHome(env);
  const logger = stderrLogger();
  return {
    home,
    store: new JobStore(home),
    logger,
    targetFor: (ref) => createTarget(ref, { home, env, logger }),
  };
}
