/**
 * A fake RunPod GraphQL API (provider-apis.md §2.1-2.6, §6.2): one POST /graphql, dispatched
 * on the first field of the selection set; variables or inline literals; errors in `errors[]`
 * with HTTP 200 (capacity, low bids, unknown pods), 401 as an HTTP status; pods whose
 * `runtime` stays null until booted.
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

export interface FakeRunpodGpuType {
  id: string;
  displayName: string;
  manufacturer: string;
  memoryInGb: number;
  maxGpuCount: number;
  /** $/h per GPU; null = RunPod cannot price it now. */
  price: number | null;
  /** Spot minimum bid per GPU. */
  bid: number | null;
  stockStatus: 'High' | 'Medium' | 'Low' | null;
}

export interface FakeRunpodPod {
  id: string;
  name: string;
  gpuTypeId: string;
  gpuCount: number;
  imageName: string;
  costPerHr: number;
  env: string[];
  interruptible: boolean;
  polls: number;
  ssh?: SshEndpointInfo;
}

export interface FakeRunpodState {
  gpuTypes: FakeRunpodGpuType[];
  /** Raw items appended to every gpuTypes answer (malformed ones, for dropping). */
  extraGpuTypes: unknown[];
  /** Free GPUs per type id; a deploy above it gets the capacity error. Missing = plenty. */
  capacity: Record<string, number>;
  pods: Map<string, FakeRunpodPod>;
  launched: string[];
}

export interface FakeRunpodOptions extends FakeLifecycleOptions {
  gpuTypes?: FakeRunpodGpuType[];
  extraGpuTypes?: unknown[];
  capacity?: Record<string, number>;
  /** gpuTypes without a key answers (gpuhunt relies on it). Default true. */
  anonymousCatalog?: boolean;
}

export function defaultRunpodGpuTypes(): FakeRunpodGpuType[] {
  return [
    { id: 'NVIDIA GeForce RTX 4090', displayName: 'RTX 4090', manufacturer: 'Nvidia', memoryInGb: 24, maxGpuCount: 8, price: 0.34, bid: 0.2, stockStatus: 'High' },
    { id: 'NVIDIA A100 80GB PCIe', displayName: 'A100 PCIe', manufacturer: 'Nvidia', memoryInGb: 80, maxGpuCount: 8, price: 1.19, bid: 0.82, stockStatus: 'Medium' },
    { id: 'NVIDIA H100 80GB HBM3', displayName: 'H100 SXM', manufacturer: 'Nvidia', memoryInGb: 80, maxGpuCount: 8, price: 2.69, bid: 1.75, stockStatus: 'Low' },
    { id: 'NVIDIA RTX A6000', displayName: 'RTX A6000', manufacturer: 'Nvidia', memoryInGb: 48, maxGpuCount: 4, price: 0.49, bid: 0.25, stockStatus: 'High' },
    { id: 'AMD Instinct MI300X OAM', displayName: 'MI300X', manufacturer: 'AMD', memoryInGb: 192, maxGpuCount: 8, price: 2.49, bid: null, stockStatus: 'Low' },
    // Out of stock: RunPod answers nulls for it.
    { id: 'NVIDIA L40S', displayName: 'L40S', manufacturer: 'Nvidia', memoryInGb: 48, maxGpuCount: 8, price: null, bid: null, stockStatus: null },
    { id: 'unknown', displayName: 'unknown', manufacturer: 'Nvidia', memoryInGb: 0, maxGpuCount: 0, price: null, bid: null, stockStatus: null },
  ];
}

/** The first field of the operation's selection set: `gpuTypes`, `pod`, `podTerminate`... */
export function topLevelField(query: string): string | undefined {
  const open = query.indexOf('{');
  if (open < 0) return undefined;
  return /^\s*([A-Za-z_]\w*)/.exec(query.slice(open + 1))?.[1];
}

/** `name: "value"` or `name: 12` written inline in the query. */
function inlineArg(query: string, name: string): string | undefined {
  const m = new RegExp(`\\b${name}\\s*:\\s*(?:"([^"]*)"|([\\d.]+))`).exec(query);
  return m ? (m[1] ?? m[2]) : undefined;
}

const CAPACITY_MESSAGE = 'There are no longer any instances available with the requested specifications. Please refresh and try again.';

export async function startFakeRunpod(opts: FakeRunpodOptions = {}): Promise<FakeServer<FakeRunpodState>> {
  const key = opts.apiKey ?? DEFAULT_FAKE_KEY;
  const bootPolls = opts.bootPolls ?? 2;
  const state: FakeRunpodState = {
    gpuTypes: opts.gpuTypes ?? defaultRunpodGpuTypes(),
    extraGpuTypes: opts.extraGpuTypes ?? [],
    capacity: { ...opts.capacity },
    pods: new Map(),
    launched: [],
  };
  const gqlError = (message: string, field: string): Reply => json(200, { errors: [{ message, path: [field] }], data: { [field]: null } });
  const info = (pod: FakeRunpodPod): LaunchedInfo => ({ provider: 'runpod', id: pod.id, name: pod.name, offer: pod.gpuTypeId });

  const podJson = (pod: FakeRunpodPod): Record<string, unknown> => {
    const booted = pod.polls >= bootPolls && pod.ssh;
    return {
      id: pod.id,
      name: pod.name,
      desiredStatus: 'RUNNING',
      costPerHr: pod.costPerHr,
      gpuCount: pod.gpuCount,
      imageName: pod.imageName,
      env: pod.env,
      lastStatusChange: 'Rented by User: Fri Jul 12 2024 15:14:40 GMT-0400 (Eastern Daylight Time)',
      machine: { gpuDisplayName: pod.gpuTypeId, location: 'US', podHostId: `${pod.id}-64410065` },
      runtime: booted
        ? {
            uptimeInSeconds: 10,
            ports: [
              { ip: '100.65.0.101', isIpPublic: false, privatePort: 8888, publicPort: 60141, type: 'http' },
              { ip: pod.ssh?.host, isIpPublic: true, privatePort: 22, publicPort: pod.ssh?.port, type: 'tcp' },
            ],
            gpus: [{ id: 'GPU-e0488b7e', gpuUtilPercent: 0, memoryUtilPercent: 0 }],
            container: { cpuPercent: 0, memoryPercent: 0 },
          }
        : null,
    };
  };

  const route = async (req: RecordedRequest): Promise<Reply> => {
    if (req.path !== '/graphql' || req.method !== 'POST') return json(404, { error: 'not found' });
    const body = (req.body ?? {}) as { query?: unknown; variables?: Record<string, unknown> };
    if (typeof body.query !== 'string') return json(400, { errors: [{ message: 'Must provide query string.' }] });
    const query = body.query;
    const vars = body.variables ?? {};
    const field = topLevelField(query);
    const presented = presentedKey(req);
    const authed = presented === key;
    const anonymousOk = field === 'gpuTypes' && presented === undefined && opts.anonymousCatalog !== false;
    if (!authed && !anonymousOk) return json(401, { errors: [{ message: 'Unauthorized' }] });
    const input = (vars.input ?? {}) as Record<string, unknown>;

    switch (field) {
      case 'gpuTypes': {
        const lp = (vars.lowestPriceInput ?? {}) as { gpuCount?: unknown };
        const count = typeof lp.gpuCount === 'number' ? lp.gpuCount : Number(inlineArg(query, 'gpuCount') ?? 1);
        const types = state.gpuTypes.map((t) => {
          const free = state.capacity[t.id];
          const stock = free === 0 ? null : t.stockStatus;
          return {
            id: t.id,
            displayName: t.displayName,
            manufacturer: t.manufacturer,
            memoryInGb: t.memoryInGb,
            maxGpuCount: t.maxGpuCount,
            secureCloud: true,
            communityCloud: true,
            securePrice: t.price,
            communityPrice: t.price,
            lowestPrice: {
              minimumBidPrice: stock ? t.bid : null,
              uninterruptablePrice: t.price,
              minVcpu: 8 * count,
              minMemory: 31 * count,
              stockStatus: stock,
              maxUnreservedGpuCount: free ?? t.maxGpuCount,
              availableGpuCounts: Array.from({ length: free ?? t.maxGpuCount }, (_, i) => i + 1),
            },
          };
        });
        return json(200, { data: { gpuTypes: [...types, ...state.extraGpuTypes] } });
      }
      case 'podFindAndDeployOnDemand':
      case 'podRentInterruptable': {
        const gpuTypeId = typeof input.gpuTypeId === 'string' ? input.gpuTypeId : inlineArg(query, 'gpuTypeId');
        const gpuCount = typeof input.gpuCount === 'number' ? input.gpuCount : 1;
        const t = state.gpuTypes.find((g) => g.id === gpuTypeId);
        if (!t) return json(400, { errors: [{ message: `Variable "$input" got invalid value "${String(gpuTypeId)}" at "input.gpuTypeId"` }] });
        const free = state.capacity[t.id];
        if (t.price === null || (free !== undefined && free < gpuCount) || gpuCount > t.maxGpuCount) return gqlError(CAPACITY_MESSAGE, field);
        let perGpu = t.price;
        if (field === 'podRentInterruptable') {
          const bid = typeof input.bidPerGpu === 'number' ? input.bidPerGpu : NaN;
          if (t.bid === null) return gqlError(CAPACITY_MESSAGE, field);
          if (!(bid >= t.bid)) return gqlError(`Your bid price is too low. The minimum bid is ${t.bid}.`, field);
          perGpu = bid;
        }
        if (free !== undefined) state.capacity[t.id] = free - gpuCount;
        const env = Array.isArray(input.env)
          ? (input.env as Array<{ key?: unknown; value?: unknown }>).map((e) => `${String(e.key)}=${String(e.value)}`)
          : [];
        const pod: FakeRunpodPod = {
          id: randomBytes(7).toString('hex'),
          name: typeof input.name === 'string' ? input.name : 'pod',
          gpuTypeId: t.id,
          gpuCount,
          imageName: typeof input.imageName === 'string' ? input.imageName : 'runpod/pytorch',
          costPerHr: Math.round(perGpu * gpuCount * 1e6) / 1e6,
          env,
          interruptible: field === 'podRentInterruptable',
          polls: 0,
        };
        pod.ssh = await (opts.sshEndpoint?.(info(pod)) ?? { host: '127.0.0.1', port: 22 });
        state.pods.set(pod.id, pod);
        state.launched.push(pod.id);
        return json(200, { data: { [field]: podJson(pod) } });
      }
      case 'pod': {
        const podId = typeof input.podId === 'string' ? input.podId : inlineArg(query, 'podId');
        const pod = podId ? state.pods.get(podId) : undefined;
        if (!pod) return json(200, { data: { pod: null } });
        pod.polls++;
        return json(200, { data: { pod: podJson(pod) } });
      }
      case 'myself':
        return json(200, { data: { myself: { id: 'user-1', pods: [...state.pods.values()].map(podJson) } } });
      case 'podTerminate': {
        const podId = typeof input.podId === 'string' ? input.podId : inlineArg(query, 'podId');
        const pod = podId ? state.pods.get(podId) : undefined;
        if (!pod) return gqlError('Pod not found', 'podTerminate');
        state.pods.delete(pod.id);
        const free = state.capacity[pod.gpuTypeId];
        if (free !== undefined) state.capacity[pod.gpuTypeId] = free + pod.gpuCount;
        await opts.onTerminate?.(info(pod));
        return json(200, { data: { podTerminate: null } });
      }
      default:
        return json(400, { errors: [{ message: `Cannot query field "${String(field)}" on type "Query".` }] });
    }
  };

  return startFakeServer(state, route, { rateLimitOnce: opts.rateLimitOnce, rateLimitText: { errors: [{ message: 'Too many requests' }] } });
}
