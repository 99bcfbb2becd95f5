import type * as vscode from 'vscode';
import type { JobTreeElement } from '../jobs/jobsTreeProvider';
import type { OffersView } from '../offers/registerOffersView';
import type { Services } from '../services';

/** What a command gets: the shared services and the two views. */
export interface CommandContext {
  services: Services;
  jobsView: vscode.TreeView<JobTreeElement>;
  offersView: OffersView;
}

/**
 * A command: run from the palette it gets no node and asks with a picker; from a tree it gets
 * the node clicked and, with multi-select, every selected node.
 */
export type CommandHandler = (ctx: CommandContext, node?: unknown, nodes?: unknown) => Promise<void>;
