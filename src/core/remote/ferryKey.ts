import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { utils } from 'ssh2';

export interface FerryKey {
  privateKeyPath: string;
  /** One line, `ssh-ed25519 AAAA... ferry`. */
  publicKey: string;
}

/**
 * The key pair Ferry gives the instances it launches: `$FERRY_HOME/keys/ferry_ed25519`, made on
 * first use (mode 0600, never logged). Its public half goes to the provider at launch.
 */
export async function ensureFerryKey(home: string): Promise<FerryKey> {
  const dir = path.join(home, 'keys');
  const privateKeyPath = path.join(dir, 'ferry_ed25519');
  const pubPath = `${privateKeyPath}.pub`;
  const existing = await fs.readFile(pubPath, 'utf8').catch(() => undefined);
  if (existing && (await fs.stat(privateKeyPath).catch(() => undefined))) return { privateKeyPath, publicKey: existing.trim() };
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  const pair = utils.generateKeyPairSync('ed25519', { comment: 'ferry' });
  // Written under temp names, then linked into place: link() fails when another process won the
  // race, and then its key (whole, never half written) is the one to use.
  const tmp = `${privateKeyPath}.${process.pid}.tmp`;
  await fs.writeFile(tmp, pair.private, { mode: 0o600 });
  try {
    await fs.link(tmp, privateKeyPath);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    await fs.rm(tmp, { force: true });
    for (let i = 0; i < 50; i++) {
      const pub = await fs.readFile(pubPath, 'utf8').catch(() => undefined);
      if (pub) return { privateKeyPath, publicKey: pub.trim() };
      await new Promise((r) => setTimeout(r, 100));
    }
    throw e;
  }
  await fs.rm(tmp, { force: true });
  await fs.writeFile(`${tmp}.pub`, `${pair.public.trim()}\n`, { mode: 0o644 });
  await fs.rename(`${tmp}.pub`, pubPath);
  return { privateKeyPath, publicKey: pair.public.trim() };
}
