/**
 * Every id the extension shares with package.json: commands, views, context keys, settings and
 * secret keys. A unit test (test/unit/extension/ids.test.ts) checks these against the manifest
 * both ways, so a renamed command cannot silently lose its menu entry or its handler.
 * No `vscode` import here: the tests and the pure modules use it too.
 */

/** Commands shown in the palette (category "Ferry") and in menus. */
export const Commands = {
  runOnCloud: 'ferry.runOnCloud',
  runLocally: 'ferry.runLocally',
  runOnOffer: 'ferry.runOnOffer',
  syncData: 'ferry.syncData',
  showOffers: 'ferry.showOffers',
  configureProvider: 'ferry.configureProvider',
  removeProviderKey: 'ferry.removeProviderKey',
  stopJob: 'ferry.stopJob',
  showJobLogs: 'ferry.showJobLogs',
  resumeJob: 'ferry.resumeJob',
  resumeFromCheckpoint: 'ferry.resumeFromCheckpoint',
  downloadArtifacts: 'ferry.downloadArtifacts',
  openSshTerminal: 'ferry.openSshTerminal',
  openInRemoteSsh: 'ferry.openInRemoteSsh',
  deleteJob: 'ferry.deleteJob',
  refreshJobs: 'ferry.refreshJobs',
  refreshOffers: 'ferry.refreshOffers',
  filterOffers: 'ferry.filterOffers',
  clearOffersFilter: 'ferry.clearOffersFilter',
  groupOffersByGpu: 'ferry.groupOffersByGpu',
  groupOffersByProvider: 'ferry.groupOffersByProvider',
  showJobsView: 'ferry.showJobsView',
  showLog: 'ferry.showLog',
  showNodeLog: 'ferry.showNodeLog',
} as const;
export type CommandId = (typeof Commands)[keyof typeof Commands];

/** The Cost & Checkpoints dashboard (src/extension/dashboard) registers its own command and panel. */
export const DashboardIds = {
  open: 'ferry.openDashboard',
  viewType: 'ferry.dashboard',
} as const;

/** Commands contributed but hidden from the palette (they need a tree node). */
export const NODE_ONLY_COMMANDS: ReadonlySet<CommandId> = new Set<CommandId>([
  Commands.runOnOffer,
  Commands.showNodeLog,
  Commands.resumeFromCheckpoint,
  Commands.clearOffersFilter,
  Commands.groupOffersByGpu,
  Commands.groupOffersByProvider,
]);

export const ViewContainers = { ferry: 'ferry' } as const;

export const Views = {
  offers: 'ferry.offers',
  jobs: 'ferry.jobs',
} as const;
export type ViewId = (typeof Views)[keyof typeof Views];

/** Context keys set with `setContext`, used in `when` clauses. */
export const ContextKeys = {
  offersGroupBy: 'ferry.offers.groupBy',
  offersFiltered: 'ferry.offers.filtered',
  offersEmpty: 'ferry.offers.empty',
  /** Folders holding a ferry.yaml, for the Explorer's folder menu (`resourcePath in ferry.specFolders`). */
  specFolders: 'ferry.specFolders',
} as const;
export type ContextKey = (typeof ContextKeys)[keyof typeof ContextKeys];

/** Settings (without the `ferry.` section prefix where read through getConfiguration('ferry')). */
export const Settings = {
  home: 'ferry.home',
  localPricePerHour: 'ferry.local.pricePerHour',
  sshPrices: 'ferry.ssh.pricePerHour',
  sshGpus: 'ferry.ssh.gpus',
  sshConfigFile: 'ferry.ssh.configFile',
  managedSshConfigFile: 'ferry.ssh.managedConfigFile',
  maxPricePerHour: 'ferry.defaults.maxPricePerHour',
  monthlyBudget: 'ferry.budget.monthly',
  budgetWarnFraction: 'ferry.budget.warnFraction',
  stopGraceSeconds: 'ferry.stopGraceSeconds',
  offersRefreshMinutes: 'ferry.offers.refreshIntervalMinutes',
  offersGroupBy: 'ferry.offers.groupBy',
  offersPerGroup: 'ferry.offers.maxPerGroup',
  jobsRefreshSeconds: 'ferry.jobs.refreshIntervalSeconds',
  vastBaseUrl: 'ferry.providers.vast.baseUrl',
  runpodBaseUrl: 'ferry.providers.runpod.baseUrl',
  lambdaBaseUrl: 'ferry.providers.lambda.baseUrl',
  checkpointWarnMinutes: 'ferry.checkpoints.warnAfterMinutes',
} as const;
export type SettingId = (typeof Settings)[keyof typeof Settings];

/** Settings whose values end up in remote commands or network calls: restricted when untrusted. */
export const RESTRICTED_SETTINGS: readonly SettingId[] = [
  Settings.home,
  Settings.sshConfigFile,
  Settings.managedSshConfigFile,
  Settings.vastBaseUrl,
  Settings.runpodBaseUrl,
  Settings.lambdaBaseUrl,
];

export const CLOUD_PROVIDERS = ['vast', 'runpod', 'lambda'] as const;
export type CloudProvider = (typeof CLOUD_PROVIDERS)[number];

export const PROVIDER_LABELS: Readonly<Record<CloudProvider, string>> = {
  vast: 'Vast.ai',
  runpod: 'RunPod',
  lambda: 'Lambda',
};

/** SecretStorage keys: one API key per provider. */
export const SecretKeys: Readonly<Record<CloudProvider, string>> = {
  vast: 'ferry.apiKey.vast',
  runpod: 'ferry.apiKey.runpod',
  lambda: 'ferry.apiKey.lambda',
};

/** globalState / workspaceState keys. */
export const StateKeys = {
  offersFilterHistory: 'ferry.offers.filterHistory',
  offersFilter: 'ferry.offers.filter',
} as const;

/** The Remote-SSH extension, opened when installed for "Open in Remote-SSH". */
export const REMOTE_SSH_EXTENSION = 'ms-vscode-remote.remote-ssh';
