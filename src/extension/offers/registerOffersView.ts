import * as vscode from 'vscode';
import { errorMessage } from '../../core/util/errors';
import { ContextKeys, StateKeys, Views } from '../ids';
import type { Services } from '../services';
import { parseOfferFilter } from './offerFilter';
import type { OfferNode } from './offerView';
import { OffersTreeProvider, type OffersViewState } from './offersTreeProvider';

export interface OffersView {
  view: vscode.TreeView<OfferNode>;
  provider: OffersTreeProvider;
  /** Loads now (with progress in the view), asking providers even when cached lists are fresh. */
  refresh(force: boolean): Promise<void>;
  /** The current filter text ('' = none). */
  filterText(): string;
  setFilter(text: string): Promise<void>;
}

/**
 * The GPU Offers view. Loads when it becomes visible (and its data is older than the refresh
 * interval), and polls only while visible; nothing runs for it while it is hidden.
 */
export function registerOffersView(services: Services): OffersView {
  const { context, offers } = services;
  const filterText = () => context.workspaceState.get<string>(StateKeys.offersFilter, '');
  const state = (): OffersViewState => {
    const s = services.settings();
    let query = {};
    try {
      query = parseOfferFilter(filterText());
    } catch (err) {
      services.logger.warn(`offers filter: ${errorMessage(err)}`);
    }
    return { query, filterText: filterText(), groupBy: s.offersGroupBy, perGroup: s.offersPerGroup };
  };
  const provider = new OffersTreeProvider(offers, state);
  const view = vscode.window.createTreeView(Views.offers, { treeDataProvider: provider, showCollapseAll: true });

  const syncContext = () => {
    void vscode.commands.executeCommand('setContext', ContextKeys.offersGroupBy, services.settings().offersGroupBy);
    void vscode.commands.executeCommand('setContext', ContextKeys.offersFiltered, filterText() !== '');
    void vscode.commands.executeCommand('setContext', ContextKeys.offersEmpty, offers.onlyThisMachine);
    const f = filterText();
    view.description = f ? `filter: ${f}` : undefined;
  };

  const refresh = (force: boolean) =>
    Promise.resolve(vscode.window.withProgress({ location: { viewId: Views.offers } }, () => offers.refresh({ force })));

  let timer: NodeJS.Timeout | undefined;
  const syncPolling = () => {
    const ms = services.settings().offersRefreshMinutes * 60_000;
    if (view.visible) {
      if (offers.isOlderThan(ms) && !offers.loading) void refresh(false);
      timer ??= setInterval(() => void refresh(false), ms);
    } else if (timer) {
      clearInterval(timer);
      timer = undefined;
    }
  };

  context.subscriptions.push(
    provider,
    view,
    offers.onDidChange(syncContext),
    view.onDidChangeVisibility(syncPolling),
    services.keys.onDidChange(() => void refresh(true)),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('ferry.offers.groupBy') || e.affectsConfiguration('ferry.offers.maxPerGroup')) {
        syncContext();
        provider.refresh();
      }
      if (e.affectsConfiguration('ferry.local') || e.affectsConfiguration('ferry.ssh') || e.affectsConfiguration('ferry.providers')) void refresh(true);
    }),
    { dispose: () => timer && clearInterval(timer) },
  );
  syncContext();
  if (view.visible) syncPolling();

  return {
    view,
    provider,
    refresh,
    filterText,
    setFilter: async (text: string) => {
      await context.workspaceState.update(StateKeys.offersFilter, text.trim());
      syncContext();
      provider.refresh();
    },
  };
}
