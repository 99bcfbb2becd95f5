import * as vscode from 'vscode';
import { FerryError, errorMessage, isCancelled } from '../../core/util/errors';
import { Commands, type CommandId } from '../ids';
import type { CommandContext, CommandHandler } from './commandContext';
import { clearOffersFilter } from './clearOffersFilter';
import { configureProvider } from './configureProvider';
import { deleteJob } from './deleteJob';
import { downloadArtifacts } from './downloadArtifacts';
import { filterOffers } from './filterOffers';
import { groupOffersByGpu } from './groupOffersByGpu';
import { groupOffersByProvider } from './groupOffersByProvider';
import { openInRemoteSsh } from './openInRemoteSsh';
import { openSshTerminal } from './openSshTerminal';
import { refreshJobs } from './refreshJobs';
import { refreshOffers } from './refreshOffers';
import { removeProviderKey } from './removeProviderKey';
import { resumeFromCheckpoint } from './resumeFromCheckpoint';
import { resumeJob } from './resumeJob';
import { runLocally } from './runLocally';
import { runOnCloud } from './runOnCloud';
import { runOnOffer } from './runOnOffer';
import { showJobLogs } from './showJobLogs';
import { showJobsView } from './showJobsView';
import { showLog } from './showLog';
import { showNodeLog } from './showNodeLog';
import { showOffers } from './showOffers';
import { stopJob } from './stopJob';
import { syncData } from './syncData';

/** Every command and its handler; typed by CommandId, so a missing one does not compile. */
export const COMMAND_HANDLERS: Readonly<Record<CommandId, CommandHandler>> = {
  [Commands.runOnCloud]: runOnCloud,
  [Commands.runLocally]: runLocally,
  [Commands.runOnOffer]: runOnOffer,
  [Commands.syncData]: syncData,
  [Commands.showOffers]: showOffers,
  [Commands.configureProvider]: configureProvider,
  [Commands.removeProviderKey]: removeProviderKey,
  [Commands.stopJob]: stopJob,
  [Commands.showJobLogs]: showJobLogs,
  [Commands.resumeJob]: resumeJob,
  [Commands.resumeFromCheckpoint]: resumeFromCheckpoint,
  [Commands.downloadArtifacts]: downloadArtifacts,
  [Commands.openSshTerminal]: openSshTerminal,
  [Commands.openInRemoteSsh]: openInRemoteSsh,
  [Commands.deleteJob]: deleteJob,
  [Commands.refreshJobs]: refreshJobs,
  [Commands.refreshOffers]: refreshOffers,
  [Commands.filterOffers]: filterOffers,
  [Commands.clearOffersFilter]: clearOffersFilter,
  [Commands.groupOffersByGpu]: groupOffersByGpu,
  [Commands.groupOffersByProvider]: groupOffersByProvider,
  [Commands.showJobsView]: showJobsView,
  [Commands.showLog]: showLog,
  [Commands.showNodeLog]: showNodeLog,
};

/**
 * The one wrapper every command runs in: a cancel ends quietly; a user error (bad input, a
 * ferry.yaml problem, an unusable target) shows its message and hint; anything else is logged
 * and shown with "Show Log". Commands themselves hold no display try/catch.
 */
export function runCommand(ctx: CommandContext, id: CommandId, handler: CommandHandler) {
  return async (node?: unknown, nodes?: unknown): Promise<void> => {
    try {
      await handler(ctx, node, nodes);
    } catch (err) {
      if (isCancelled(err)) return;
      const { logger } = ctx.services;
      const user = err instanceof FerryError && err.exitCode === 2;
      const msg = errorMessage(err);
      const hint = err instanceof FerryError && err.hint ? ` (${err.hint})` : '';
      if (user) logger.warn(`${id}: ${msg}`);
      else logger.error(`${id}: ${err instanceof Error && err.stack ? err.stack : msg}`);
      const choice = await vscode.window.showErrorMessage(`Ferry: ${msg}${hint}`, 'Show Log');
      if (choice) ctx.services.channel.show(true);
    }
  };
}

export function registerCommands(ctx: CommandContext): void {
  for (const [id, handler] of Object.entries(COMMAND_HANDLERS) as [CommandId, CommandHandler][]) {
    ctx.services.context.subscriptions.push(vscode.commands.registerCommand(id, runCommand(ctx, id, handler)));
  }
}
