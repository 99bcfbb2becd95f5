import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseGpuQuery } from '../../../src/core/spec/gpuQuery';
import { ProviderError } from '../../../src/core/offers/errors';
import { normalizeVastInstance, vastSearchFilter, VastProvider } from '../../../src/core/offers/vast';
import { assertFinitePrices, captureLogger, fixture, NOW, now, signal, stubFetch } from './helpers';

describe('vast: recorded offer payload', () => {
  it('normalizes the documented sample and drops what does not parse or has no price', async () => {
    const { fetch, calls } = stubFetch(() => ({ body: fixture('vast-offers.json') }));
    const logger = captureLogger();
    const vast = new VastProvider({ baseUrl: 'http://vast.test', fetch, logger, now });
    const { offers, dropped } = await vast.listOffers({}, signal);

    assert.equal(dropped, 3, 'null price, string price, string id');
    assert.equal(offers.length, 3);
    assertFinitePrices(offers);
    assert.deepEqual(offers[0], {
      provider: 'vast',
      id: 'vast:12345678',
      instanceType: '1x RTX 4090',
      gpu: { name: 'RTX 4090', count: 1, memoryGb: 24, vendor: 'nvidia' },
      cpus: 16,
      // 64216 MB * 16/32 effective cores.
      memoryGb: 31.4,
      diskGb: 420.5,
      region: 'California, US',
      pricePerHour: 0.3569,
      spotPricePerHour: 0.208,
      reliability: 0.9973,
      available: true,
      asOf: NOW.toISOString(),
    });
    const a100 = offers[1];
    assert.equal(a100?.gpu.name, 'A100');
    assert.equal(a100?.gpu.memoryGb, 80);
    assert.equal(a100?.gpu.count, 2);
    assert.equal(a100?.spotPricePerHour, undefined, 'no min_bid, no spot price');
    const q8000 = offers[2];
    assert.equal(q8000?.gpu.name, 'RTX 8000');
    assert.equal(q8000?.reliability, 1, 'clamped to 0..1');
    assert.equal(q8000?.region, 'unknown');

    // One warning for the whole list, naming the first problem.
    const warns = logger.lines.filter((l) => l.startsWith('warn'));
    assert.equal(warns.length, 1);
    assert.match(warns[0] ?? '', /dropped 3 of 6 offers .*POST \/api\/v0\/bundles\/.*offers\[2\]: no price/);

    // Anonymous search: no key, no Authorization header.
    assert.equal(calls[0]?.headers.authorization, undefined);
    assert.equal(calls[0]?.url.pathname, '/api/v0/bundles/');
  });

  it('sends the key as a Bearer header when it has one', async () => {
    const { fetch, calls } = stubFetch(() => ({ body: { offers: [] } }));
    await new VastProvider({ apiKey: 'vast-key-123456', baseUrl: 'http://vast.test/', fetch }).listOffers({}, signal);
    assert.equal(calls[0]?.headers.authorization, 'Bearer vast-key-123456');
    assert.equal(calls[0]?.url.href, 'http://vast.test/api/v0/bundles/');
  });

  it('names provider, endpoint and field when the whole response is wrong', async () => {
    const { fetch } = stubFetch(() => ({ body: { offers: { id: 1 } } }));
    await assert.rejects(new VastProvider({ baseUrl: 'http://vast.test', fetch }).listOffers({}, signal), (err: unknown) => {
      assert.ok(err instanceof ProviderError);
      assert.equal(err.kind, 'bad-response');
      assert.match(err.message, /^vast: unexpected response from POST \/api\/v0\/bundles\/: offers: /);
      assert.equal(err.exitCode, 3);
      return true;
    });
  });
});

describe('vast: search filter', () => {
  it('turns a GPU query into Vast wire names, counts, MB and price filters', () => {
    const f = vastSearchFilter({ gpu: parseGpuQuery('H100,RTX4090:80GB:1..2'), maxPricePerHour: 3 }, 500);
    assert.deepEqual(f.gpu_name, { in: ['H100', 'H100 SXM', 'H100 PCIE', 'H100 NVL', 'RTX 4090'] });
    assert.deepEqual(f.num_gpus, { gte: 1, lte: 2 });
    const ram = f.gpu_ram as { gte: number; lte: number };
    assert.ok(ram.gte <= 80 * 1000 && ram.gte > 70_000, `gte ${ram.gte}`);
    assert.ok(ram.lte >= 81920, `lte ${ram.lte}`);
    assert.deepEqual(f.dph_total, { lte: 3 });
    assert.deepEqual(f.verified, { eq: true });
    assert.deepEqual(f.rentable, { eq: true });
    assert.deepEqual(f.rented, { eq: false });
    assert.equal(f.type, 'on-demand');
    assert.equal(f.limit, 500);
    assert.deepEqual(f.order, [['dph_total', 'asc']]);
  });

  it('asks for bids, priced by min_bid, when the query wants spot', () => {
    const f = vastSearchFilter({ spot: true, maxPricePerHour: 0.5, gpu: parseGpuQuery('A100:2..') });
    assert.equal(f.type, 'bid');
    assert.deepEqual(f.min_bid, { lte: 0.5 });
    assert.equal(f.dph_total, undefined);
    assert.deepEqual(f.num_gpus, { gte: 2 }, 'open count: no upper bound on the wire');
  });

  it('leaves the price to the client for spot: auto (either price may qualify)', () => {
    const f = vastSearchFilter({ spot: 'auto', maxPricePerHour: 1 });
    assert.equal(f.dph_total, undefined);
    assert.equal(f.min_bid, undefined);
  });
});

describe('vast: instances', () => {
  const raw = (fixture('vast-instance-direct.json') as { instances: Record<string, unknown> }).instances;
  const norm = (over: Record<string, unknown>) =>
    normalizeVastInstance({ ...(raw as { id: number }), ...over } as Parameters<typeof normalizeVastInstance>[0]);

  it('uses the public ip and the 22/tcp mapping when there is one', () => {
    const inst = norm({});
    assert.equal(inst.status, 'running');
    assert.deepEqual(inst.ssh, { host: '192.0.2.45', port: 20000, user: 'root' });
    assert.equal(inst.name, 'my-job-1');
    assert.deepEqual(inst.labels, { 'ferry-job': 'j-42', ferry: '1' });
    assert.equal(inst.pricePerHour, 0.8021);
    assert.equal(inst.createdAt, new Date(1761008618225.083).toISOString());
  });

  it('falls back to the SSH proxy, one port up for jupyter images', () => {
    assert.deepEqual(norm({ ports: null }).ssh, { host: 'ssh2281.vast.ai', port: 10882, user: 'root' });
    assert.deepEqual(norm({ ports: {}, ssh_port: '10882', image_runtype: 'jupyter_proxy' }).ssh, { host: 'ssh2281.vast.ai', port: 10883, user: 'root' });
  });

  it('maps actual_status and publishes no SSH before running', () => {
    assert.equal(norm({ actual_status: null }).status, 'pending');
    assert.equal(norm({ actual_status: null }).ssh, undefined);
    assert.equal(norm({ actual_status: 'loading' }).status, 'pending');
    assert.equal(norm({ actual_status: 'exited' }).status, 'stopped');
    assert.equal(norm({ actual_status: 'offline' }).status, 'unknown');
    assert.equal(norm({ cur_state: 'unloaded' }).status, 'terminated');
    // An outbid spot instance: everything stopped, no actual status.
    assert.equal(norm({ actual_status: null, intended_status: 'stopped', cur_state: 'stopped' }).status, 'stopped');
  });

  it('never reports a NaN price', () => {
    assert.equal(norm({ dph_total: null }).pricePerHour, 0);
  });
});
