import * as vscode from 'vscode';
import { Views } from '../ids';
import type { Services } from '../services';
import { JobsTreeProvider, type JobTreeElement } from './jobsTreeProvider';

/**
 * The Jobs view. The model follows the store all the time (the status bar needs it); the
 * clock-driven refresh of elapsed times and live costs runs only while the view is visible.
 */
export function registerJobsView(services: Services): vscode.TreeView<JobTreeElement> {
  const provider = new JobsTreeProvider(services.jobs);
  const view = vscode.window.createTreeView(Views.jobs, { treeDataProvider: provider, showCollapseAll: true, canSelectMany: true });
  let ticker: NodeJS.Timeout | undefined;
  const syncTicker = () => {
    const want = view.visible && provider.hasActiveJobs();
    if (want && !ticker) ticker = setInterval(() => provider.refresh(), services.settings().jobsRefreshSeconds * 1000);
    if (!want && ticker) {
      clearInterval(ticker);
      ticker = undefined;
    }
  };
  services.context.subscriptions.push(
    provider,
    view,
    view.onDidChangeVisibility(() => {
      if (view.visible) provider.refresh();
      syncTicker();
    }),
    services.jobs.onDidChange(syncTicker),
    { dispose: () => ticker && clearInterval(ticker) },
  );
  services.jobs.start();
  return view;
}
