/**
 * Lambda Cloud (REST, `{"data": ...}` envelopes, `{"error": {code, message}}` failures).
 * Offers come from /instance-types, one per region with capacity; prices are integer cents
 * per hour for the whole instance. The API allows about one request per second and one
 * launch per 12 s, so this adapter spaces its own requests rather than collect 429s.
 * Reference: ../../../../shared/reference/provider-apis.md §3.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { isCancelled } from '../util/errors';
import { canonicalGpuName, gpuVendor, lookupGpu, snapGpuMemoryGb } from '../util/gpuNames';
import { ProviderError } from './errors';
import { genericDescription, MinIntervalLimiter, ProviderHttp, type AdapterOptions, type ErrorDescription } from './http';
import { drop, logDropped, parseItems, parseResponse, samePublicKey, validPrice, type Dropped } from './parse';
import type { Instance, InstanceStatus, LaunchOptions, Offer, OfferGpu, OfferList, OfferQuery, Provider } from './types';

export const LAMBDA_DEFAULT_URL = 'https://cloud.lambda.ai';

export interface LambdaOptions extends AdapterOptions {
  /** Spacing of all requests; Lambda documents one per second. */
  minIntervalMs?: number;
  /** Spacing of launches; Lambda documents one per 12 s. */
  launchIntervalMs?: number;
  /** Lambda instances listen on 22; a simulated cloud may put sshd elsewhere. */
  sshPort?: number;
}

// ---- raw shapes ----

const num = z.number();
const Region = z.object({ name: z.string().min(1), description: z.string().nullish() });
const LambdaTypeRaw = z.object({
  instance_type: z.object({
    name: z.string().min(1),
    description: z.string().nullish(),
    gpu_description: z.string().nullish(),
    price_cents_per_hour: num.nullish(),
    specs: z.object({ vcpus: num, memory_gib: num, storage_gib: num, gpus: num }),
  }),
  regions_with_capacity_available: z.array(Region),
});
type LambdaTypeRaw = z.infer<typeof LambdaTypeRaw>;

const LambdaInstanceRaw = z.object({
  id: z.string().min(1),
  name: z.string().nullish(),
  ip: z.string().nullish(),
  status: z.string(),
  region: z.object({ name: z.string() }).nullish(),
  instance_type: z.object({ name: z.string(), price_cents_per_hour: num.nullish() }).nullish(),
  tags: z.array(z.object({ key: z.string(), value: z.string() })).nullish(),
});
type LambdaInstanceRaw = z.infer<typeof LambdaInstanceRaw>;

const Envelope = z.object({ data: z.unknown() });
const TypesData = z.record(z.string(), z.unknown());
const LaunchData = z.object({ instance_ids: z.array(z.string()).min(1) });
const SshKeysData = z.array(z.object({ id: z.string(), name: z.string(), public_key: z.string().nullish() }));

// ---- normalize ----

const DESCRIPTION_RE = /^(\d+)x (?:Tesla )?(.+?) \((\d+(?:\.\d+)?) GB/;
const GPU_DESCRIPTION_RE = /^(?:Tesla )?(.+?) \((\d+(?:\.\d+)?) GB/;
const TYPE_NAME_RE = /^gpu_(\d+)x_(.+)$/;

/** GPU facts from "8x A100 (80 GB SXM4)", else gpu_description, else the type name. */
export function lambdaGpu(t: LambdaTypeRaw['instance_type']): OfferGpu | undefined {
  const count = t.specs.gpus;
  if (count === 0) return { name: 'none', count: 0, memoryGb: 0, vendor: 'unknown' };
  let name: string | undefined;
  let mem: number | undefined;
  const d = t.description ? DESCRIPTION_RE.exec(t.description) : null;
  const g = t.gpu_description ? GPU_DESCRIPTION_RE.exec(t.gpu_description) : null;
  if (d) [name, mem] = [d[2], Number(d[3])];
  else if (g) [name, mem] = [g[1], Number(g[2])];
  else {
    const n = TYPE_NAME_RE.exec(t.name);
    if (n?.[2]) name = n[2].replace(/_/g, ' ');
  }
  if (!name) return undefined;
  const canonical = canonicalGpuName(name);
  const memoryGb = mem ?? lookupGpu(canonical)?.memoryGb[0];
  if (memoryGb === undefined) return undefined;
  return { name: canonical, count, memoryGb: snapGpuMemoryGb(canonical, memoryGb), vendor: gpuVendor(canonical) };
}

/** One instance type -> one offer per region with capacity, or one unavailable offer. */
export function normalizeLambdaType(raw: LambdaTypeRaw, asOf: string): Offer[] | Dropped {
  const t = raw.instance_type;
  if (!validPrice(t.price_cents_per_hour)) return drop('no price (price_cents_per_hour)');
  const gpu = lambdaGpu(t);
  if (!gpu) return drop(`cannot tell the GPU of ${t.name}`);
  const base = {
    provider: 'lambda',
    instanceType: t.name,
    gpu,
    cpus: t.specs.vcpus,
    memoryGb: t.specs.memory_gib,
    diskGb: t.specs.storage_gib,
    pricePerHour: Math.round(t.price_cents_per_hour) / 100,
    asOf,
  } as const;
  if (raw.regions_with_capacity_available.length === 0) {
    // Sold out everywhere: still worth listing (with its price), but not launchable.
    return [{ ...base, id: `lambda:${t.name}`, region: 'any', available: false }];
  }
  return raw.regions_with_capacity_available.map((r) => ({ ...base, id: `lambda:${t.name}:${r.name}`, region: r.name, available: true }));
}

function lambdaStatus(s: string): InstanceStatus {
  switch (s) {
    case 'booting':
      return 'pending';
    case 'active':
      return 'running';
    case 'terminating':
    case 'terminated':
    case 'preempted':
      return 'terminated';
    default:
      // `unhealthy` and anything new: running or not, Ferry cannot tell.
      return 'unknown';
  }
}

export function normalizeLambdaInstance(raw: LambdaInstanceRaw, sshPort = 22): Instance {
  const status = lambdaStatus(raw.status);
  const cents = raw.instance_type?.price_cents_per_hour;
  const labels: Record<string, string> = {};
  for (const t of raw.tags ?? []) labels[t.key] = t.value;
  const inst: Instance = {
    provider: 'lambda',
    id: raw.id,
    name: raw.name ?? '',
    status,
    rawStatus: raw.status,
    pricePerHour: validPrice(cents) ? Math.round(cents) / 100 : 0,
    labels,
  };
  if (raw.instance_type && raw.region) inst.offerId = `lambda:${raw.instance_type.name}:${raw.region.name}`;
  // `ip` is absent while booting.
  if (raw.ip && status === 'running') inst.ssh = { host: raw.ip, port: sshPort, user: 'ubuntu' };
  return inst;
}

function describeLambdaError(status: number, body: unknown): ErrorDescription {
  const d = genericDescription(body);
  const code = d.code ?? '';
  if (code === 'global/invalid-api-key' || code === 'global/account-inactive') return { ...d, kind: 'auth' };
  if (code === 'instance-operations/launch/insufficient-capacity' || code === 'global/quota-exceeded') return { ...d, kind: 'capacity' };
  if (code === 'global/object-does-not-exist') return { ...d, kind: 'not-found' };
  if (code.startsWith('provider/')) return { ...d, kind: 'server' };
  if (status === 403 && code === 'global/invalid-address') return { ...d, kind: 'bad-request' };
  return d;
}

export class LambdaProvider implements Provider {
  readonly name = 'lambda' as const;
  private readonly http: ProviderHttp;
  private readonly now: () => Date;
  private readonly opts: LambdaOptions;
  private readonly launchLimiter: MinIntervalLimiter;

  constructor(opts: LambdaOptions = {}) {
    this.opts = opts;
    this.now = opts.now ?? (() => new Date());
    this.launchLimiter = new MinIntervalLimiter(opts.launchIntervalMs ?? 12_000);
    this.http = ProviderHttp.forAdapter(opts, {
      provider: 'lambda',
      envPrefix: 'LAMBDA',
      defaultUrl: LAMBDA_DEFAULT_URL,
      // SkyPilot backs off from 10 s on Lambda's 429s; start at 2 s, since requests are spaced already.
      retry: { attempts: 5, baseDelayMs: 2_000, maxDelayMs: 15_000 },
      minIntervalMs: opts.minIntervalMs ?? 1_000,
      authHeaders: (key) => ({ Authorization: `Bearer ${key}` }),
      describeError: describeLambdaError,
    });
  }

  private async data(
    method: 'GET' | 'POST' | 'DELETE',
    path: string,
    endpoint: string,
    opts: { body?: unknown; idempotent: boolean },
    signal: AbortSignal,
  ): Promise<unknown> {
    const res = await this.http.request({ method, path, endpoint, auth: 'required', ...opts }, signal);
    return parseResponse(Envelope, res.body, { provider: 'lambda', endpoint }).data;
  }

  /** The list does not depend on the query (filtering happens after). */
  cacheKey(): string {
    return 'all';
  }

  async listOffers(_query: OfferQuery, signal: AbortSignal): Promise<OfferList> {
    const endpoint = 'GET /api/v1/instance-types';
    const asOf = this.now().toISOString();
    const where = { provider: 'lambda', endpoint };
    // Keyed by type name, not an array.
    const types = parseResponse(TypesData, await this.data('GET', '/api/v1/instance-types', endpoint, { idempotent: true }, signal), {
      ...where,
      endpoint: `${endpoint} data`,
    });
    const entries = Object.entries(types);
    const result = parseItems(entries.map(([, v]) => v), LambdaTypeRaw, (raw) => normalizeLambdaType(raw, asOf), (i) => `data.${entries[i]?.[0] ?? i}`);
    logDropped(this.http.logger, where, 'instance types', result, entries.length);
    return { offers: result.values, dropped: result.dropped };
  }

  async launch(offer: Offer, opts: LaunchOptions, signal: AbortSignal): Promise<Instance> {
    const m = /^lambda:([^:]+):(.+)$/.exec(offer.id);
    if (!m?.[1] || !m[2]) {
      throw new ProviderError('lambda', 'capacity', `lambda: ${offer.instanceType} has no region with capacity (offer ${offer.id})`);
    }
    if (opts.spot) throw new ProviderError('lambda', 'price', 'lambda: Lambda sells no spot instances');
    const [, typeName, region] = m;
    const keyName = await this.ensureSshKey(opts.sshPublicKey, signal);
    await this.launchLimiter.acquire(signal);
    const endpoint = 'POST /api/v1/instance-operations/launch';
    const data = await this.data(
      'POST',
      '/api/v1/instance-operations/launch',
      endpoint,
      {
        idempotent: false,
        body: {
          region_name: region,
          instance_type_name: typeName,
          // "Currently, exactly one SSH key must be specified."
          ssh_key_names: [keyName],
          name: opts.name.slice(0, 64),
          tags: Object.entries(opts.labels).map(([key, value]) => ({ key, value })),
        },
      },
      signal,
    );
    const id = parseResponse(LaunchData, data, { provider: 'lambda', endpoint: `${endpoint} data` }).instance_ids[0] as string;
    const fallback: Instance = {
      provider: 'lambda',
      id,
      name: opts.name,
      status: 'pending',
      rawStatus: 'booting',
      offerId: offer.id,
      pricePerHour: offer.pricePerHour,
      labels: { ...opts.labels },
    };
    // Launched means billed: from here on, the caller must get the id whatever happens.
    try {
      const inst = await this.getInstance(id, signal);
      return inst ? { ...inst, offerId: offer.id, pricePerHour: inst.pricePerHour || offer.pricePerHour } : fallback;
    } catch (err) {
      if (!isCancelled(err)) this.http.logger.warn(`lambda: instance ${id} was launched but could not be read back: ${String(err)}`);
      return fallback;
    }
  }

  async getInstance(id: string, signal: AbortSignal): Promise<Instance | undefined> {
    const endpoint = 'GET /api/v1/instances/{id}';
    let data: unknown;
    try {
      data = await this.data('GET', `/api/v1/instances/${encodeURIComponent(id)}`, endpoint, { idempotent: true }, signal);
    } catch (err) {
      if (err instanceof ProviderError && err.kind === 'not-found') return undefined;
      throw err;
    }
    return normalizeLambdaInstance(parseResponse(LambdaInstanceRaw, data, { provider: 'lambda', endpoint: `${endpoint} data` }), this.opts.sshPort);
  }

  async listInstances(signal: AbortSignal): Promise<Instance[]> {
    const endpoint = 'GET /api/v1/instances';
    const where = { provider: 'lambda', endpoint };
    const items = parseResponse(z.array(z.unknown()), await this.data('GET', '/api/v1/instances', endpoint, { idempotent: true }, signal), {
      ...where,
      endpoint: `${endpoint} data`,
    });
    const result = parseItems(items, LambdaInstanceRaw, (raw) => normalizeLambdaInstance(raw, this.opts.sshPort), (i) => `data[${i}]`);
    logDropped(this.http.logger, where, 'instances', result, items.length);
    return result.values;
  }

  async terminate(id: string, signal: AbortSignal): Promise<void> {
    try {
      await this.data(
        'POST',
        '/api/v1/instance-operations/terminate',
        'POST /api/v1/instance-operations/terminate',
        { idempotent: true, body: { instance_ids: [id] } },
        signal,
      );
    } catch (err) {
      if (err instanceof ProviderError && err.kind === 'not-found') return;
      throw err;
    }
  }

  /** The name of a registered key equal to publicKey, registering it first when missing. */
  private async ensureSshKey(publicKey: string, signal: AbortSignal): Promise<string> {
    const endpoint = 'GET /api/v1/ssh-keys';
    const keys = parseResponse(SshKeysData, await this.data('GET', '/api/v1/ssh-keys', endpoint, { idempotent: true }, signal), {
      provider: 'lambda',
      endpoint: `${endpoint} data`,
    });
    const found = keys.find((k) => k.public_key && samePublicKey(k.public_key, publicKey));
    if (found) return found.name;
    // A stable name per key, so two Ferry installs with one key don't register it twice.
    const base = `ferry-${createHash('sha256').update(publicKey.trim().split(/\s+/).slice(0, 2).join(' ')).digest('hex').slice(0, 10)}`;
    let name = base;
    for (let n = 2; keys.some((k) => k.name === name); n++) name = `${base}-${n}`;
    await this.data('POST', '/api/v1/ssh-keys', 'POST /api/v1/ssh-keys', { idempotent: false, body: { name, public_key: publicKey.trim() } }, signal);
    return name;
  }
}
