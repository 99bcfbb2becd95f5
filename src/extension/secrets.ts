import type * as vscode from 'vscode';
import { registerSecret } from '../core/util/logger';
import { CLOUD_PROVIDERS, SecretKeys, type CloudProvider } from './ids';

/**
 * Provider API keys in SecretStorage (never in settings or logs), behind one typed store.
 * A key read here is registered with the log scrubber before anyone can print it. The
 * environment's FERRY_<PROVIDER>_API_KEY, which the CLI uses, counts as configured too.
 */
export class ProviderKeyStore {
  constructor(
    private readonly secrets: vscode.SecretStorage,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {}

  onDidChange(listener: () => void): vscode.Disposable {
    return this.secrets.onDidChange((e) => {
      if ((Object.values(SecretKeys) as string[]).includes(e.key)) listener();
    });
  }

  /** The key from SecretStorage, else from the environment. */
  async get(provider: CloudProvider): Promise<{ key: string; from: 'secret' | 'env' } | undefined> {
    const stored = await this.secrets.get(SecretKeys[provider]);
    if (stored) {
      registerSecret(stored);
      return { key: stored, from: 'secret' };
    }
    const env = this.env[`FERRY_${provider.toUpperCase()}_API_KEY`]?.trim();
    if (env) {
      registerSecret(env);
      return { key: env, from: 'env' };
    }
    return undefined;
  }

  async set(provider: CloudProvider, key: string): Promise<void> {
    registerSecret(key);
    await this.secrets.store(SecretKeys[provider], key);
  }

  async delete(provider: CloudProvider): Promise<void> {
    await this.secrets.delete(SecretKeys[provider]);
  }

  /** Providers with a key (SecretStorage or environment). */
  async configured(): Promise<CloudProvider[]> {
    const out: CloudProvider[] = [];
    for (const p of CLOUD_PROVIDERS) if (await this.get(p)) out.push(p);
    return out;
  }
}
