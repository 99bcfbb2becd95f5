import * as vscode from 'vscode';
import type { OfferQuery } from '../../core/offers/types';
import type { IconSpec } from '../jobs/jobView';
import { Commands } from '../ids';
import type { OffersModel } from './offersModel';
import { buildOfferTree, type GroupBy, type OfferNode } from './offerView';

function icon(spec: IconSpec): vscode.ThemeIcon {
  return new vscode.ThemeIcon(spec.id, spec.color ? new vscode.ThemeColor(spec.color) : undefined);
}

export interface OffersViewState {
  query: OfferQuery;
  filterText: string;
  groupBy: GroupBy;
  perGroup: number;
}

/** Maps OffersModel (with the filter and grouping) to tree items. */
export class OffersTreeProvider implements vscode.TreeDataProvider<OfferNode>, vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<OfferNode | undefined>();
  readonly onDidChangeTreeData = this.emitter.event;
  private readonly sub: { dispose(): void };
  private roots: OfferNode[] = [];
  private readonly parents = new Map<string, OfferNode>();

  constructor(
    private readonly model: OffersModel,
    private readonly state: () => OffersViewState,
  ) {
    this.sub = model.onDidChange(() => this.refresh());
  }

  refresh(): void {
    this.rebuild();
    this.emitter.fire(undefined);
  }

  private rebuild(): void {
    const s = this.state();
    // Nothing but this machine and no filter: the welcome content explains what to set up.
    this.roots = this.model.onlyThisMachine
      ? []
      : buildOfferTree({ providers: this.model.providers, query: s.query, filterText: s.filterText, groupBy: s.groupBy, perGroup: s.perGroup, now: new Date() });
    if (this.model.error) {
      this.roots.unshift({ kind: 'error', id: 'sources/error', label: 'Could not set up the offer sources', description: this.model.error, tooltip: this.model.error, icon: { id: 'error' }, contextValue: 'ferry:offersError:sources', provider: 'sources' });
    }
    this.parents.clear();
    const walk = (nodes: OfferNode[], parent?: OfferNode) => {
      for (const n of nodes) {
        if (parent) this.parents.set(n.id, parent);
        if (n.kind === 'group') walk(n.children, n);
      }
    };
    walk(this.roots);
  }

  getChildren(el?: OfferNode): OfferNode[] {
    if (!el) {
      if (this.roots.length === 0 && this.model.providers.length > 0 && !this.model.onlyThisMachine) this.rebuild();
      return this.roots;
    }
    return el.kind === 'group' ? el.children : [];
  }

  getParent(el: OfferNode): OfferNode | undefined {
    return this.parents.get(el.id);
  }

  getTreeItem(el: OfferNode): vscode.TreeItem {
    const collapsible =
      el.kind === 'group'
        ? el.id.startsWith('provider:') || this.state().groupBy === 'gpu'
          ? vscode.TreeItemCollapsibleState.Expanded
          : vscode.TreeItemCollapsibleState.Collapsed
        : vscode.TreeItemCollapsibleState.None;
    const item = new vscode.TreeItem(el.label, collapsible);
    item.id = `offers:${el.id}`;
    item.description = el.description;
    item.tooltip = el.tooltip;
    item.iconPath = icon(el.icon);
    item.contextValue = el.contextValue;
    if (el.kind === 'error') item.command = { command: Commands.refreshOffers, title: 'Retry', arguments: [] };
    if (el.kind === 'info' && el.command === 'clearFilter') item.command = { command: Commands.clearOffersFilter, title: 'Clear Filter', arguments: [] };
    item.accessibilityInformation = { label: el.description ? `${el.label}, ${el.description}` : el.label };
    return item;
  }

  dispose(): void {
    this.sub.dispose();
    this.emitter.dispose();
  }
}
