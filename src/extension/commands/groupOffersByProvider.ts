import * as vscode from 'vscode';
import { Settings } from '../ids';
import type { CommandContext } from './commandContext';

/** Group by provider, then GPU model (the default). */
export async function groupOffersByProvider(_ctx: CommandContext): Promise<void> {
  await vscode.workspace.getConfiguration().update(Settings.offersGroupBy, 'provider', vscode.ConfigurationTarget.Global);
}
