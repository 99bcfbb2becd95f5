import * as vscode from 'vscode';
import { Settings } from '../ids';
import type { CommandContext } from './commandContext';

/** Group by GPU model first (remembered in the `ferry.offers.groupBy` setting). */
export async function groupOffersByGpu(_ctx: CommandContext): Promise<void> {
  await vscode.workspace.getConfiguration().update(Settings.offersGroupBy, 'gpu', vscode.ConfigurationTarget.Global);
}
