import * as vscode from 'vscode';
import { Views } from '../ids';
import type { CommandContext } from './commandContext';

/** Show GPU Offers: opens the Ferry sidebar on the offers view and loads it. */
export async function showOffers(ctx: CommandContext): Promise<void> {
  await vscode.commands.executeCommand(`${Views.offers}.focus`);
  if (ctx.services.offers.loadedAt === undefined) await ctx.offersView.refresh(false);
}
