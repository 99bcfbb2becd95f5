import * as vscode from 'vscode';
import { Views } from '../ids';
import type { CommandContext } from './commandContext';

/** The status bar's click: the Jobs view. */
export async function showJobsView(_ctx: CommandContext): Promise<void> {
  await vscode.commands.executeCommand(`${Views.jobs}.focus`);
}
