/**
 * A fake Vast.ai API (provider-apis.md §1, §6.1): offer search in its three forms with the
 * filter grammar, renting an ask once, instances that walk null -> loading -> running and
 * publish SSH only once running, destroy, account SSH keys, Bearer or ?api_key auth, plain
 * text 429s.
 */
import {
  DEFAULT_FAKE_KEY,
  json,
  pathMatch,
  presentedKey,
  startFakeServer,
  type FakeLifecycleOptions,
  type FakeServer,
  type LaunchedInfo,
  type RecordedRequest,
  type Reply,
  type SshEndpointInfo,
} from './common';

export type VastRawOffer = Record<string, unknown>;

export interface FakeVastInstance {
  id: number;
  askId: number;
  label: string;
  image: string;
  disk: number;
  runtype: string;
  bid?: number;
  /** Set when the bid was under min_bid: created stopped, as Vast does. */
  outbid: boolean;
  offer: VastRawOffer;
  polls: number;
  ssh?: SshEndpointInfo;
  startDate: number;
}

export interface FakeVastState {
  offers: VastRawOffer[];
  /** Ask ids already rented (an ask rents once). */
  rented: Set<number>;
  instances: Map<number, FakeVastInstance>;
  sshKeys: Array<{ id: number; key: string }>;
  nextId: number;
  /** Every instance ever created, for the "all terminated" check. */
  launched: number[];
}

export interface FakeVastOptions extends FakeLifecycleOptions {
  /** Replaces the default catalogue (raw offers; malformed ones welcome). */
  offers?: VastRawOffer[];
  /** Added to the catalogue. */
  extraOffers?: unknown[];
  /** Offer search without a key answers (gpuhunt relies on it). Default true. */
  anonymousSearch?: boolean;
}

/** The documented sample offer (provider-apis.md §1.2), fields Ferry reads and a few more. */
export function vastOffer(over: Partial<VastRawOffer> & { id: number }): VastRawOffer {
  return {
    ask_contract_id: over.id,
    machine_id: 88888,
    host_id: 55555,
    num_gpus: 1,
    gpu_name: 'RTX 4090',
    gpu_arch: 'nvidia',
    gpu_ram: 24564,
    gpu_total_ram: 24564,
    compute_cap: 890,
    cuda_max_good: 12.8,
    cpu_name: 'AMD Ryzen 9 7950X 16-Core Processor',
    cpu_cores: 32,
    cpu_cores_effective: 16.0,
    cpu_ram: 64216,
    disk_space: 420.5,
    inet_up: 812.3,
    inet_down: 904.1,
    direct_port_count: 99,
    dph_base: 0.35,
    dph_total: 0.3569,
    min_bid: 0.2011,
    is_bid: false,
    storage_cost: 0.15,
    storage_total_cost: 0.0069,
    dlperf: 71.3,
    score: 312.5,
    reliability: 0.9973,
    reliability2: 0.9973,
    rentable: true,
    rented: false,
    verification: 'verified',
    external: false,
    public_ipaddr: '203.0.113.42',
    geolocation: 'California, US',
    ...over,
  };
}

export function defaultVastOffers(): VastRawOffer[] {
  return [
    vastOffer({ id: 12345678 }),
    vastOffer({ id: 12345679, num_gpus: 2, gpu_total_ram: 49128, dph_total: 0.7138, min_bid: 0.4022, reliability2: 0.991, geolocation: 'Sweden, SE' }),
    vastOffer({ id: 22000001, gpu_name: 'A100 SXM4', gpu_ram: 81920, dph_total: 1.1021, min_bid: 0.61, storage_total_cost: 0.0121, reliability2: 0.998, geolocation: 'Texas, US' }),
    vastOffer({ id: 22000002, gpu_name: 'H100 SXM', num_gpus: 8, gpu_ram: 81559, dph_total: 17.8, min_bid: 9.1, reliability2: 0.9991, geolocation: 'Quebec, CA' }),
    vastOffer({ id: 22000003, gpu_name: 'RTX 3090', gpu_ram: 24576, dph_total: 0.2134, min_bid: 0.1, reliability2: 0.95, geolocation: 'Hong Kong, HK' }),
    vastOffer({ id: 22000004, gpu_name: 'Tesla V100', gpu_ram: 16384, dph_total: 0.3569, min_bid: 0.15, reliability2: 0.97, geolocation: 'Ohio, US' }),
  ];
}

type Filter = Record<string, unknown>;

function cmp(value: unknown, op: string, arg: unknown): boolean {
  // Lenient on fields an offer lacks or has malformed: the client must drop those itself.
  if (value === undefined || value === null) return true;
  const norm = (v: unknown): unknown => (typeof v === 'string' ? v.replace(/_/g, ' ') : v);
  const v = norm(value);
  switch (op) {
    case 'eq':
      return v === norm(arg);
    case 'neq':
      return v !== norm(arg);
    case 'gt':
      return typeof v !== 'number' || v > Number(arg);
    case 'gte':
      return typeof v !== 'number' || v >= Number(arg);
    case 'lt':
      return typeof v !== 'number' || v < Number(arg);
    case 'lte':
      return typeof v !== 'number' || v <= Number(arg);
    case 'in':
      return Array.isArray(arg) && arg.map(norm).includes(v);
    case 'notin':
    case 'nin':
    case 'not in':
      return Array.isArray(arg) && !arg.map(norm).includes(v);
    default:
      throw new Error(`unknown op ${op}`);
  }
}

const CONTROL_KEYS = new Set(['order', 'type', 'limit', 'allocated_storage', 'disable_bundling']);

export function vastSearch(offers: readonly VastRawOffer[], query: Filter, rented: ReadonlySet<number>): VastRawOffer[] {
  const bid = query.type === 'bid' || query.type === 'interruptible';
  let out = offers.filter((o) => {
    const id = typeof o.id === 'number' ? o.id : NaN;
    const isRented = rented.has(id);
    for (const [field, cond] of Object.entries(query)) {
      if (CONTROL_KEYS.has(field) || !cond || typeof cond !== 'object') continue;
      let value: unknown = o[field];
      if (field === 'verified') value = o.verification === undefined ? undefined : o.verification === 'verified';
      if (field === 'rented') value = isRented || o.rented === true;
      if (field === 'rentable') value = o.rentable === undefined ? undefined : o.rentable === true && !isRented;
      for (const [op, arg] of Object.entries(cond as Record<string, unknown>)) if (!cmp(value, op, arg)) return false;
    }
    return true;
  });
  // A bid search prices from min_bid.
  if (bid) out = out.map((o) => ({ ...o, is_bid: true }));
  const order = Array.isArray(query.order) ? (query.order as unknown[]) : [];
  const first = order[0];
  if (Array.isArray(first) && typeof first[0] === 'string') {
    const [field, dir] = first as [string, string?];
    const sign = dir === 'desc' ? -1 : 1;
    const key = (o: VastRawOffer): number => (typeof o[field] === 'number' ? (o[field] as number) : Infinity);
    out = [...out].sort((a, b) => sign * (key(a) - key(b)));
  }
  if (typeof query.limit === 'number') out = out.slice(0, query.limit);
  return out;
}

function instanceJson(inst: FakeVastInstance, bootPolls: number): Record<string, unknown> {
  // Reads walk the status: null, then loading, then running on the bootPolls-th read.
  let actual: string | null;
  if (inst.outbid) actual = null;
  else if (inst.polls >= bootPolls) actual = 'running';
  else actual = inst.polls <= 1 ? null : 'loading';
  const running = actual === 'running' && inst.ssh;
  const o = inst.offer;
  return {
    id: inst.id,
    machine_id: o.machine_id,
    actual_status: actual,
    intended_status: inst.outbid ? 'stopped' : 'running',
    cur_state: inst.outbid ? 'stopped' : 'running',
    next_state: inst.outbid ? 'stopped' : 'running',
    status_msg: running ? `success, running ${inst.image}/ssh` : null,
    label: inst.label,
    image_uuid: inst.image,
    image_runtype: inst.runtype,
    public_ipaddr: running ? inst.ssh?.host : null,
    ssh_host: running ? inst.ssh?.host : null,
    ssh_port: running ? inst.ssh?.port : null,
    ports: running && inst.ssh ? { '22/tcp': [{ HostIp: '0.0.0.0', HostPort: String(inst.ssh.port) }] } : null,
    num_gpus: o.num_gpus,
    gpu_name: o.gpu_name,
    gpu_ram: o.gpu_ram,
    dph_total: inst.bid !== undefined ? Math.round((inst.bid + Number(o.storage_total_cost ?? 0)) * 1e6) / 1e6 : o.dph_total,
    is_bid: inst.bid !== undefined,
    min_bid: o.min_bid,
    start_date: inst.startDate,
    geolocation: o.geolocation,
    reliability2: o.reliability2,
  };
}

export async function startFakeVast(opts: FakeVastOptions = {}): Promise<FakeServer<FakeVastState>> {
  const key = opts.apiKey ?? DEFAULT_FAKE_KEY;
  const bootPolls = opts.bootPolls ?? 2;
  const state: FakeVastState = {
    offers: [...(opts.offers ?? defaultVastOffers()), ...((opts.extraOffers ?? []) as VastRawOffer[])],
    rented: new Set(),
    instances: new Map(),
    sshKeys: [],
    nextId: 30000001,
    launched: [],
  };
  const unauthorized = (): Reply => json(401, { success: false, error: 'auth_error', msg: 'Invalid user key' });
  const info = (inst: FakeVastInstance): LaunchedInfo => ({ provider: 'vast', id: String(inst.id), name: inst.label, offer: String(inst.askId) });

  const route = async (req: RecordedRequest): Promise<Reply> => {
    const presented = presentedKey(req);
    const authed = presented === key;
    let m: RegExpExecArray | null;

    // Offer search: POST body, GET ?q=, or PUT /search/asks/ {q}.
    if (pathMatch(req.path, /^\/api\/v0\/bundles\/$/) || pathMatch(req.path, /^\/api\/v0\/search\/asks\/$/)) {
      if (presented !== undefined ? !authed : opts.anonymousSearch === false) return unauthorized();
      let query: unknown;
      if (req.method === 'GET') query = req.query.q ? JSON.parse(req.query.q) : {};
      else if (req.path.includes('/search/asks')) query = (req.body as { q?: unknown } | undefined)?.q ?? {};
      else query = req.body ?? {};
      if (!query || typeof query !== 'object') return json(400, { success: false, error: 'invalid_args', msg: 'query must be an object' });
      const offers = vastSearch(state.offers, query as Filter, state.rented);
      return json(200, req.path.includes('/search/asks') ? { success: true, offers } : { offers });
    }

    if (!authed) return unauthorized();

    if ((m = pathMatch(req.path, /^\/api\/v0\/asks\/(\d+)\/$/)) && req.method === 'PUT') {
      const askId = Number(m[1]);
      const offer = state.offers.find((o) => o.id === askId);
      const body = (req.body ?? {}) as Record<string, unknown>;
      if (!offer || state.rented.has(askId)) {
        return json(404, { success: false, error: 'invalid_args', msg: `error 404/3603: no_such_ask Instance type by id ${askId} is not available.`, ask_id: askId });
      }
      if (typeof body.image !== 'string' || body.image === '') {
        return json(400, { success: false, error: 'invalid_args', msg: "error 400/3467: Invalid args: 'image' is required", ask_id: askId });
      }
      const bid = typeof body.price === 'number' ? body.price : undefined;
      const minBid = typeof offer.min_bid === 'number' ? offer.min_bid : 0;
      state.rented.add(askId);
      const inst: FakeVastInstance = {
        id: state.nextId++,
        askId,
        label: typeof body.label === 'string' ? body.label : '',
        image: body.image,
        disk: typeof body.disk === 'number' ? body.disk : 10,
        runtype: typeof body.runtype === 'string' ? body.runtype : 'ssh',
        bid,
        outbid: bid !== undefined && bid < minBid,
        offer,
        polls: 0,
        startDate: Date.now() / 1000,
      };
      state.instances.set(inst.id, inst);
      state.launched.push(inst.id);
      if (inst.outbid) {
        // Vast creates an under-bid spot instance stopped and still reports the contract.
        return json(200, { success: false, error: 'invalid_price', msg: `bid ${bid} is below the minimum ${minBid}`, new_contract: inst.id });
      }
      inst.ssh = await (opts.sshEndpoint?.(info(inst)) ?? { host: '127.0.0.1', port: 22 });
      return json(200, { success: true, new_contract: inst.id, instance_api_key: 'd15a0000' });
    }

    if (pathMatch(req.path, /^\/api\/v0\/instances\/$/) && req.method === 'GET') {
      const list = [...state.instances.values()].map((i) => instanceJson(i, bootPolls));
      return json(200, { instances_found: list.length, instances: list });
    }

    if ((m = pathMatch(req.path, /^\/api\/v0\/instances\/(\d+)\/$/))) {
      const inst = state.instances.get(Number(m[1]));
      if (req.method === 'GET') {
        if (!inst) return json(200, { instances: null });
        inst.polls++;
        return json(200, { instances: instanceJson(inst, bootPolls) });
      }
      if (req.method === 'DELETE') {
        if (!inst) return json(404, { success: false, error: 'no_such_instance', msg: 'Instance with that ID does not exist.' });
        state.instances.delete(inst.id);
        await opts.onTerminate?.(info(inst));
        return json(200, { success: true });
      }
    }

    if (pathMatch(req.path, /^\/api\/v0\/ssh\/$/)) {
      if (req.method === 'GET') return json(200, state.sshKeys.map((k) => ({ id: k.id, user_id: 456, key: k.key, created_at: '2026-01-01T00:00:00Z', deleted_at: null })));
      if (req.method === 'POST') {
        const k = (req.body as { ssh_key?: unknown } | undefined)?.ssh_key;
        if (typeof k !== 'string' || k === '') return json(400, { success: false, error: 'no_ssh_key', msg: 'No ssh key provided' });
        const entry = { id: state.sshKeys.length + 1, key: k };
        state.sshKeys.push(entry);
        return json(200, { success: true, key: { id: entry.id, user_id: 456, public_key: k, created_at: '2026-01-01T00:00:00Z', deleted_at: null } });
      }
    }

    return json(404, { success: false, error: 'not_found', msg: `no route for ${req.method} ${req.path}` });
  };

  return startFakeServer(state, route, { rateLimitOnce: opts.rateLimitOnce, rateLimitText: 'API requests too frequent' });
}
