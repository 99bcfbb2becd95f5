import { loadConfig, type FerryConfig } from '../core/config';
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
  config(): Promise<FerryConfig>;
}

export function cliContext(env: NodeJS.ProcessEnv = process.env): CliContext {
  const home = ferryHome(env);
  const logger = stderrLogger();
  let config: Promise<FerryConfig> | undefined;
  const getConfig = () => (config ??= loadConfig(home, env));
  return {
    home,
    store: new JobStore(home),
    logger,
    targetFor: async (ref) => createTarget(ref, { home, env, logger, config: await getConfig() }),
    config: getConfig,
  };
}
