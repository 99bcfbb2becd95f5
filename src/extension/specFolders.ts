import * as path from 'node:path';
import * as vscode from 'vscode';
import { ContextKeys } from './ids';

/**
 * Keeps the `ferry.specFolders` context key (folders that hold a ferry.yaml) current, so the
 * Explorer offers "Run on Cloud GPU" on such a folder (`resourcePath in ferry.specFolders`).
 * Runs in the background after activation.
 */
export function trackSpecFolders(context: vscode.ExtensionContext): void {
  let timer: NodeJS.Timeout | undefined;
  const update = async () => {
    const files = await vscode.workspace.findFiles('**/ferry.{yaml,yml}', '**/{node_modules,.git}/**', 1000);
    const folders = [...new Set(files.map((f) => path.dirname(f.fsPath)))];
    await vscode.commands.executeCommand('setContext', ContextKeys.specFolders, folders);
  };
  const soon = () => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => void update(), 300);
  };
  const watcher = vscode.workspace.createFileSystemWatcher('**/ferry.{yaml,yml}', false, true, false);
  context.subscriptions.push(watcher, watcher.onDidCreate(soon), watcher.onDidDelete(soon), vscode.workspace.onDidChangeWorkspaceFolders(soon), {
    dispose: () => timer && clearTimeout(timer),
  });
  soon();
}
