import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { isLaunchRefusal, ProviderError } from '../../../src/core/offers/errors';
import { VastProvider } from '../../../src/core/offers/vast';
import { parseGpuQuery } from '../../../src/core/spec/gpuQuery';
import { startFakeVast, vastOffer } from '../../fakes/providers/vast';
import { captureLogger, FAST_RETRY, KEY, PUBKEY, signal, waitRunning } from './helpers';

describe('vast against the fake API', async () => {
  const ends: Array<{ host: string; port: number }> = [];
  const terminated: string[] = [];
  const fake = await startFakeVast({
    sshEndpoint: () => {
      const e = { host: '127.0.0.1', port: 40000 + ends.length };
      ends.push(e);
      return e;
    },
    onTerminate: (i) => void terminated.push(i.id),
  });
  const vast = new VastProvider({ apiKey: KEY, baseUrl: fake.url, retry: FAST_RETRY });
  after(async () => {
    // Every instance this suite launched is gone by its end (closed first, so a failure can't hang the run).
    const left = [...fake.state.instances.keys()];
    await fake.close();
    assert.deepEqual(left, [], 'instances left running at the fake');
  });

  it('lists offers with canonical names, sending the documented filter', async () => {
    const { offers, dropped } = await vast.listOffers({}, signal);
    assert.equal(dropped, 0);
    assert.equal(offers.length, 6);
    assert.deepEqual(new Set(offers.map((o) => o.gpu.name)), new Set(['RTX 4090', 'A100', 'H100', 'RTX 3090', 'V100']));
    const req = fake.requests.at(-1);
    assert.equal(req?.method, 'POST');
    assert.equal(req?.path, '/api/v0/bundles/');
    assert.equal(req?.headers.authorization, `Bearer ${KEY}`);
    const body = req?.body as Record<string, unknown>;
    assert.deepEqual(body.verified, { eq: true });
    assert.deepEqual(body.rentable, { eq: true });
    assert.equal(body.type, 'on-demand');
  });

  it('narrows on the server by GPU, count and price', async () => {
    const { offers } = await vast.listOffers({ gpu: parseGpuQuery('A100:80GB'), maxPricePerHour: 2 }, signal);
    assert.deepEqual(offers.map((o) => o.id), ['vast:22000001']);
    const none = await vast.listOffers({ gpu: parseGpuQuery('RTX4090'), maxPricePerHour: 0.1 }, signal);
    assert.deepEqual(none.offers, []);
  });

  it('answers an empty search with an empty list', async () => {
    const { offers, dropped } = await vast.listOffers({ gpu: parseGpuQuery('B200') }, signal);
    assert.deepEqual([offers, dropped], [[], 0]);
  });

  it('searches without a key', async () => {
    const anon = new VastProvider({ baseUrl: fake.url });
    assert.equal((await anon.listOffers({}, signal)).offers.length, 6);
    assert.equal(fake.requests.at(-1)?.headers.authorization, undefined);
  });

  it('launches, reads, lists and terminates an instance; SSH appears once running', async () => {
    const { offers } = await vast.listOffers({ gpu: parseGpuQuery('RTX3090') }, signal);
    const offer = offers[0];
    assert.ok(offer);
    const inst = await vast.launch(offer, { sshPublicKey: PUBKEY, name: 'cifar', labels: { 'ferry-job': 'j-1' } }, signal);
    assert.equal(inst.provider, 'vast');
    assert.equal(inst.status, 'pending');
    assert.equal(inst.ssh, undefined);
    assert.equal(inst.offerId, offer.id);
    assert.equal(inst.pricePerHour, offer.pricePerHour);

    const put = fake.requests.find((r) => r.method === 'PUT' && r.path === '/api/v0/asks/22000003/');
    const body = put?.body as Record<string, unknown>;
    assert.equal(body.runtype, 'ssh_direct');
    assert.equal(body.label, 'cifar?ferry-job=j-1');
    assert.equal(typeof body.image, 'string');
    assert.equal(body.price, undefined, 'on-demand: no bid');
    assert.deepEqual(fake.state.sshKeys.map((k) => k.key), [PUBKEY], 'key registered with the account');

    const running = await waitRunning(() => vast.getInstance(inst.id, signal));
    assert.deepEqual(running.ssh, { host: '127.0.0.1', port: ends.at(-1)?.port, user: 'root' });
    assert.deepEqual(running.labels, { 'ferry-job': 'j-1' });
    assert.equal(running.name, 'cifar');

    const listed = await vast.listInstances(signal);
    assert.deepEqual(listed.map((i) => i.id), [inst.id]);

    await vast.terminate(inst.id, signal);
    assert.deepEqual(terminated, [inst.id]);
    assert.equal(await vast.getInstance(inst.id, signal), undefined);
    await vast.terminate(inst.id, signal); // already gone: not an error
  });

  it('registers the SSH key once', async () => {
    const { offers } = await vast.listOffers({ gpu: parseGpuQuery('V100') }, signal);
    const inst = await vast.launch(offers[0]!, { sshPublicKey: `${PUBKEY.split(' ').slice(0, 2).join(' ')} other-comment`, name: 'n', labels: {} }, signal);
    assert.equal(fake.state.sshKeys.length, 1);
    await vast.terminate(inst.id, signal);
  });

  it('refuses an ask that is already rented as a capacity problem', async () => {
    const { offers } = await vast.listOffers({ gpu: parseGpuQuery('H100:8') }, signal);
    const offer = offers[0]!;
    const first = await vast.launch(offer, { sshPublicKey: PUBKEY, name: 'a', labels: {} }, signal);
    await assert.rejects(vast.launch(offer, { sshPublicKey: PUBKEY, name: 'b', labels: {} }, signal), (e: unknown) => {
      assert.ok(isLaunchRefusal(e));
      assert.match((e as Error).message, /no_such_ask/);
      return true;
    });
    await vast.terminate(first.id, signal);
  });

  it('rents interruptible at the bid, and gives back an under-bid contract', async () => {
    fake.state.offers.push(vastOffer({ id: 55000001, dph_total: 0.5, min_bid: 0.3, storage_total_cost: 0.01 }));
    fake.state.offers.push(vastOffer({ id: 55000002, dph_total: 0.5, min_bid: 0.3, storage_total_cost: 0.01 }));
    const { offers } = await vast.listOffers({ spot: true, maxPricePerHour: 0.4 }, signal);
    const spot = offers.find((o) => o.id === 'vast:55000001');
    assert.equal(spot?.spotPricePerHour, 0.31);
    assert.equal(fake.requests.at(-1)?.body && (fake.requests.at(-1)?.body as { type: string }).type, 'bid');
    const inst = await vast.launch(spot!, { sshPublicKey: PUBKEY, name: 's', labels: {}, spot: true }, signal);
    const put = fake.requests.find((r) => r.path === '/api/v0/asks/55000001/');
    assert.equal((put?.body as { price: number }).price, 0.3, 'the bid excludes storage');
    assert.equal(inst.pricePerHour, 0.31, 'billed: bid + storage, as listed');
    await vast.terminate(inst.id, signal);

    // The market moved after listing: the bid is now too low.
    const cheap = offers.find((o) => o.id === 'vast:55000002')!;
    const raised = fake.state.offers.find((o) => o.id === 55000002)!;
    raised.min_bid = 0.35;
    await assert.rejects(vast.launch(cheap, { sshPublicKey: PUBKEY, name: 's2', labels: {}, spot: true }, signal), (e: unknown) => e instanceof ProviderError && e.kind === 'price');
    assert.equal([...fake.state.instances.values()].filter((i) => i.askId === 55000002).length, 0, 'the stopped contract was destroyed');
  });

  it('rejects a wrong key with a message that names the variable and not the key', async () => {
    const secret = 'wrong-key-5f2a9c1e7b';
    const logger = captureLogger();
    const bad = new VastProvider({ apiKey: secret, baseUrl: fake.url, logger });
    await assert.rejects(bad.listInstances(signal), (e: unknown) => {
      assert.ok(e instanceof ProviderError);
      assert.equal(e.message, 'vast: API key rejected (HTTP 401) — set FERRY_VAST_API_KEY');
      assert.ok(!JSON.stringify({ m: e.message, h: e.hint, s: e.stack }).includes(secret));
      return true;
    });
    assert.ok(!logger.lines.join('\n').includes(secret));
  });

  it('retries a plain-text 429 (no Retry-After, as Vast sends it)', async () => {
    fake.script.push({ status: 429, body: 'API requests too frequent endpoint threshold=4.5' });
    const before = fake.requests.length;
    const { offers } = await vast.listOffers({}, signal);
    assert.ok(offers.length > 0);
    assert.equal(fake.requests.length - before, 2);
  });

  it('drops and counts malformed offers, logging once', async () => {
    const logger = captureLogger();
    const fake2 = await startFakeVast({ extraOffers: [{ id: 1, num_gpus: 1, gpu_name: 'RTX 4090', gpu_ram: 24564, dph_total: 'cheap' }, { id: 2, gpu_name: 'X' }, { id: 3, num_gpus: 1, gpu_name: 'RTX 4090', gpu_ram: 24564 }] });
    try {
      const v = new VastProvider({ apiKey: KEY, baseUrl: fake2.url, logger });
      const { offers, dropped } = await v.listOffers({}, signal);
      assert.equal(dropped, 3);
      assert.equal(offers.length, 6);
      assert.ok(offers.every((o) => Number.isFinite(o.pricePerHour)));
      assert.equal(logger.lines.filter((l) => l.startsWith('warn')).length, 1);
    } finally {
      await fake2.close();
    }
  });
});
