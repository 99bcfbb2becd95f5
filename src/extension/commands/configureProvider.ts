import * as vscode from 'vscode';
import { CancelledError } from '../../core/util/errors';
import { CLOUD_PROVIDERS, PROVIDER_LABELS, type CloudProvider } from '../ids';
import type { CommandContext } from './commandContext';

const KEY_PAGES: Readonly<Record<CloudProvider, string>> = {
  vast: 'https://cloud.vast.ai/account/',
  runpod: 'https://www.runpod.io/console/user/settings',
  lambda: 'https://cloud.lambda.ai/api-keys',
};

/** The provider a node stands for: an error node's `provider`, a group's `provider:<name>` id. */
export function providerFromArg(arg: unknown): CloudProvider | undefined {
  const node = arg as { provider?: unknown; id?: unknown } | null;
  const fromId = typeof node?.id === 'string' ? /^provider:([a-z]+)$/.exec(node.id)?.[1] : undefined;
  const v = typeof arg === 'string' ? arg : typeof node?.provider === 'string' ? node.provider : fromId;
  return CLOUD_PROVIDERS.find((p) => p === v);
}

/** Configure Provider API Key...: stored in SecretStorage, never in settings; the view reloads. */
export async function configureProvider(ctx: CommandContext, node?: unknown): Promise<void> {
  let provider = providerFromArg(node);
  if (!provider) {
    const items = await Promise.all(
      CLOUD_PROVIDERS.map(async (p) => {
        const k = await ctx.services.keys.get(p);
        return { label: PROVIDER_LABELS[p], description: k ? (k.from === 'env' ? `set by FERRY_${p.toUpperCase()}_API_KEY` : 'key stored') : 'not configured', provider: p };
      }),
    );
    const picked = await vscode.window.showQuickPick(items, { placeHolder: 'Which provider?' });
    if (!picked) throw new CancelledError();
    provider = picked.provider;
  }
  const key = await vscode.window.showInputBox({
    title: `${PROVIDER_LABELS[provider]} API key`,
    prompt: `Paste your ${PROVIDER_LABELS[provider]} API key (from ${KEY_PAGES[provider]}). It is kept in VS Code's secret storage.`,
    password: true,
    ignoreFocusOut: true,
    validateInput: (v) => (v.trim().length < 8 ? 'That is too short to be an API key' : /\s/.test(v.trim()) ? 'An API key has no spaces' : undefined),
  });
  if (key === undefined) throw new CancelledError();
  await ctx.services.keys.set(provider, key.trim());
  ctx.services.logger.info(`${PROVIDER_LABELS[provider]}: API key stored`);
  void vscode.window.showInformationMessage(`Ferry: ${PROVIDER_LABELS[provider]} is set up. Its offers appear in the GPU Offers view.`);
  await ctx.offersView.refresh(true);
}
