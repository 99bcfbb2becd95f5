import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { FERRY_JOB_LABEL } from '../cost/orphans';
import type { AttemptRecord, JobRecord } from '../jobs/types';
import { listAllOffers } from '../offers/aggregate';
import { OfferCache, offersCacheDir } from '../offers/cache';
import { isLaunchRefusal } from '../offers/errors';
import type { Instance, Offer, OfferQuery, Provider } from '../offers/types';
import { ensureFerryKey } from '../remote/ferryKey';
import type { FerrySpec } from '../spec/types';
import { InfraError, InstanceLostError, UserError, errorMessage, isCancelled, throwIfAborted } from '../util/errors';
import type { Logger } from '../util/logger';
import { SshTarget } from './ssh';
import type { ExitStatus, RunningJob, Target, TargetContext } from './target';
import { sleep } from '../util/sleep';

/**
 * A rented machine: choose the best offer that fits the spec, launch it (recording the attempt
 * before the launch call and the instance id right after), wait until SSH answers, then run
 * the job exactly as the SSH target does. `release` terminates the instance on every path.
 */
export interface CloudTargetOptions {
  /** `vast`, `runpod`, `lambda` or `cheapest`. */
  ref: string;
  /** The providers this target may launch at (configured ones; one for a provider ref). */
  providers: Provider[];
  home: string;
  logger: Logger;
  /** How long a new instance may take to answer SSH. Default 15 min. */
  sshReadyTimeoutMs?: number;
  pollMs?: number;
  /** Offers tried at most per attempt (capacity and price refusals move to the next). */
  maxLaunchTries?: number;
}

/** The parts of an attempt's handle the cloud target adds to the SSH target's. */
interface CloudHandle {
  provider: string;
  instanceId: string;
  host: string;
  port: number;
  user: string;
  identityFile: string;
  sshAlias: string;
  sshConfig: string;
}


/** What to ask the providers for, from the spec. */
export function offerQueryForSpec(spec: FerrySpec, ref: string): OfferQuery {
  const r = spec.resources;
  const providers = ref === 'cheapest' ? r.providers : [ref];
  return {
    ...(r.gpu ? { gpu: r.gpu } : {}),
    ...(r.max_price_per_hour !== undefined ? { maxPricePerHour: r.max_price_per_hour } : {}),
    spot: r.spot === 'spot' ? true : r.spot === 'on-demand' ? false : 'auto',
    ...(providers ? { providers } : {}),
    availableOnly: true,
  };
}

export class CloudTarget implements Target {
  readonly kind = 'cloud' as const;
  readonly ref: string;
  private price = 0;
  private ssh?: SshTarget;
  private instance?: { provider: Provider; id: string };

  constructor(private readonly opts: CloudTargetOptions) {
    this.ref = opts.ref;
    if (opts.providers.length === 0) {
      throw new UserError(`target "${opts.ref}": no cloud provider is configured`, {
        hint: 'set FERRY_VAST_API_KEY, FERRY_RUNPOD_API_KEY or FERRY_LAMBDA_API_KEY (or configure a key in VS Code)',
      });
    }
  }

  pricePerHour(): number {
    return this.price;
  }

  private providerNamed(name: string | undefined): Provider | undefined {
    return this.opts.providers.find((p) => p.name === name);
  }

  async provision(ctx: TargetContext): Promise<void> {
    const { job, signal } = ctx;
    const query = offerQueryForSpec(job.spec, this.ref);
    const result = await listAllOffers(this.opts.providers, query, {
      cache: new OfferCache({ dir: offersCacheDir(this.opts.home) }),
      signal,
      logger: this.opts.logger,
      // A launch goes by live prices and capacity, never a cached list (an ask rents once).
      refresh: true,
    });
    const avoid = new Set(ctx.avoid ?? []);
    const candidates = result.offers.filter((o) => o.available && !avoid.has(o.id) && this.providerNamed(o.provider));
    const failures = result.providers.filter((p) => p.error).map((p) => `${p.provider}: ${p.error}`);
    if (candidates.length === 0) {
      throw new InfraError(
        `no offer fits ${job.spec.resources.gpu ? `resources.gpu ${job.spec.resources.gpu.raw}` : 'this job'}${query.maxPricePerHour !== undefined ? ` under $${query.maxPricePerHour}/h` : ''} at ${this.opts.providers.map((p) => p.name).join(', ')}${failures.length ? ` (${failures.join('; ')})` : ''}`,
        { hint: 'widen resources.gpu or max_price_per_hour, or try: ferry offers' },
      );
    }
    const key = await ensureFerryKey(this.opts.home);
    const tries = Math.max(1, this.opts.maxLaunchTries ?? Math.max(3, job.spec.retry.max_attempts));
    const refusals: string[] = [];
    for (const offer of candidates.slice(0, tries)) {
      throwIfAborted(signal);
      const provider = this.providerNamed(offer.provider);
      if (!provider) continue;
      const spot = query.spot === true || (query.spot === 'auto' && offer.spotPricePerHour !== undefined && offer.spotPricePerHour < offer.pricePerHour);
      const listed = spot && offer.spotPricePerHour !== undefined ? offer.spotPricePerHour : offer.pricePerHour;
      // Money is safety-critical: what is about to be rented is in the job store before the call.
      await ctx.record?.({ offer: { provider: offer.provider, id: offer.id, gpu: describeGpu(offer), region: offer.region }, pricePerHour: listed });
      this.price = listed;
      let inst: Instance;
      try {
        inst = await provider.launch(
          offer,
          { sshPublicKey: key.publicKey, name: `ferry-${job.id}-${ctx.attempt.n}`, labels: { [FERRY_JOB_LABEL]: job.id, 'ferry-attempt': String(ctx.attempt.n) }, spot },
          signal,
        );
      } catch (e) {
        if (isLaunchRefusal(e)) {
          refusals.push(`${offer.id}: ${errorMessage(e)}`);
          this.opts.logger.warn(`launch refused for ${offer.id} (${errorMessage(e)}); trying the next offer`);
          continue;
        }
        throw e;
      }
      this.instance = { provider, id: inst.id };
      // The billed price the provider returned, not the listed one.
      this.price = inst.pricePerHour > 0 ? inst.pricePerHour : listed;
      await ctx.record?.({ instanceId: inst.id, pricePerHour: this.price });
      const ready = await this.waitForSsh(provider, inst.id, signal);
      await this.useSsh(ctx, provider, inst.id, ready, key.privateKeyPath);
      return;
    }
    throw new InfraError(`no capacity: every offer tried was refused (${refusals.join('; ')})`);
  }

  /** Polls the provider until the instance is running with an SSH endpoint. */
  private async waitForSsh(provider: Provider, id: string, signal: AbortSignal): Promise<{ host: string; port: number; user: string }> {
    const deadline = Date.now() + (this.opts.sshReadyTimeoutMs ?? 15 * 60_000);
    const poll = this.opts.pollMs ?? 2000;
    for (;;) {
      throwIfAborted(signal);
      const inst = await provider.getInstance(id, signal).catch((e) => {
        if (isCancelled(e)) throw e;
        this.opts.logger.warn(`${provider.name}: reading instance ${id}: ${errorMessage(e)}`);
        return null;
      });
      if (inst === undefined || inst?.status === 'terminated') throw new InstanceLostError(`${provider.name} instance ${id} ended while starting (${inst?.rawStatus ?? 'gone'})`);
      if (inst?.status === 'running' && inst.ssh) return { host: inst.ssh.host, port: inst.ssh.port, user: inst.ssh.user };
      if (Date.now() > deadline) throw new InfraError(`${provider.name} instance ${id} did not become reachable in time (last status: ${inst?.rawStatus ?? 'unknown'})`);
      await sleep(poll, signal);
    }
  }

  /** Writes a Ferry-managed ssh config entry for the instance and builds the SSH target on it. */
  private async useSsh(ctx: TargetContext, provider: Provider, instanceId: string, ep: { host: string; port: number; user: string }, identityFile: string): Promise<void> {
    const dir = path.join(this.opts.home, 'ssh');
    await fs.mkdir(dir, { recursive: true, mode: 0o700 });
    const alias = `ferry-${ctx.job.id}-a${ctx.attempt.n}`;
    const sshConfig = path.join(dir, `${alias}.config`);
    const text = [`Host ${alias}`, `  HostName ${ep.host}`, `  Port ${ep.port}`, `  User ${ep.user}`, `  IdentityFile ${identityFile}`, '  IdentitiesOnly yes', ''].join('\n');
    await fs.writeFile(sshConfig, text, { mode: 0o600 });
    const handle: CloudHandle = { provider: provider.name, instanceId, host: ep.host, port: ep.port, user: ep.user, identityFile, sshAlias: alias, sshConfig };
    this.ssh = this.sshTarget(handle);
    // Wait until sshd answers (a booted VM may take a while to start it).
    const deadline = Date.now() + (this.opts.sshReadyTimeoutMs ?? 15 * 60_000);
    for (;;) {
      throwIfAborted(ctx.signal);
      try {
        const r = await this.ssh.connection().exec('true', { signal: ctx.signal });
        if (r.code !== 0) throw new InfraError(`ssh to the new instance answered exit ${r.code}`);
        break;
      } catch (e) {
        if (isCancelled(e) || Date.now() > deadline) throw e;
        await sleep(this.opts.pollMs ?? 2000, ctx.signal);
      }
    }
    await ctx.record?.({ handle: { kind: 'cloud', ...handle } });
  }

  private sshTarget(h: CloudHandle): SshTarget {
    return new SshTarget({
      alias: h.sshAlias,
      configPath: h.sshConfig,
      knownHostsPath: path.join(this.opts.home, 'ssh', 'known_hosts'),
      // A machine launched a moment ago for this job: its key cannot be known in advance, so
      // the first key is trusted and pinned in Ferry's own known_hosts (as `accept-new`).
      confirmHostKey: async () => true,
      pricePerHour: this.price,
      logger: this.opts.logger,
    });
  }

  private requireSsh(): SshTarget {
    if (!this.ssh) throw new InfraError(`${this.ref}: no instance is provisioned`);
    return this.ssh;
  }

  async sync(ctx: TargetContext): Promise<void> {
    await this.requireSsh().sync(ctx);
  }

  async start(ctx: TargetContext): Promise<RunningJob> {
    const running = await this.requireSsh().start(ctx);
    return this.wrap(running, ctx.attempt);
  }

  async attach(job: JobRecord, attempt: AttemptRecord): Promise<RunningJob> {
    const h = attempt.handle ?? {};
    const provider = this.providerNamed(String(h.provider ?? attempt.offer?.provider));
    const instanceId = String(h.instanceId ?? attempt.instanceId ?? '');
    if (!provider || !instanceId || typeof h.sshAlias !== 'string' || typeof h.sshConfig !== 'string') {
      throw new InfraError(`job ${job.id} attempt ${attempt.n}: no instance to attach to`);
    }
    this.instance = { provider, id: instanceId };
    this.price = attempt.pricePerHour;
    const ch: CloudHandle = {
      provider: provider.name,
      instanceId,
      host: String(h.host),
      port: Number(h.port),
      user: String(h.user),
      identityFile: String(h.identityFile),
      sshAlias: h.sshAlias,
      sshConfig: h.sshConfig,
    };
    this.ssh = this.sshTarget(ch);
    // The SSH part of the handle is the SSH target's own (it checks for its kind).
    return this.wrap(await this.ssh.attach(job, { ...attempt, handle: { ...h, kind: 'ssh' } }), attempt);
  }

  private wrap(inner: RunningJob, attempt: AttemptRecord): RunningJob {
    const cloudHandle = attempt.handle ?? {};
    const isLost = () => this.isLost(attempt);
    const handle = { ...cloudHandle, ...inner.handle, kind: 'cloud' };
    return {
      handle,
      step: () => inner.step(),
      readLog: (o, s) => inner.readLog(o, s),
      async wait(signal?: AbortSignal): Promise<ExitStatus> {
        try {
          return await inner.wait(signal);
        } catch (e) {
          if (!isCancelled(e) && (await isLost().catch(() => false))) throw new InstanceLostError(`instance lost (${errorMessage(e)})`, { cause: e });
          throw e;
        }
      },
      stop: (g) => inner.stop(g),
      listCheckpoints: () => inner.listCheckpoints(),
      fetchCheckpoint: (n, d, s) => inner.fetchCheckpoint(n, d, s),
      fetchOutputs: (d, s) => inner.fetchOutputs(d, s),
      ...(inner.sampleGpuUtil ? { sampleGpuUtil: (s?: AbortSignal) => inner.sampleGpuUtil!(s) } : {}),
    };
  }

  async isLost(attempt: AttemptRecord, signal?: AbortSignal): Promise<boolean> {
    const provider = this.instance?.provider ?? this.providerNamed(attempt.offer?.provider);
    const id = this.instance?.id ?? attempt.instanceId;
    if (!provider || !id) return false;
    const inst = await provider.getInstance(id, signal ?? new AbortController().signal);
    return inst === undefined || inst.status === 'terminated' || inst.status === 'stopped';
  }

  /** Terminates the instance, retrying; never throws (a failure is logged and left to orphan sweeping). */
  async release(ctx: TargetContext): Promise<void> {
    const provider = this.instance?.provider ?? this.providerNamed(ctx.attempt.offer?.provider);
    const id = this.instance?.id ?? ctx.attempt.instanceId;
    if (!provider || !id) return;
    let last: unknown;
    for (let i = 0; i < 5; i++) {
      try {
        await provider.terminate(id, new AbortController().signal);
        this.instance = undefined;
        return;
      } catch (e) {
        last = e;
        await sleep(Math.min(10_000, 500 * 2 ** i)).catch(() => undefined);
      }
    }
    this.opts.logger.error(`could not terminate ${provider.name} instance ${id}: ${errorMessage(last)}. It may still bill: run ferry instances --terminate-orphans`);
  }
}

function describeGpu(o: Offer): string {
  return o.gpu.count > 0 ? `${o.gpu.count}x ${o.gpu.name}${o.gpu.memoryGb ? ` ${o.gpu.memoryGb}GB` : ''}` : 'no GPU';
}
