import { ensureFerryKey } from '../../src/core/remote/ferryKey';
import { DEFAULT_FAKE_KEY, startFakeVast, type FakeServer, type FakeVastState } from '../fakes/providers';
import { startSshd, type Sshd } from './sshd';

/**
 * The simulated cloud: the fake Vast.ai API whose instances are real sshd processes on
 * loopback. Launch starts one (accepting Ferry's key), terminate stops it, preempt kills it
 * and makes the provider report the instance gone, as a reclaimed spot machine would.
 */
export interface SimCloud {
  vast: FakeServer<FakeVastState>;
  /** Environment for the CLI: the provider's URL and key, and a temp remote base dir. */
  env: Record<string, string>;
  /** Live sshd per instance id. */
  machines: Map<string, Sshd>;
  preempt(instanceId: string): Promise<void>;
  /** Instances the provider still holds (must be 0 at the end of every test). */
  live(): number;
  close(): Promise<void>;
}

export async function startSimCloud(opts: { home: string; remoteBase: string; bootPolls?: number }): Promise<SimCloud> {
  const key = await ensureFerryKey(opts.home);
  const machines = new Map<string, Sshd>();
  const vast = (await startFakeVast({
    bootPolls: opts.bootPolls ?? 1,
    sshEndpoint: async (info) => {
      const sshd = await startSshd({ authorizedKeys: [key.publicKey], alias: `sim-${info.id}` });
      machines.set(info.id, sshd);
      return { host: sshd.host, port: sshd.port };
    },
    onTerminate: async (info) => {
      await machines.get(info.id)?.stop();
      machines.delete(info.id);
      // The host is free again once its instance is terminated: its ask can be rented anew.
      vast.state.rented.delete(Number(info.offer));
    },
  })) as FakeServer<FakeVastState>;
  return {
    vast,
    machines,
    env: {
      FERRY_VAST_API_KEY: DEFAULT_FAKE_KEY,
      FERRY_VAST_API_URL: vast.url,
      FERRY_SSH_REMOTE_BASE: opts.remoteBase,
    },
    async preempt(id) {
      vast.state.instances.delete(Number(id));
      const m = machines.get(id);
      machines.delete(id);
      await m?.stop();
    },
    live: () => vast.state.instances.size,
    async close() {
      for (const m of machines.values()) await m.stop().catch(() => undefined);
      machines.clear();
      await vast.close();
    },
  };
}
