/**
 * A fake Lambda Cloud API (provider-apis.md §3, §6.4): `{"data": ...}` envelopes and
 * `{"error": {code, message, suggestion}}` failures; instance types keyed by name with their
 * regions that have capacity; launch (exactly one SSH key, insufficient-capacity), instances
 * booting without an ip then active, terminate, SSH keys; Bearer or Basic auth; and, when
 * asked, the documented one-request-per-second limit enforced with 429s.
 */
import { randomBytes } from 'node:crypto';
import {
  DEFAULT_FAKE_KEY,
  json,
  presentedKey,
  startFakeServer,
  type FakeLifecycleOptions,
  type FakeServer,
  type LaunchedInfo,
  type RecordedRequest,
  type Reply,
  type SshEndpointInfo,
} from './common';

export interface FakeLambdaType {
  name: string;
  description: string;
  gpu_description: string;
  price_cents_per_hour: number;
  specs: { vcpus: number; memory_gib: number; storage_gib: number; gpus: number };
  /** Regions with capacity now (names). */
  regions: string[];
}

export interface FakeLambdaInstance {
  id: string;
  name: string;
  type: FakeLambdaType;
  region: string;
  sshKeyNames: string[];
  tags: Array<{ key: string; value: string }>;
  polls: number;
  ssh?: SshEndpointInfo;
}

export interface FakeLambdaState {
  types: FakeLambdaType[];
  /** Raw entries added to instance-types' data (malformed ones, for dropping). */
  extraTypes: Record<string, unknown>;
  instances: Map<string, FakeLambdaInstance>;
  sshKeys: Array<{ id: string; name: string; public_key: string }>;
  launched: string[];
  /** How many requests the rate limit refused. */
  rateLimited: number;
}

export interface FakeLambdaOptions extends FakeLifecycleOptions {
  types?: FakeLambdaType[];
  extraTypes?: Record<string, unknown>;
  /** Refuse with 429 any request closer than this to the previous one (Lambda: ~1000). */
  enforceMinIntervalMs?: number;
}

const REGION_DESCRIPTIONS: Record<string, string> = {
  'us-east-1': 'Virginia, USA',
  'us-west-1': 'California, USA',
  'us-south-1': 'Texas, USA',
  'europe-central-1': 'Germany',
};

export function defaultLambdaTypes(): FakeLambdaType[] {
  return [
    { name: 'gpu_1x_a10', description: '1x A10 (24 GB PCIe)', gpu_description: 'A10 (24 GB PCIe)', price_cents_per_hour: 75, specs: { vcpus: 30, memory_gib: 200, storage_gib: 1400, gpus: 1 }, regions: ['us-east-1', 'us-west-1'] },
    { name: 'gpu_1x_h100_sxm5', description: '1x H100 (80 GB SXM5)', gpu_description: 'H100 (80 GB SXM5)', price_cents_per_hour: 329, specs: { vcpus: 26, memory_gib: 225, storage_gib: 2816, gpus: 1 }, regions: ['us-east-1'] },
    { name: 'gpu_8x_a100_80gb_sxm4', description: '8x A100 (80 GB SXM4)', gpu_description: 'A100 (80 GB SXM4)', price_cents_per_hour: 1432, specs: { vcpus: 240, memory_gib: 1800, storage_gib: 19500, gpus: 8 }, regions: [] },
    { name: 'gpu_1x_gh200', description: '1x GH200 (96 GB)', gpu_description: 'GH200 (96 GB)', price_cents_per_hour: 149, specs: { vcpus: 64, memory_gib: 432, storage_gib: 4096, gpus: 1 }, regions: ['us-south-1'] },
  ];
}

function lambdaError(status: number, code: string, message: string, suggestion?: string): Reply {
  return json(status, { error: { code, message, ...(suggestion ? { suggestion } : {}) } });
}

export async function startFakeLambda(opts: FakeLambdaOptions = {}): Promise<FakeServer<FakeLambdaState>> {
  const key = opts.apiKey ?? DEFAULT_FAKE_KEY;
  const bootPolls = opts.bootPolls ?? 2;
  const state: FakeLambdaState = {
    types: opts.types ?? defaultLambdaTypes(),
    extraTypes: opts.extraTypes ?? {},
    instances: new Map(),
    sshKeys: [],
    launched: [],
    rateLimited: 0,
  };
  let lastAt = 0;
  const region = (name: string): { name: string; description: string } => ({ name, description: REGION_DESCRIPTIONS[name] ?? name });
  const typeJson = (t: FakeLambdaType): Record<string, unknown> => ({
    name: t.name,
    description: t.description,
    gpu_description: t.gpu_description,
    price_cents_per_hour: t.price_cents_per_hour,
    specs: t.specs,
  });
  const info = (i: FakeLambdaInstance): LaunchedInfo => ({ provider: 'lambda', id: i.id, name: i.name, offer: `${i.type.name}:${i.region}` });
  const instanceJson = (i: FakeLambdaInstance, status?: string): Record<string, unknown> => {
    const active = i.polls >= bootPolls && i.ssh;
    const out: Record<string, unknown> = {
      id: i.id,
      name: i.name,
      status: status ?? (active ? 'active' : 'booting'),
      ssh_key_names: i.sshKeyNames,
      file_system_names: [],
      region: region(i.region),
      instance_type: typeJson(i.type),
      is_reserved: false,
      actions: { terminate: { available: true }, restart: { available: true } },
      tags: i.tags,
    };
    // ip and hostname appear only once the instance has booted.
    if (active && i.ssh) Object.assign(out, { ip: i.ssh.host, hostname: i.ssh.host, private_ip: '10.0.2.100' });
    return out;
  };

  const route = async (req: RecordedRequest): Promise<Reply> => {
    const now = Date.now();
    if (opts.enforceMinIntervalMs !== undefined && now - lastAt < opts.enforceMinIntervalMs) {
      lastAt = now;
      state.rateLimited++;
      return lambdaError(429, 'global/rate-limited', 'Your API requests are being rate limited.');
    }
    lastAt = now;
    if (presentedKey(req) !== key) {
      return lambdaError(401, 'global/invalid-api-key', 'API key was invalid, expired, or deleted.', 'Check your API key or create a new one, then try again.');
    }
    const p = req.path.replace(/\/+$/, '');
    let m: RegExpExecArray | null;

    if (p === '/api/v1/instance-types' && req.method === 'GET') {
      const data: Record<string, unknown> = {};
      for (const t of state.types) data[t.name] = { instance_type: typeJson(t), regions_with_capacity_available: t.regions.map(region) };
      return json(200, { data: { ...data, ...state.extraTypes } });
    }

    if (p === '/api/v1/instance-operations/launch' && req.method === 'POST') {
      const b = (req.body ?? {}) as Record<string, unknown>;
      const keys = Array.isArray(b.ssh_key_names) ? (b.ssh_key_names as unknown[]) : [];
      if (typeof b.region_name !== 'string' || typeof b.instance_type_name !== 'string' || keys.length !== 1 || typeof keys[0] !== 'string') {
        return lambdaError(400, 'global/invalid-parameters', 'Invalid request data.', 'Exactly one SSH key must be specified.');
      }
      const keyName = keys[0];
      if (!state.sshKeys.some((k) => k.name === keyName)) return lambdaError(404, 'global/object-does-not-exist', `SSH key ${keyName} does not exist.`);
      const t = state.types.find((x) => x.name === b.instance_type_name);
      if (!t) return lambdaError(404, 'global/object-does-not-exist', 'Specified instance type does not exist.');
      if (!t.regions.includes(b.region_name)) {
        return lambdaError(400, 'instance-operations/launch/insufficient-capacity', 'Not enough capacity to fulfill launch request.', 'Choose an instance type with more availability, or try again later.');
      }
      const tags = Array.isArray(b.tags) ? (b.tags as Array<{ key: string; value: string }>) : [];
      const inst: FakeLambdaInstance = {
        id: randomBytes(16).toString('hex'),
        name: typeof b.name === 'string' ? b.name : '',
        type: t,
        region: b.region_name,
        sshKeyNames: [keyName],
        tags,
        polls: 0,
      };
      inst.ssh = await (opts.sshEndpoint?.(info(inst)) ?? { host: '127.0.0.1', port: 22 });
      state.instances.set(inst.id, inst);
      state.launched.push(inst.id);
      return json(200, { data: { instance_ids: [inst.id] } });
    }

    if (p === '/api/v1/instance-operations/terminate' && req.method === 'POST') {
      const ids = ((req.body ?? {}) as { instance_ids?: unknown }).instance_ids;
      if (!Array.isArray(ids) || ids.length === 0) return lambdaError(400, 'global/invalid-parameters', 'Invalid request data.');
      const found = ids.map((id) => state.instances.get(String(id)));
      if (found.some((i) => !i)) return lambdaError(404, 'global/object-does-not-exist', 'Specified instance does not exist.');
      const terminated = [];
      for (const i of found as FakeLambdaInstance[]) {
        state.instances.delete(i.id);
        await opts.onTerminate?.(info(i));
        terminated.push(instanceJson(i, 'terminating'));
      }
      return json(200, { data: { terminated_instances: terminated } });
    }

    if (p === '/api/v1/instances' && req.method === 'GET') {
      return json(200, { data: [...state.instances.values()].map((i) => instanceJson(i)) });
    }

    if ((m = /^\/api\/v1\/instances\/([^/]+)$/.exec(p)) && req.method === 'GET') {
      const inst = state.instances.get(m[1] ?? '');
      if (!inst) return lambdaError(404, 'global/object-does-not-exist', 'Specified instance does not exist.');
      inst.polls++;
      return json(200, { data: instanceJson(inst) });
    }

    if (p === '/api/v1/ssh-keys') {
      if (req.method === 'GET') return json(200, { data: state.sshKeys });
      if (req.method === 'POST') {
        const b = (req.body ?? {}) as { name?: unknown; public_key?: unknown };
        if (typeof b.name !== 'string' || b.name.length < 1 || b.name.length > 64) return lambdaError(400, 'global/invalid-parameters', 'Invalid request data.');
        if (state.sshKeys.some((k) => k.name === b.name)) return lambdaError(400, 'global/invalid-parameters', 'An SSH key with that name already exists.');
        const entry = { id: randomBytes(16).toString('hex'), name: b.name, public_key: typeof b.public_key === 'string' ? b.public_key : 'ssh-rsa GENERATED' };
        state.sshKeys.push(entry);
        return json(200, { data: entry });
      }
    }
    if ((m = /^\/api\/v1\/ssh-keys\/([^/]+)$/.exec(p)) && req.method === 'DELETE') {
      const i = state.sshKeys.findIndex((k) => k.id === m?.[1]);
      if (i < 0) return lambdaError(404, 'global/object-does-not-exist', 'Specified SSH key does not exist.');
      state.sshKeys.splice(i, 1);
      return json(200, { data: {} });
    }

    return lambdaError(404, 'global/object-does-not-exist', `No route for ${req.method} ${req.path}.`);
  };

  return startFakeServer(state, route, {
    rateLimitOnce: opts.rateLimitOnce,
    rateLimitText: { error: { code: 'global/rate-limited', message: 'Your API requests are being rate limited.' } },
  });
}
