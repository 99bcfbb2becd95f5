import * as vscode from 'vscode';
import { registerCommands } from './commands/registerCommands';
import { registerDashboard } from './dashboard/registerDashboard';
import { disposeLogTerminals } from './jobs/logTerminal';
import { registerJobsView } from './jobs/registerJobsView';
import { registerOffersView } from './offers/registerOffersView';
import { createServices, type Services } from './services';
import { trackSpecFolders } from './specFolders';
import { registerStatusBar } from './statusBar';

let active: Services | undefined;

/**
 * Thin on purpose (activation must stay under 100 ms): build the services, register the views,
 * the commands and the status bar, and return. Loads start when a view becomes visible; jobs
 * left without a controller are picked up once the store has been read.
 */
export function activate(context: vscode.ExtensionContext): void {
  const services = createServices(context);
  active = services;
  const offersView = registerOffersView(services);
  const jobsView = registerJobsView(services);
  registerCommands({ services, jobsView, offersView });
  registerDashboard(context, { store: services.store, home: services.home, logger: services.logger });
  registerStatusBar(services);
  services.diagnostics.watchDocuments();
  trackSpecFolders(context);
  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('ferry.home')) {
        void vscode.window.showInformationMessage('Ferry: reload the window to use the new job store folder.', 'Reload').then((c) => {
          if (c) void vscode.commands.executeCommand('workbench.action.reloadWindow');
        });
      }
    }),
    { dispose: disposeLogTerminals },
  );
  // After the first read of the store: follow every active job whose controller has died.
  const once = services.jobs.onDidChange(() => {
    once.dispose();
    if (!vscode.workspace.isTrusted) return;
    void services.controllers.reattachOrphans(services.jobs.jobs).catch((e) => services.logger.warn(`reattach: ${String(e)}`));
  });
  context.subscriptions.push(once);
}

/** Stops following jobs (they keep running, detached) and clears their controller field. */
export async function deactivate(): Promise<void> {
  const s = active;
  active = undefined;
  await s?.controllers.detachAll();
}
