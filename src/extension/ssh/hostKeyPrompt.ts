/** The host-key question as plain data, and the one-modal-per-host rule. No `vscode` here. */
import type { HostKeyPrompt } from '../../core/remote/connection';

/** The modal's texts for an unknown host key, as plain data (unit-tested). */
export function hostKeyPromptText(p: HostKeyPrompt): { message: string; detail: string } {
  const where = p.alias && p.alias !== p.host ? `${p.alias} (${p.host})` : p.host;
  return {
    message: `Ferry: the authenticity of host ${where} can't be established.`,
    detail: [
      `${p.keyType} key fingerprint is ${p.fingerprint}.`,
      '',
      'Compare it with the fingerprint the machine\'s owner (or provider console) shows before trusting it.',
      `Trusting it adds the key to ${p.knownHostsPath}.`,
    ].join('\n'),
  };
}

export const TRUST_HOST_KEY = 'Trust and Connect';

/**
 * Asks once per host at a time: several connections to the same new host (the run, its log
 * tail) wait on the same modal instead of stacking dialogs. Never accepts silently: closing
 * the modal is a refusal.
 */
export function hostKeyConfirmer(show: (p: HostKeyPrompt) => Promise<boolean>): (p: HostKeyPrompt) => Promise<boolean> {
  const pending = new Map<string, Promise<boolean>>();
  return (p) => {
    const key = `${p.host}\0${p.keyType}\0${p.fingerprint}`;
    let answer = pending.get(key);
    if (!answer) {
      answer = show(p).finally(() => pending.delete(key));
      pending.set(key, answer);
    }
    return answer;
  };
}
