import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { FerryConfig } from '../core/config';
import { ferryHome } from '../core/jobs/paths';
import { JobStore } from '../core/jobs/store';
import type { JobRecord } from '../core/jobs/types';
import type { HostKeyPrompt } from '../core/remote/connection';
import type { Target } from '../core/targets/target';
import type { Logger } from '../core/util/logger';
import { SpecDiagnostics } from './diagnostics';
import { CLOUD_PROVIDERS, Settings, type CloudProvider } from './ids';
import { JobControllers } from './jobs/controllers';
import { JobsModel } from './jobs/jobsModel';
import { createLogChannel } from './log';
import { buildOfferSources, OffersModel } from './offers/offersModel';
import { ProviderKeyStore } from './secrets';
import { askPassphrase, hostKeyModalConfirmer } from './ssh/prompts';
import { readSettings, type FerrySettings } from './settings';

/**
 * Everything the views and commands share, built once in activate(). Nothing here does work
 * at construction time beyond creating objects: loads start when a view or command asks.
 */
export interface Services {
  context: vscode.ExtensionContext;
  channel: vscode.LogOutputChannel;
  logger: Logger;
  /** FERRY_HOME as of activation (a change of `ferry.home` asks for a reload). */
  home: string;
  store: JobStore;
  jobs: JobsModel;
  offers: OffersModel;
  controllers: JobControllers;
  keys: ProviderKeyStore;
  diagnostics: SpecDiagnostics;
  settings(): FerrySettings;
  /** The environment a target and the CLI see: process env plus the settings that map to it. */
  env(): NodeJS.ProcessEnv;
  /** The CLI's config ($FERRY_HOME/config.yaml), with every Ferry setting the user made on top. */
  config(): Promise<FerryConfig>;
  targetFor(ref: string): Promise<Target>;
  /** Unknown SSH host keys: a modal with host, key type and fingerprint (shared by targets and sync). */
  confirmHostKey(p: HostKeyPrompt): Promise<boolean>;
  /** Encrypted key passphrases: a password box. */
  passphrase(keyPath: string): Promise<string | undefined>;
  /** Notifications from running jobs (budget, autostop). */
  notify(job: JobRecord, message: string, level: 'info' | 'warning'): void;
}

export function homeFromSettings(s: FerrySettings, env: NodeJS.ProcessEnv = process.env): string {
  return ferryHome({ ...env, ...(s.home ? { FERRY_HOME: s.home } : {}) });
}

export function createServices(context: vscode.ExtensionContext): Services {
  const { channel, logger } = createLogChannel();
  context.subscriptions.push(channel);
  const initial = readSettings();
  const home = homeFromSettings(initial);
  const store = new JobStore(home);
  const keys = new ProviderKeyStore(context.secrets);
  const diagnostics = new SpecDiagnostics();
  context.subscriptions.push(diagnostics);

  /** Whether the user set a setting (any scope), as opposed to its default. */
  const userSet = (id: string): boolean => {
    const i = vscode.workspace.getConfiguration().inspect(id);
    return i?.globalValue !== undefined || i?.workspaceValue !== undefined || i?.workspaceFolderValue !== undefined;
  };
  const env = (): NodeJS.ProcessEnv => {
    const s = readSettings();
    const e: NodeJS.ProcessEnv = { ...process.env, FERRY_HOME: home };
    if (userSet(Settings.localPricePerHour)) e.FERRY_LOCAL_PRICE_PER_HOUR = String(s.localPricePerHour);
    if (s.monthlyBudget !== undefined) e.FERRY_MONTHLY_BUDGET = String(s.monthlyBudget);
    if (s.sshConfigFile) e.FERRY_SSH_CONFIG = s.sshConfigFile;
    for (const p of CLOUD_PROVIDERS) if (s.baseUrls[p]) e[`FERRY_${p.toUpperCase()}_API_URL`] = s.baseUrls[p];
    return e;
  };
  const config = async (): Promise<FerryConfig> => {
    const s = readSettings();
    const { loadConfig } = await import('../core/config');
    const base = await loadConfig(home, env()).catch((err: unknown) => {
      logger.warn(`config.yaml: ${err instanceof Error ? err.message : String(err)}`);
      return { localPricePerHour: 0, sshPrices: {}, slurmPrices: {}, budgetWarnFraction: 0.8 } satisfies FerryConfig;
    });
    return {
      ...base,
      ...(userSet(Settings.localPricePerHour) ? { localPricePerHour: s.localPricePerHour } : {}),
      sshPrices: { ...base.sshPrices, ...s.sshPrices },
      ...(s.monthlyBudget !== undefined ? { monthlyBudget: s.monthlyBudget } : {}),
      ...(userSet(Settings.budgetWarnFraction) ? { budgetWarnFraction: s.budgetWarnFraction } : {}),
    };
  };
  const apiKeys = async (): Promise<Partial<Record<CloudProvider, string>>> => {
    const found: Partial<Record<CloudProvider, string>> = {};
    for (const p of CLOUD_PROVIDERS) {
      const k = await keys.get(p);
      if (k) found[p] = k.key;
    }
    return found;
  };
  const confirmHostKey = hostKeyModalConfirmer();
  // Loaded on first use: targets pull in ssh2 and the cloud adapters.
  const targetFor = async (ref: string) => {
    const { createTarget } = await import('../core/targets/factory');
    return createTarget(ref, { home, env: env(), logger, config: await config(), apiKeys: await apiKeys(), confirmHostKey, passphrase: askPassphrase });
  };

  const jobs = new JobsModel(store, { logger });
  context.subscriptions.push(jobs);

  const notify = (job: JobRecord, message: string, level: 'info' | 'warning'): void => {
    logger[level === 'warning' ? 'warn' : 'info'](`${job.name} (${job.id}): ${message}`);
    const show = level === 'warning' ? vscode.window.showWarningMessage : vscode.window.showInformationMessage;
    void show(`Ferry: ${message}`);
  };
  const controllers = new JobControllers({
    store,
    home,
    logger,
    targetFor,
    runnerDefaults: () => {
      const s = readSettings();
      return { monthlyBudget: s.monthlyBudget, warnFraction: s.budgetWarnFraction, stopGraceMs: s.stopGraceSeconds * 1000 };
    },
    onUpdate: (job) => jobs.upsert(job),
    onNotice: notify,
  });

  const offers = new OffersModel({
    logger,
    home,
    ttlMs: initial.offersRefreshMinutes * 60_000,
    loadSources: async () => {
      const s = readSettings();
      const found = await apiKeys();
      const sshConfigFile = s.sshConfigFile || process.env.FERRY_SSH_CONFIG || path.join(os.homedir(), '.ssh', 'config');
      return buildOfferSources({ ...s, sshConfigFile }, found, logger, env());
    },
  });
  context.subscriptions.push(offers);

  return {
    context,
    channel,
    logger,
    home,
    store,
    jobs,
    offers,
    controllers,
    keys,
    diagnostics,
    settings: readSettings,
    env,
    config,
    targetFor,
    confirmHostKey,
    passphrase: askPassphrase,
    notify,
  };
}
