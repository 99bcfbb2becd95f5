/**
 * Vast.ai: a marketplace of hosts. Offers are "asks" found with a JSON filter
 * (POST /api/v0/bundles/), renting one is PUT /api/v0/asks/{id}/, and the instance id is the
 * returned contract. Units on the wire: gpu_ram and cpu_ram are MB (MiB in practice), prices
 * are $/h for the whole machine, `min_bid` is the current interruptible minimum.
 * Reference: ../../../../shared/reference/provider-apis.md §1.
 */
import { z } from 'zod';
import { UNBOUNDED_COUNT } from '../spec/gpuQuery';
import { isCancelled } from '../util/errors';
import { canonicalGpuName, gpuVendor, snapGpuMemoryGb } from '../util/gpuNames';
import { ProviderError } from './errors';
import { genericDescription, ProviderHttp, type AdapterOptions, type ErrorDescription } from './http';
import {
  decodeNameAndLabels,
  drop,
  encodeNameAndLabels,
  isoFromEpochSeconds,
  logDropped,
  parseItems,
  parseResponse,
  samePublicKey,
  validPrice,
  type Dropped,
} from './parse';
import type { Instance, InstanceStatus, LaunchOptions, Offer, OfferList, OfferQuery, Provider, SshEndpoint } from './types';

export const VAST_DEFAULT_URL = 'https://console.vast.ai';
const DEFAULT_IMAGE = 'pytorch/pytorch:2.4.0-cuda12.4-cudnn9-runtime';

export interface VastOptions extends AdapterOptions {
  /** Most offers one search returns. */
  limit?: number;
  image?: string;
  diskGb?: number;
}

// ---- raw shapes (only the fields Ferry reads; zod strips the rest) ----

const num = z.number();
const VastOfferRaw = z.object({
  id: z.number().int(),
  num_gpus: z.number().int().nonnegative(),
  gpu_name: z.string().min(1),
  gpu_arch: z.string().nullish(),
  gpu_ram: num,
  cpu_cores: num.nullish(),
  cpu_cores_effective: num.nullish(),
  cpu_ram: num.nullish(),
  disk_space: num.nullish(),
  dph_total: num.nullish(),
  min_bid: num.nullish(),
  storage_total_cost: num.nullish(),
  reliability2: num.nullish(),
  reliability: num.nullish(),
  rentable: z.boolean().nullish(),
  rented: z.boolean().nullish(),
  geolocation: z.string().nullish(),
});
type VastOfferRaw = z.infer<typeof VastOfferRaw>;

const VastSearchResponse = z.object({ offers: z.array(z.unknown()) });

const PortBinding = z.object({ HostIp: z.string().nullish(), HostPort: z.union([z.string(), z.number()]) });
const VastInstanceRaw = z.object({
  id: z.number().int(),
  actual_status: z.string().nullish(),
  intended_status: z.string().nullish(),
  cur_state: z.string().nullish(),
  status_msg: z.string().nullish(),
  label: z.string().nullish(),
  public_ipaddr: z.string().nullish(),
  ssh_host: z.string().nullish(),
  // The spec says integer; the legacy CLI int()s it, so strings are seen too.
  ssh_port: z.union([z.number(), z.string()]).nullish(),
  ports: z.record(z.string(), z.array(PortBinding).nullish()).nullish(),
  image_runtype: z.string().nullish(),
  dph_total: num.nullish(),
  start_date: num.nullish(),
  is_bid: z.boolean().nullish(),
});
type VastInstanceRaw = z.infer<typeof VastInstanceRaw>;

const VastShowResponse = z.object({ instances: z.unknown().nullish() });
const VastListResponse = z.object({ instances: z.array(z.unknown()) });
const VastCreateResponse = z.object({
  success: z.boolean().nullish(),
  new_contract: z.number().int().nullish(),
  error: z.string().nullish(),
  msg: z.string().nullish(),
});
const VastOkResponse = z.object({ success: z.boolean().nullish(), error: z.string().nullish(), msg: z.string().nullish() }).nullish();
const VastSshKey = z.object({ id: z.number().nullish(), key: z.string().nullish(), public_key: z.string().nullish() });
const VastSshKeys = z.union([z.array(VastSshKey), z.object({ keys: z.array(VastSshKey) }).transform((o) => o.keys)]);

// ---- normalize ----

/** Vast spells some GPUs its own way on the wire ("H100 SXM", "Tesla V100", "Q RTX 8000"). */
const VAST_WIRE_NAMES: Record<string, string[]> = {
  H100: ['H100 SXM', 'H100 PCIE', 'H100 NVL'],
  H200: ['H200', 'H200 NVL'],
  A100: ['A100 SXM4', 'A100 PCIE', 'A100 SXM'],
  V100: ['Tesla V100'],
  T4: ['Tesla T4'],
  P100: ['Tesla P100'],
  A6000: ['RTX A6000'],
  A5000: ['RTX A5000'],
  A4500: ['RTX A4500'],
  A4000: ['RTX A4000'],
  A2000: ['RTX A2000'],
  'RTX 6000 Ada': ['RTX 6000Ada'],
  'RTX 5000 Ada': ['RTX 5000Ada'],
  'RTX 4000 Ada': ['RTX 4000Ada'],
  'RTX 8000': ['Q RTX 8000'],
  'RTX 6000': ['Q RTX 6000'],
  'RTX PRO 6000': ['RTX PRO 6000 WS', 'RTX PRO 6000 S'],
};

export function vastWireNames(canonical: string): string[] {
  return [...new Set([canonical, ...(VAST_WIRE_NAMES[canonical] ?? [])])];
}

const round6 = (x: number): number => Math.round(x * 1e6) / 1e6;
const round1 = (x: number): number => Math.round(x * 10) / 10;

/** One Vast ask -> one Offer. Exported for unit tests on recorded payloads. */
export function normalizeVastOffer(raw: VastOfferRaw, asOf: string): Offer | Dropped {
  if (!validPrice(raw.dph_total)) return drop('no price (dph_total)');
  const name = canonicalGpuName(raw.gpu_name);
  const cores = raw.cpu_cores ?? undefined;
  const effective = raw.cpu_cores_effective ?? cores ?? 0;
  // cpu_ram is the whole machine's; the offer gets the share that goes with its cores.
  const ramMb = raw.cpu_ram ?? 0;
  const memMb = cores && cores > 0 && effective > 0 ? (ramMb * effective) / cores : ramMb;
  const storage = validPrice(raw.storage_total_cost) ? raw.storage_total_cost : 0;
  const offer: Offer = {
    provider: 'vast',
    id: `vast:${raw.id}`,
    instanceType: `${raw.num_gpus}x ${raw.gpu_name}`,
    gpu: {
      name,
      count: raw.num_gpus,
      memoryGb: snapGpuMemoryGb(name, raw.gpu_ram / 1024),
      vendor: gpuVendor(name, raw.gpu_arch),
    },
    cpus: round1(effective),
    memoryGb: round1(memMb / 1024),
    diskGb: round1(raw.disk_space ?? 0),
    region: raw.geolocation?.trim() || 'unknown',
    pricePerHour: round6(raw.dph_total),
    available: raw.rentable !== false && raw.rented !== true,
    asOf,
  };
  // What an interruptible rent is billed: the bid (at least min_bid) plus the same storage.
  if (validPrice(raw.min_bid) && raw.min_bid > 0) offer.spotPricePerHour = round6(raw.min_bid + storage);
  const rel = raw.reliability2 ?? raw.reliability;
  if (typeof rel === 'number' && Number.isFinite(rel)) offer.reliability = Math.min(1, Math.max(0, rel));
  return offer;
}

/** The search filter for a query. Filters the server can apply; filterOffers does the exact check. */
export function vastSearchFilter(query: OfferQuery, limit = 1000): Record<string, unknown> {
  const spotOnly = query.spot === true;
  const f: Record<string, unknown> = {
    verified: { eq: true },
    rentable: { eq: true },
    rented: { eq: false },
    // Ferry syncs over SSH; direct ports avoid Vast's shared SSH proxy, which is slow for bulk copies.
    direct_port_count: { gte: 1 },
  };
  const gpu = query.gpu;
  if (gpu) {
    if (gpu.names.length > 0) f.gpu_name = { in: gpu.names.flatMap(vastWireNames) };
    const count: Record<string, number> = { gte: gpu.count.min };
    if (gpu.count.max < UNBOUNDED_COUNT) count.lte = gpu.count.max;
    f.num_gpus = count;
    // MB on the wire; loose bounds, because 24 GB cards report 24564 MB and the exact check
    // (with the catalogue's tolerance) runs on the normalized offers.
    const mem: Record<string, number> = {};
    if (gpu.memoryGb.min !== undefined) mem.gte = Math.floor(gpu.memoryGb.min * 1024 * 0.94);
    if (gpu.memoryGb.max !== undefined) mem.lte = Math.ceil(gpu.memoryGb.max * 1024 * 1.06);
    if (Object.keys(mem).length > 0) f.gpu_ram = mem;
  }
  if (query.maxPricePerHour !== undefined && query.spot !== 'auto') {
    f[spotOnly ? 'min_bid' : 'dph_total'] = { lte: query.maxPricePerHour };
  }
  f.order = [[spotOnly ? 'min_bid' : 'dph_total', 'asc']];
  f.type = spotOnly ? 'bid' : 'on-demand';
  f.limit = limit;
  return f;
}

function vastStatus(raw: VastInstanceRaw): InstanceStatus {
  if (raw.cur_state === 'unloaded') return 'terminated';
  const actual = raw.actual_status ?? '';
  switch (actual) {
    case 'running':
      return 'running';
    case '':
    case 'created':
    case 'loading':
    case 'rebooting':
    case 'restarting':
      // A spot instance that was outbid sits with everything "stopped" and no actual status.
      if (raw.intended_status === 'stopped' && raw.cur_state === 'stopped') return 'stopped';
      return 'pending';
    case 'stopped':
    case 'exited':
    case 'frozen':
      return 'stopped';
    default:
      return 'unknown';
  }
}

function vastSsh(raw: VastInstanceRaw): SshEndpoint | undefined {
  const direct = raw.ports?.['22/tcp']?.[0];
  const directPort = direct ? Number(direct.HostPort) : NaN;
  if (raw.public_ipaddr && Number.isInteger(directPort) && directPort > 0) {
    return { host: raw.public_ipaddr.trim(), port: directPort, user: 'root' };
  }
  const proxyPort = raw.ssh_port === null || raw.ssh_port === undefined ? NaN : Number(raw.ssh_port);
  if (raw.ssh_host && Number.isInteger(proxyPort) && proxyPort > 0) {
    // The legacy CLI's rule: jupyter images put sshd one port up on the proxy.
    const port = raw.image_runtype?.includes('jupyter') ? proxyPort + 1 : proxyPort;
    return { host: raw.ssh_host, port, user: 'root' };
  }
  return undefined;
}

export function normalizeVastInstance(raw: VastInstanceRaw): Instance {
  const { name, labels } = decodeNameAndLabels(raw.label);
  const status = vastStatus(raw);
  const inst: Instance = {
    provider: 'vast',
    id: String(raw.id),
    name,
    status,
    rawStatus: [raw.actual_status ?? 'null', raw.intended_status, raw.cur_state].filter(Boolean).join('/'),
    pricePerHour: validPrice(raw.dph_total) ? round6(raw.dph_total) : 0,
    labels,
  };
  // Ports are published only once running; earlier values are stale placeholders.
  const ssh = status === 'running' ? vastSsh(raw) : undefined;
  if (ssh) inst.ssh = ssh;
  const created = isoFromEpochSeconds(raw.start_date);
  if (created) inst.createdAt = created;
  return inst;
}

function describeVastError(status: number, body: unknown): ErrorDescription {
  const d = genericDescription(body);
  const text = `${d.code ?? ''} ${d.message ?? ''}`;
  if (d.code === 'auth_error' || /invalid user key/i.test(text)) return { ...d, kind: 'auth' };
  if (/no_such_ask/.test(text)) return { ...d, kind: 'capacity' };
  if (d.code === 'invalid_price') return { ...d, kind: 'price' };
  if (d.code === 'no_such_instance' || d.code === 'not_found') return { ...d, kind: 'not-found' };
  // "Offer 123 is not your own" is a 403 about the offer, not about the key.
  if (status === 403 && d.code && d.code !== 'auth_error') return { ...d, kind: 'bad-request' };
  return d;
}

export class VastProvider implements Provider {
  readonly name = 'vast' as const;
  private readonly http: ProviderHttp;
  private readonly now: () => Date;
  private readonly opts: VastOptions;
  /** Storage $/h per offer id from the last listing: the bid is the spot price without it. */
  private readonly storageByOffer = new Map<string, number>();

  constructor(opts: VastOptions = {}) {
    this.opts = opts;
    this.now = opts.now ?? (() => new Date());
    this.http = ProviderHttp.forAdapter(opts, {
      provider: 'vast',
      envPrefix: 'VAST',
      defaultUrl: VAST_DEFAULT_URL,
      authHeaders: (key) => ({ Authorization: `Bearer ${key}` }),
      describeError: describeVastError,
    });
  }

  cacheKey(query: OfferQuery): string {
    return JSON.stringify(vastSearchFilter(query, this.opts.limit));
  }

  async listOffers(query: OfferQuery, signal: AbortSignal): Promise<OfferList> {
    const endpoint = 'POST /api/v0/bundles/';
    const asOf = this.now().toISOString();
    // Offer search works without a key (gpuhunt relies on it), so browsing needs no account.
    const res = await this.http.request(
      { method: 'POST', path: '/api/v0/bundles/', body: vastSearchFilter(query, this.opts.limit), idempotent: true, auth: 'optional', endpoint },
      signal,
    );
    const where = { provider: 'vast', endpoint };
    const { offers } = parseResponse(VastSearchResponse, res.body, where);
    const result = parseItems(offers, VastOfferRaw, (raw) => {
      const o = normalizeVastOffer(raw, asOf);
      if ('id' in o && validPrice(raw.storage_total_cost)) this.storageByOffer.set(o.id, raw.storage_total_cost);
      return o;
    }, (i) => `offers[${i}]`);
    logDropped(this.http.logger, where, 'offers', result, offers.length);
    return { offers: result.values, dropped: result.dropped };
  }

  async launch(offer: Offer, opts: LaunchOptions, signal: AbortSignal): Promise<Instance> {
    const askId = /^vast:(\d+)$/.exec(offer.id)?.[1];
    if (!askId) throw new ProviderError('vast', 'bad-request', `vast: ${offer.id} is not a Vast offer id`);
    let bid: number | undefined;
    if (opts.spot) {
      if (offer.spotPricePerHour === undefined) throw new ProviderError('vast', 'price', `vast: offer ${offer.id} has no interruptible price`);
      bid = round6(offer.spotPricePerHour - (this.storageByOffer.get(offer.id) ?? 0));
    }
    await this.ensureSshKey(opts.sshPublicKey, signal);
    const endpoint = 'PUT /api/v0/asks/{id}/';
    const res = await this.http.request(
      {
        method: 'PUT',
        path: `/api/v0/asks/${askId}/`,
        endpoint,
        idempotent: false,
        auth: 'required',
        body: {
          client_id: 'me',
          image: opts.image ?? this.opts.image ?? DEFAULT_IMAGE,
          disk: Math.max(8, Math.min(opts.diskGb ?? this.opts.diskGb ?? 50, offer.diskGb > 0 ? Math.floor(offer.diskGb) : Infinity)),
          label: encodeNameAndLabels(opts.name, opts.labels),
          runtype: 'ssh_direct',
          // A bid price makes the rent interruptible; without one it is on-demand.
          ...(bid !== undefined ? { price: bid } : {}),
        },
      },
      signal,
    );
    const created = parseResponse(VastCreateResponse, res.body, { provider: 'vast', endpoint });
    if (created.success === false || typeof created.new_contract !== 'number') {
      // An insufficient bid can still create a (stopped) contract: give it back at once.
      if (typeof created.new_contract === 'number') await this.terminate(String(created.new_contract), signal).catch(() => undefined);
      const msg = created.msg ?? created.error ?? 'no contract in the answer';
      throw new ProviderError('vast', bid !== undefined ? 'price' : 'capacity', `vast: renting ${offer.id} failed: ${msg}`, {
        code: created.error ?? undefined,
      });
    }
    const id = String(created.new_contract);
    const fallback: Instance = {
      provider: 'vast',
      id,
      name: opts.name,
      status: 'pending',
      rawStatus: 'created',
      offerId: offer.id,
      pricePerHour: bid !== undefined ? (offer.spotPricePerHour ?? offer.pricePerHour) : offer.pricePerHour,
      labels: { ...opts.labels },
    };
    // The contract exists and costs money now: whatever happens next, the caller gets its id.
    try {
      const inst = await this.getInstance(id, signal);
      return inst ? { ...inst, offerId: offer.id, pricePerHour: inst.pricePerHour || fallback.pricePerHour } : fallback;
    } catch (err) {
      if (isCancelled(err)) return fallback;
      this.http.logger.warn(`vast: instance ${id} was created but could not be read back: ${String(err)}`);
      return fallback;
    }
  }

  async getInstance(id: string, signal: AbortSignal): Promise<Instance | undefined> {
    const endpoint = 'GET /api/v0/instances/{id}/';
    let res;
    try {
      res = await this.http.request({ method: 'GET', path: `/api/v0/instances/${encodeURIComponent(id)}/`, endpoint, idempotent: true, auth: 'required' }, signal);
    } catch (err) {
      if (err instanceof ProviderError && err.kind === 'not-found') return undefined;
      throw err;
    }
    const where = { provider: 'vast', endpoint };
    // The singular object sits under the plural key; null means gone.
    const { instances } = parseResponse(VastShowResponse, res.body, where);
    if (instances === null || instances === undefined) return undefined;
    return normalizeVastInstance(parseResponse(VastInstanceRaw, instances, { provider: 'vast', endpoint: `${endpoint} (instances)` }));
  }

  async listInstances(signal: AbortSignal): Promise<Instance[]> {
    const endpoint = 'GET /api/v0/instances/';
    const res = await this.http.request(
      { method: 'GET', path: '/api/v0/instances/', query: { owner: 'me' }, endpoint, idempotent: true, auth: 'required' },
      signal,
    );
    const where = { provider: 'vast', endpoint };
    const { instances } = parseResponse(VastListResponse, res.body, where);
    const result = parseItems(instances, VastInstanceRaw, (raw) => normalizeVastInstance(raw), (i) => `instances[${i}]`);
    logDropped(this.http.logger, where, 'instances', result, instances.length);
    return result.values;
  }

  async terminate(id: string, signal: AbortSignal): Promise<void> {
    const endpoint = 'DELETE /api/v0/instances/{id}/';
    let res;
    try {
      res = await this.http.request(
        { method: 'DELETE', path: `/api/v0/instances/${encodeURIComponent(id)}/`, body: {}, endpoint, idempotent: true, auth: 'required' },
        signal,
      );
    } catch (err) {
      if (err instanceof ProviderError && err.kind === 'not-found') return;
      throw err;
    }
    const ok = parseResponse(VastOkResponse, res.body, { provider: 'vast', endpoint });
    // The CLI reads success:false with HTTP 200 as an error, except for an instance already gone.
    if (ok?.success === false && ok.error !== 'no_such_instance' && ok.error !== 'not_found') {
      throw new ProviderError('vast', 'server', `vast: destroying instance ${id} failed: ${ok.msg ?? ok.error ?? 'success: false'}`);
    }
  }

  /** Vast adds account keys to every new instance; register this one unless it is there. */
  private async ensureSshKey(publicKey: string, signal: AbortSignal): Promise<void> {
    const endpoint = 'GET /api/v0/ssh/';
    const res = await this.http.request({ method: 'GET', path: '/api/v0/ssh/', endpoint, idempotent: true, auth: 'required' }, signal);
    const keys = parseResponse(VastSshKeys, res.body, { provider: 'vast', endpoint });
    if (keys.some((k) => samePublicKey(k.key ?? k.public_key ?? '', publicKey))) return;
    await this.http.request(
      { method: 'POST', path: '/api/v0/ssh/', body: { ssh_key: publicKey.trim() }, endpoint: 'POST /api/v0/ssh/', idempotent: true, auth: 'required' },
      signal,
    );
  }
}
