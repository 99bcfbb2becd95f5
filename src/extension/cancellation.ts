import type * as vscode from 'vscode';

/**
 * The one bridge from a VS Code CancellationToken to the AbortSignal core takes (STYLE.md
 * habit 3). Dispose it when the work ends so the token's listener goes too.
 */
export function abortSignalFrom(token: vscode.CancellationToken): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  if (token.isCancellationRequested) {
    controller.abort();
    return { signal: controller.signal, dispose: () => undefined };
  }
  const sub = token.onCancellationRequested(() => controller.abort());
  return { signal: controller.signal, dispose: () => sub.dispose() };
}
