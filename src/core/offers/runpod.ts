/**
 * RunPod through its GraphQL API (POST /graphql). Deprecated but the only surface with prices
 * per GPU count (`lowestPrice`) and the one every maintained client uses; errors arrive in
 * `errors[]` with HTTP 200. Prices are $/h per GPU. Spot (`podRentInterruptable`) is being
 * removed by RunPod, so it is off unless the caller turns it on.
 * Reference: ../../../../shared/reference/provider-apis.md §2.
 */
import { z } from 'zod';
import { UNBOUNDED_COUNT } from '../spec/gpuQuery';
import { canonicalGpuName, gpuVendor, snapGpuMemoryGb } from '../util/gpuNames';
import { ProviderError, type ProviderErrorKind } from './errors';
import { genericDescription, ProviderHttp, type AdapterOptions, type ErrorDescription } from './http';
import { drop, logDropped, parseItems, parseResponse, validPrice, type Dropped } from './parse';
import type { Instance, InstanceStatus, LaunchOptions, Offer, OfferList, OfferQuery, Provider } from './types';

export const RUNPOD_DEFAULT_URL = 'https://api.runpod.io';
const DEFAULT_IMAGE = 'runpod/pytorch:2.1.0-py3.10-cuda11.8.0-devel-ubuntu22.04';
/** Counts listed when the query says nothing about them. */
const DEFAULT_COUNTS = [1, 2, 4, 8];
/** One request per count: a wide range like `1..` is capped here. */
const MAX_COUNTS = 8;
const DEFAULT_DISK_GB = 50;

export interface RunpodOptions extends AdapterOptions {
  /** List spot prices and allow spot launches (legacy at RunPod). Default false. */
  spot?: boolean;
  image?: string;
  diskGb?: number;
}

// ---- raw shapes ----

const num = z.number();
const LowestPrice = z.object({
  minimumBidPrice: num.nullish(),
  uninterruptablePrice: num.nullish(),
  minVcpu: num.nullish(),
  minMemory: num.nullish(),
  stockStatus: z.string().nullish(),
  countryCode: z.string().nullish(),
  maxUnreservedGpuCount: num.nullish(),
  availableGpuCounts: z.array(num).nullish(),
});
const RunpodGpuTypeRaw = z.object({
  id: z.string().min(1),
  displayName: z.string().nullish(),
  manufacturer: z.string().nullish(),
  memoryInGb: num,
  maxGpuCount: num.nullish(),
  lowestPrice: LowestPrice.nullish(),
});
type RunpodGpuTypeRaw = z.infer<typeof RunpodGpuTypeRaw>;

const RuntimePort = z.object({
  ip: z.string().nullish(),
  isIpPublic: z.boolean().nullish(),
  privatePort: num.nullish(),
  publicPort: num.nullish(),
  type: z.string().nullish(),
});
const RunpodPodRaw = z.object({
  id: z.string().min(1),
  name: z.string().nullish(),
  desiredStatus: z.string().nullish(),
  costPerHr: z.union([num, z.string()]).nullish(),
  gpuCount: num.nullish(),
  env: z.array(z.string()).nullish(),
  runtime: z
    .object({ uptimeInSeconds: num.nullish(), ports: z.array(RuntimePort).nullish() })
    .nullish(),
});
type RunpodPodRaw = z.infer<typeof RunpodPodRaw>;

const GraphqlEnvelope = z.object({
  data: z.record(z.string(), z.unknown()).nullish(),
  errors: z.array(z.object({ message: z.string() })).nullish(),
});

const LabelsJson = z.record(z.string(), z.string());

// ---- GraphQL documents (variables, not inlined literals: no escaping to get wrong) ----

const POD_FIELDS = `id name desiredStatus costPerHr gpuCount imageName env lastStatusChange
  runtime { uptimeInSeconds ports { ip isIpPublic privatePort publicPort type } }`;

export const RUNPOD_GPU_TYPES_QUERY = `query GpuTypes($lowestPriceInput: GpuLowestPriceInput) {
  gpuTypes {
    id displayName manufacturer memoryInGb maxGpuCount secureCloud communityCloud
    lowestPrice(input: $lowestPriceInput) {
      minimumBidPrice uninterruptablePrice minVcpu minMemory stockStatus countryCode maxUnreservedGpuCount availableGpuCounts
    }
  }
}`;
const DEPLOY_MUTATION = `mutation Deploy($input: PodFindAndDeployOnDemandInput!) { podFindAndDeployOnDemand(input: $input) { ${POD_FIELDS} } }`;
const RENT_SPOT_MUTATION = `mutation RentSpot($input: PodRentInterruptableInput!) { podRentInterruptable(input: $input) { ${POD_FIELDS} } }`;
const POD_QUERY = `query Pod($input: PodFilter!) { pod(input: $input) { ${POD_FIELDS} } }`;
const PODS_QUERY = `query Pods { myself { pods { ${POD_FIELDS} } } }`;
const TERMINATE_MUTATION = `mutation Terminate($input: PodTerminateInput!) { podTerminate(input: $input) }`;

// ---- normalize ----

const round6 = (x: number): number => Math.round(x * 1e6) / 1e6;

/** One GPU type priced for one count -> one Offer. Exported for unit tests. */
export function normalizeRunpodGpuType(
  raw: RunpodGpuTypeRaw,
  count: number,
  asOf: string,
  opts: { spot?: boolean; diskGb?: number } = {},
): Offer | Dropped {
  const lp = raw.lowestPrice;
  const perGpu = lp?.uninterruptablePrice;
  // RunPod answers null (or 0) for types it cannot price now: no price, no offer.
  if (!validPrice(perGpu) || perGpu === 0) return drop('no price (lowestPrice.uninterruptablePrice)');
  const name = canonicalGpuName(raw.id);
  const stock = lp?.stockStatus;
  const offer: Offer = {
    provider: 'runpod',
    id: `runpod:${raw.id.replace(/\s+/g, '_')}:${count}`,
    // The gpuTypeId is what a deploy names; the count is in gpu.count.
    instanceType: raw.id,
    gpu: { name, count, memoryGb: snapGpuMemoryGb(name, raw.memoryInGb), vendor: gpuVendor(name, raw.manufacturer) },
    cpus: lp?.minVcpu ?? 0,
    memoryGb: lp?.minMemory ?? 0,
    // The container disk is chosen at deploy time; the offer shows what a launch asks for.
    diskGb: opts.diskGb ?? DEFAULT_DISK_GB,
    // RunPod picks the data center at deploy time unless one is pinned.
    region: lp?.countryCode || 'any',
    pricePerHour: round6(perGpu * count),
    available: Boolean(stock) && stock !== 'None' && (lp?.availableGpuCounts ? lp.availableGpuCounts.includes(count) : true),
    asOf,
  };
  const bid = lp?.minimumBidPrice;
  if (opts.spot && validPrice(bid) && bid > 0) offer.spotPricePerHour = round6(bid * count);
  return offer;
}

function podStatus(raw: RunpodPodRaw): InstanceStatus {
  switch (raw.desiredStatus) {
    case 'RUNNING':
      // runtime stays null until the container is up (and forever for a broken image).
      return raw.runtime ? 'running' : 'pending';
    case 'CREATED':
      return 'pending';
    case 'EXITED':
      return 'stopped';
    case 'TERMINATED':
      return 'terminated';
    default:
      return 'unknown';
  }
}

function podLabels(env: readonly string[] | null | undefined): Record<string, string> {
  const line = env?.find((e) => e.startsWith('FERRY_LABELS='));
  if (!line) return {};
  try {
    const r = LabelsJson.safeParse(JSON.parse(line.slice('FERRY_LABELS='.length)));
    return r.success ? r.data : {};
  } catch {
    return {};
  }
}

export function normalizeRunpodPod(raw: RunpodPodRaw): Instance {
  const cost = raw.costPerHr === null || raw.costPerHr === undefined ? NaN : Number(raw.costPerHr);
  const status = podStatus(raw);
  const inst: Instance = {
    provider: 'runpod',
    id: raw.id,
    name: raw.name ?? '',
    status,
    rawStatus: `${raw.desiredStatus ?? 'null'}${raw.desiredStatus === 'RUNNING' && !raw.runtime ? ' (no runtime yet)' : ''}`,
    pricePerHour: validPrice(cost) ? round6(cost) : 0,
    labels: podLabels(raw.env),
  };
  const port = raw.runtime?.ports?.find((p) => p.privatePort === 22 && p.type === 'tcp' && p.isIpPublic && p.ip && p.publicPort);
  if (port?.ip && port.publicPort) inst.ssh = { host: port.ip, port: port.publicPort, user: 'root' };
  return inst;
}

/** The texts RunPod uses for "no machine for you right now" (it has no error codes). */
export function runpodErrorKind(message: string): ProviderErrorKind {
  if (/no longer any instances available|no instances available|not enough free gpus|out of stock/i.test(message)) return 'capacity';
  if (/\bbid\b/i.test(message)) return 'price';
  if (/unauthori[sz]ed|api key/i.test(message)) return 'auth';
  if (/not found|does not exist/i.test(message)) return 'not-found';
  return 'server';
}

function describeRunpodError(_status: number, body: unknown): ErrorDescription {
  const parsed = GraphqlEnvelope.safeParse(body);
  const first = parsed.success ? parsed.data.errors?.[0]?.message : undefined;
  return first ? { message: first } : genericDescription(body);
}

/** The counts to price: each in the query's range (capped), else a spread. */
export function runpodCounts(query: OfferQuery): number[] {
  const c = query.gpu?.count;
  if (!c) return DEFAULT_COUNTS;
  const max = Math.min(c.max >= UNBOUNDED_COUNT ? c.min + MAX_COUNTS - 1 : c.max, c.min + MAX_COUNTS - 1);
  const out: number[] = [];
  for (let n = c.min; n <= max; n++) out.push(n);
  return out;
}

export class RunpodProvider implements Provider {
  readonly name = 'runpod' as const;
  private readonly http: ProviderHttp;
  private readonly now: () => Date;
  private readonly opts: RunpodOptions;

  constructor(opts: RunpodOptions = {}) {
    this.opts = opts;
    this.now = opts.now ?? (() => new Date());
    this.http = ProviderHttp.forAdapter(opts, {
      provider: 'runpod',
      envPrefix: 'RUNPOD',
      defaultUrl: RUNPOD_DEFAULT_URL,
      authHeaders: (key) => ({ Authorization: `Bearer ${key}` }),
      describeError: describeRunpodError,
    });
  }

  /** One GraphQL call: `data` on success; `errors[]` (with HTTP 200) become a ProviderError. */
  private async graphql(
    op: string,
    query: string,
    variables: Record<string, unknown> | undefined,
    opts: { idempotent: boolean; auth: 'required' | 'optional' },
    signal: AbortSignal,
  ): Promise<Record<string, unknown>> {
    const endpoint = `POST /graphql (${op})`;
    const res = await this.http.request(
      { method: 'POST', path: '/graphql', body: variables ? { query, variables } : { query }, endpoint, ...opts },
      signal,
    );
    const env = parseResponse(GraphqlEnvelope, res.body, { provider: 'runpod', endpoint });
    const first = env.errors?.[0];
    if (first) {
      const kind = runpodErrorKind(first.message);
      if (kind === 'auth') throw this.http.errorFor(401, res.body, endpoint);
      throw new ProviderError('runpod', kind, `runpod: ${op} failed: ${first.message}`, { status: res.status });
    }
    if (!env.data) throw new ProviderError('runpod', 'bad-response', `runpod: unexpected response from ${endpoint}: data: missing`);
    return env.data;
  }

  cacheKey(query: OfferQuery): string {
    return `counts=${runpodCounts(query).join(',')};spot=${this.opts.spot === true}`;
  }

  async listOffers(query: OfferQuery, signal: AbortSignal): Promise<OfferList> {
    const asOf = this.now().toISOString();
    const normOpts = { spot: this.opts.spot === true, diskGb: this.opts.diskGb };
    const where = { provider: 'runpod', endpoint: 'POST /graphql (gpuTypes)' };
    // One request per count, concurrently: a price depends on the count (lowestPrice input).
    const perCount = await Promise.all(
      runpodCounts(query).map(async (count) => {
        const data = await this.graphql('gpuTypes', RUNPOD_GPU_TYPES_QUERY, { lowestPriceInput: { gpuCount: count } }, { idempotent: true, auth: 'optional' }, signal);
        const types = parseResponse(z.object({ gpuTypes: z.array(z.unknown()) }), data, { ...where, endpoint: `${where.endpoint} data` }).gpuTypes;
        const result = parseItems(
          types,
          RunpodGpuTypeRaw,
          (raw): Offer | Dropped | Offer[] => {
            // runpodctl filters the placeholder "unknown" type; types that top out below the count are not offers.
            if (raw.id === 'unknown' || (raw.maxGpuCount != null && raw.maxGpuCount < count)) return [];
            return normalizeRunpodGpuType(raw, count, asOf, normOpts);
          },
          (i) => `gpuTypes[${i}] (gpuCount ${count})`,
        );
        return { result, total: types.length };
      }),
    );
    const offers = perCount.flatMap((p) => p.result.values);
    const dropped = perCount.reduce((n, p) => n + p.result.dropped, 0);
    const firstProblem = perCount.find((p) => p.result.firstProblem)?.result.firstProblem;
    logDropped(this.http.logger, where, 'GPU type prices', { dropped, firstProblem }, perCount.reduce((n, p) => n + p.total, 0));
    return { offers, dropped };
  }

  async launch(offer: Offer, opts: LaunchOptions, signal: AbortSignal): Promise<Instance> {
    if (offer.provider !== 'runpod') throw new ProviderError('runpod', 'bad-request', `runpod: ${offer.id} is not a RunPod offer`);
    const count = Math.max(1, offer.gpu.count);
    const input: Record<string, unknown> = {
      cloudType: 'ALL',
      gpuTypeId: offer.instanceType,
      gpuCount: count,
      name: opts.name,
      imageName: opts.image ?? this.opts.image ?? DEFAULT_IMAGE,
      containerDiskInGb: opts.diskGb ?? this.opts.diskGb ?? DEFAULT_DISK_GB,
      volumeInGb: 0,
      ports: '22/tcp',
      startSsh: true,
      supportPublicIp: true,
      // RunPod images install PUBLIC_KEY for root; FERRY_LABELS carries the job id back in `env`.
      env: [
        { key: 'PUBLIC_KEY', value: opts.sshPublicKey.trim() },
        { key: 'FERRY_LABELS', value: JSON.stringify(opts.labels) },
      ],
    };
    let op = 'podFindAndDeployOnDemand';
    let doc = DEPLOY_MUTATION;
    if (opts.spot) {
      if (!this.opts.spot || offer.spotPricePerHour === undefined) {
        throw new ProviderError('runpod', 'price', `runpod: offer ${offer.id} has no spot price (RunPod spot is legacy; enable it explicitly)`);
      }
      op = 'podRentInterruptable';
      doc = RENT_SPOT_MUTATION;
      input.bidPerGpu = round6(offer.spotPricePerHour / count);
    }
    const data = await this.graphql(op, doc, { input }, { idempotent: false, auth: 'required' }, signal);
    const pod = parseResponse(RunpodPodRaw, data[op], { provider: 'runpod', endpoint: `POST /graphql (${op}) data.${op}` });
    const inst = normalizeRunpodPod(pod);
    // costPerHr is what RunPod bills; fall back to the listing only when it is absent.
    return {
      ...inst,
      name: inst.name || opts.name,
      labels: Object.keys(inst.labels).length > 0 ? inst.labels : { ...opts.labels },
      offerId: offer.id,
      pricePerHour: inst.pricePerHour || (opts.spot ? (offer.spotPricePerHour ?? offer.pricePerHour) : offer.pricePerHour),
    };
  }

  async getInstance(id: string, signal: AbortSignal): Promise<Instance | undefined> {
    let data: Record<string, unknown>;
    try {
      data = await this.graphql('pod', POD_QUERY, { input: { podId: id } }, { idempotent: true, auth: 'required' }, signal);
    } catch (err) {
      if (err instanceof ProviderError && err.kind === 'not-found') return undefined;
      throw err;
    }
    if (data.pod === null || data.pod === undefined) return undefined;
    return normalizeRunpodPod(parseResponse(RunpodPodRaw, data.pod, { provider: 'runpod', endpoint: 'POST /graphql (pod) data.pod' }));
  }

  async listInstances(signal: AbortSignal): Promise<Instance[]> {
    const data = await this.graphql('myself.pods', PODS_QUERY, undefined, { idempotent: true, auth: 'required' }, signal);
    const where = { provider: 'runpod', endpoint: 'POST /graphql (myself.pods)' };
    const { myself } = parseResponse(z.object({ myself: z.object({ pods: z.array(z.unknown()) }) }), data, { ...where, endpoint: `${where.endpoint} data` });
    const result = parseItems(myself.pods, RunpodPodRaw, (raw) => normalizeRunpodPod(raw), (i) => `myself.pods[${i}]`);
    logDropped(this.http.logger, where, 'pods', result, myself.pods.length);
    return result.values;
  }

  async terminate(id: string, signal: AbortSignal): Promise<void> {
    try {
      // podTerminate is a scalar; runpodctl only checks that the key is there.
      await this.graphql('podTerminate', TERMINATE_MUTATION, { input: { podId: id } }, { idempotent: true, auth: 'required' }, signal);
    } catch (err) {
      if (err instanceof ProviderError && err.kind === 'not-found') return;
      throw err;
    }
  }
}
