import * as vscode from 'vscode';
import type { OrphanInstance } from '../../core/cost/dashboard';
import type { JobStore } from '../../core/jobs/store';
import type { Logger } from '../../core/util/logger';
import { DASHBOARD_TITLE, DASHBOARD_VIEW_TYPE } from '../../shared/dashboardConstants';
import { parseUiState, type DashboardUiState } from '../../shared/dashboardProtocol';
import { DashboardController, jobIdFromArg, type DashboardActions, type DashboardSettings, type DashboardSources } from './controller';
import { Commands, Settings, type CommandId } from '../ids';
import { dashboardHtml } from './html';

/**
 * The Cost & Checkpoints panel host: the `ferry.openDashboard` command, a serializer that brings
 * the panel back after a window reload, and the glue between a WebviewPanel and the
 * vscode-free DashboardController (controller.ts), which does the parsing, checking and
 * throttled pushing. Actions that belong to the rest of the extension run its commands.
 */

/** Commands this module registers. */
export const DashboardCommands = {
  open: 'ferry.openDashboard',
} as const;

/**
 * What the panel hands to the extension's own commands: the Jobs tree's element shapes
 * (jobs/jobsTreeProvider.ts), so those commands need nothing new to serve the panel.
 */
type JobNode = { kind: 'job'; jobId: string };
type CheckpointNode = { kind: 'checkpoint'; jobId: string; name: string };

/** Settings read on every push; the monthly cap is the extension's own budget setting. */
export const DashboardSettingKeys = {
  monthlyCap: Settings.monthlyBudget,
  /** Contributed by package.json as `ferry.checkpoints.warnAfterMinutes` (default 30). */
  checkpointWarnMinutes: 'ferry.checkpoints.warnAfterMinutes',
} as const;

export interface DashboardDeps {
  store: JobStore;
  /** FERRY_HOME, named in the empty state. */
  home: string;
  logger: Logger;
  /** Average GPU utilization (percent) by job id, once metrics are collected. */
  gpuUtil?: DashboardSources['gpuUtil'];
  /** Instances running with no live job, once a provider scan exists. */
  orphans?: () => readonly OrphanInstance[] | Promise<readonly OrphanInstance[]>;
  /** Overrides the settings above (tests). */
  settings?: () => DashboardSettings;
}

export interface DashboardHost extends vscode.Disposable {
  /** Opens (or reveals) the panel, selecting a job when given one. */
  open(jobId?: string): void;
}

function readSettings(): DashboardSettings {
  const num = (key: string): number | undefined => {
    const v = vscode.workspace.getConfiguration().get<unknown>(key);
    return typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : undefined;
  };
  const warnMin = num(DashboardSettingKeys.checkpointWarnMinutes);
  return {
    monthlyCap: num(DashboardSettingKeys.monthlyCap),
    checkpointWarnAfterSec: warnMin === undefined ? undefined : warnMin * 60,
  };
}

class DashboardPanelHost implements DashboardHost {
  private panel: vscode.WebviewPanel | undefined;
  private controller: DashboardController | undefined;
  private panelDisposables: vscode.Disposable[] = [];

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly deps: DashboardDeps,
  ) {}

  open(jobId?: string): void {
    if (this.panel && this.controller) {
      this.panel.reveal();
      if (jobId !== undefined) this.controller.select(jobId);
      return;
    }
    const panel = vscode.window.createWebviewPanel(DASHBOARD_VIEW_TYPE, DASHBOARD_TITLE, vscode.ViewColumn.Active, this.webviewOptions());
    this.attach(panel, jobId === undefined ? {} : { selectedJobId: jobId });
    if (jobId !== undefined) this.controller?.select(jobId);
  }

  /** The serializer's half: a panel VS Code kept across a reload, with the webview's last setState. */
  async restore(panel: vscode.WebviewPanel, state: unknown): Promise<void> {
    if (this.panel) {
      // Only one dashboard: a second restored one (two windows' worth of state) closes.
      panel.dispose();
      return;
    }
    this.attach(panel, parseUiState(state));
  }

  private distUri(): vscode.Uri {
    return vscode.Uri.joinPath(this.context.extensionUri, 'media', 'dist');
  }

  private webviewOptions(): vscode.WebviewPanelOptions & vscode.WebviewOptions {
    // Not retained when hidden: the webview keeps its UI state with setState and gets the
    // data pushed again on `ready`.
    return { enableScripts: true, localResourceRoots: [this.distUri()], enableFindWidget: true };
  }

  private attach(panel: vscode.WebviewPanel, ui: DashboardUiState): void {
    this.panel = panel;
    const webview = panel.webview;
    webview.options = { enableScripts: true, localResourceRoots: [this.distUri()] };
    const controller = new DashboardController({
      store: this.deps.store,
      home: this.deps.home,
      logger: this.deps.logger,
      post: (m) => webview.postMessage(m),
      actions: this.actions(),
      ui,
      settings: this.deps.settings ?? readSettings,
      gpuUtil: this.deps.gpuUtil,
      orphans: this.deps.orphans,
    });
    this.controller = controller;
    this.panelDisposables = [
      webview.onDidReceiveMessage((m: unknown) => controller.handleMessage(m)),
      panel.onDidChangeViewState((e) => controller.setVisible(e.webviewPanel.visible)),
      this.deps.store.watch(() => controller.schedulePush(), { debounceMs: 100 }),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (Object.values(DashboardSettingKeys).some((k) => e.affectsConfiguration(k))) controller.schedulePush();
      }),
      panel.onDidDispose(() => this.detach()),
    ];
    webview.html = dashboardHtml({
      cspSource: webview.cspSource,
      scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(this.distUri(), 'dashboard.js')).toString(),
      styleUri: webview.asWebviewUri(vscode.Uri.joinPath(this.distUri(), 'dashboard.css')).toString(),
    });
  }

  private detach(): void {
    this.controller?.dispose();
    for (const d of this.panelDisposables) d.dispose();
    this.panelDisposables = [];
    this.controller = undefined;
    this.panel = undefined;
  }

  private actions(): DashboardActions {
    const run = async (command: CommandId, arg?: JobNode | CheckpointNode): Promise<void> => {
      await vscode.commands.executeCommand(command, ...(arg ? [arg] : []));
    };
    const checkpointNode = (jobId: string, name: string): CheckpointNode => ({ kind: 'checkpoint', jobId, name });
    return {
      resumeFrom: (jobId, checkpoint) => run(Commands.resumeFromCheckpoint, checkpointNode(jobId, checkpoint)),
      // Copies home every checkpoint of the job that has no local copy yet, this one included.
      downloadCheckpoint: (jobId, checkpoint) => run(Commands.downloadArtifacts, checkpointNode(jobId, checkpoint)),
      openJobLogs: (jobId) => run(Commands.showJobLogs, { kind: 'job', jobId }),
      runLocally: () => run(Commands.runLocally),
      reveal: async (path) => {
        await vscode.commands.executeCommand('revealFileInOS', vscode.Uri.file(path));
      },
    };
  }

  dispose(): void {
    this.panel?.dispose();
    this.detach();
  }
}

/**
 * Registers the dashboard: the `ferry.openDashboard` command (argument: nothing, a job id, a
 * Jobs-tree node `{ kind: 'job', jobId }`) and the panel serializer. Call once from
 * activate(); everything lands on context.subscriptions.
 */
export function registerDashboard(context: vscode.ExtensionContext, deps: DashboardDeps): DashboardHost {
  const host = new DashboardPanelHost(context, deps);
  context.subscriptions.push(
    host,
    vscode.commands.registerCommand(DashboardCommands.open, (arg?: unknown) => host.open(jobIdFromArg(arg))),
    vscode.window.registerWebviewPanelSerializer(DASHBOARD_VIEW_TYPE, {
      deserializeWebviewPanel: (panel, state) => host.restore(panel, state),
    }),
  );
  return host;
}
