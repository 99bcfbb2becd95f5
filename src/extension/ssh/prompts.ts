import * as vscode from 'vscode';
import type { HostKeyPrompt } from '../../core/remote/connection';
import { TRUST_HOST_KEY, hostKeyConfirmer, hostKeyPromptText } from './hostKeyPrompt';

async function showHostKeyModal(p: HostKeyPrompt): Promise<boolean> {
  const { message, detail } = hostKeyPromptText(p);
  const choice = await vscode.window.showWarningMessage(message, { modal: true, detail }, TRUST_HOST_KEY);
  return choice === TRUST_HOST_KEY;
}

/** A password box for an encrypted key; undefined (Escape) skips that key. */
export async function askPassphrase(keyPath: string): Promise<string | undefined> {
  return vscode.window.showInputBox({
    title: 'Ferry: SSH key passphrase',
    prompt: `Passphrase for ${keyPath}`,
    password: true,
    ignoreFocusOut: true,
  });
}

/** The confirmer the services share: one modal per host at a time. */
export function hostKeyModalConfirmer(): (p: HostKeyPrompt) => Promise<boolean> {
  return hostKeyConfirmer(showHostKeyModal);
}
