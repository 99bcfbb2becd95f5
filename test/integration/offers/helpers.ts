/** Shared bits for the offers integration tests (fake provider servers on 127.0.0.1). */
import type { Logger } from '../../../src/core/util/logger';

export const KEY = 'test-key-000000';
export const PUBKEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFerryTestKeyForFakes ferry@test';
export const signal = new AbortController().signal;
/** Fast retries: the fakes answer in microseconds. */
export const FAST_RETRY = { attempts: 4, baseDelayMs: 5, maxDelayMs: 2_000 };

export function captureLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const add = (level: string) => (m: string) => void lines.push(`${level} ${m}`);
  return { lines, debug: add('debug'), info: add('info'), warn: add('warn'), error: add('error') };
}

/** Polls getInstance until it is running with SSH, as the engine will. */
export async function waitRunning<T extends { status: string; ssh?: unknown }>(get: () => Promise<T | undefined>, tries = 10): Promise<T> {
  for (let i = 0; i < tries; i++) {
    const inst = await get();
    if (inst?.status === 'running' && inst.ssh) return inst;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error('instance never ran');
}
