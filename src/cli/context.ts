import { loadConfig, type FerryConfig } from '../core/config';
import { ferryHome } from '../core/jobs/paths';
import { JobStore } from '../core/jobs/store';
import { createTarget } from '../core/targets/factory';
import type { Target } from '../core/targets/target';
import type { Logger } from '../core/util/logger';
import type { HostKeyPrompt } from '../core/remote/connection';
import { confirm, err, stderrLogger } from './io';

/** What every command needs, built once per invocation from the environment. */
export interface CliContext {
  home: string;
  store: JobStore;
  logger: Logger;
  targetFor(ref: string): Promise<Target>;
  /** `--accept-new-host-key`: unknown SSH host keys are accepted (and remembered) without asking. */
  acceptNewHostKeys: boolean;
  config(): Promise<FerryConfig>;
}

export function cliContext(env: NodeJS.ProcessEnv = process.env): CliContext {
  const home = ferryHome(env);
  const logger = stderrLogger();
  let config: Promise<FerryConfig> | undefined;
  const getConfig = () => (config ??= loadConfig(home, env));
  const ctx: CliContext = {
    acceptNewHostKeys: false,
    home,
    store: new JobStore(home),
    logger,
    targetFor: async (ref) =>
      createTarget(ref, {
        home,
        env,
        logger,
        config: await getConfig(),
        // Without a terminal there is nobody to ask: an unknown key is refused, with a hint.
        confirmHostKey: ctx.acceptNewHostKeys || (process.stdin.isTTY && process.stderr.isTTY) ? (p) => confirmHostKey(p, ctx.acceptNewHostKeys) : undefined,
        passphrase: askPassphrase,
      }),
    config: getConfig,
  };
  return ctx;
}

/** Unknown host key: never accepted silently. A terminal asks; a script must pass --accept-new-host-key. */
async function confirmHostKey(p: HostKeyPrompt, accept: boolean): Promise<boolean> {
  if (accept) {
    err.line(`accepting new ${p.keyType} host key for ${p.host} (${p.fingerprint}); saved in ${p.knownHostsPath}`);
    return true;
  }
  err.line(`The authenticity of host '${p.host}' (${p.alias}) can't be established.\n${p.keyType} key fingerprint is ${p.fingerprint}.`);
  return confirm(`Trust it and add it to ${p.knownHostsPath}?`, false);
}

async function askPassphrase(keyPath: string): Promise<string | undefined> {
  if (!process.stdin.isTTY || !process.stderr.isTTY) return undefined;
  const { createInterface } = await import('node:readline/promises');
  const { Writable } = await import('node:stream');
  // Echo nothing while the passphrase is typed.
  const muted = new Writable({ write: (_c, _e, cb) => cb() });
  process.stderr.write(`Passphrase for ${keyPath}: `);
  const rl = createInterface({ input: process.stdin, output: muted, terminal: true });
  try {
    return (await rl.question('')) || undefined;
  } finally {
    rl.close();
    process.stderr.write('\n');
  }
}
