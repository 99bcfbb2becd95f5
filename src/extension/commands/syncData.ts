import * as vscode from 'vscode';
import { CancelledError } from '../../core/util/errors';
import type { CommandContext } from './commandContext';

/**
 * Sync Data...: `ferry sync SRC DST` in a terminal, with the CLI that ships in this extension,
 * so it behaves exactly as in a shell (same job store, same ignore rules, same exit code).
 * SRC/DST: a local path, ALIAS:path, or s3://bucket/prefix.
 */
export async function syncData(ctx: CommandContext, node?: unknown): Promise<void> {
  const wsFolder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  const initial = node instanceof vscode.Uri ? node.fsPath : wsFolder ?? '';
  const src = await vscode.window.showInputBox({
    title: 'Sync Data (1/2): from',
    prompt: 'A local path, ALIAS:path (an SSH host) or s3://bucket/prefix',
    value: initial,
    ignoreFocusOut: true,
    validateInput: (v) => (v.trim() ? undefined : 'Where should the data come from?'),
  });
  if (src === undefined) throw new CancelledError();
  const dst = await vscode.window.showInputBox({
    title: 'Sync Data (2/2): to',
    prompt: 'A local path, ALIAS:path (an SSH host) or s3://bucket/prefix',
    placeHolder: 'gpu-box:~/data',
    ignoreFocusOut: true,
    validateInput: (v) => (v.trim() ? undefined : 'Where should the data go?'),
  });
  if (dst === undefined) throw new CancelledError();
  if (!vscode.workspace.isTrusted) {
    void vscode.window.showWarningMessage('Ferry does not sync from an untrusted workspace.');
    return;
  }
  const cli = vscode.Uri.joinPath(ctx.services.context.extensionUri, 'dist', 'cli.js').fsPath;
  const terminal = vscode.window.createTerminal({
    name: 'Ferry: sync',
    shellPath: process.execPath,
    shellArgs: [cli, 'sync', src.trim(), dst.trim()],
    // The extension host's executable is Electron in VS Code desktop: run it as Node.
    env: { ...ctx.services.env(), ELECTRON_RUN_AS_NODE: '1' },
    iconPath: new vscode.ThemeIcon('sync'),
  });
  terminal.show();
}
