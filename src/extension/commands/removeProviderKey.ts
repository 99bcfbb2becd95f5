import { readdir, rm } from 'node:fs/promises';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { CancelledError } from '../../core/util/errors';
import { CLOUD_PROVIDERS, PROVIDER_LABELS, type CloudProvider } from '../ids';
import type { CommandContext } from './commandContext';
import { providerFromArg } from './configureProvider';

/** Remove Provider API Key...: the key and the provider's cached offers go together. */
export async function removeProviderKey(ctx: CommandContext, node?: unknown): Promise<void> {
  let provider = providerFromArg(node);
  if (!provider) {
    const configured: CloudProvider[] = [];
    for (const p of CLOUD_PROVIDERS) {
      const k = await ctx.services.keys.get(p);
      if (k?.from === 'secret') configured.push(p);
    }
    if (configured.length === 0) {
      void vscode.window.showInformationMessage('Ferry: no provider API key is stored in VS Code.');
      throw new CancelledError();
    }
    const picked = await vscode.window.showQuickPick(
      configured.map((p) => ({ label: PROVIDER_LABELS[p], provider: p })),
      { placeHolder: 'Remove which provider key?' },
    );
    if (!picked) throw new CancelledError();
    provider = picked.provider;
  }
  await ctx.services.keys.delete(provider);
  // Cached lists of that provider: one file per provider and query, named after the provider.
  const { offersCacheDir } = await import('../../core/offers/cache');
  const dir = offersCacheDir(ctx.services.home);
  const names = await readdir(dir).catch(() => [] as string[]);
  await Promise.all(names.filter((n) => n.startsWith(`${provider}-`)).map((n) => rm(path.join(dir, n), { force: true })));
  const env = await ctx.services.keys.get(provider);
  ctx.services.logger.info(`${PROVIDER_LABELS[provider]}: API key removed`);
  void vscode.window.showInformationMessage(
    `Ferry: removed the ${PROVIDER_LABELS[provider]} key.${env ? ` FERRY_${provider.toUpperCase()}_API_KEY is still set in the environment.` : ''}`,
  );
  await ctx.offersView.refresh(true);
}
