import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { isLaunchRefusal, ProviderError } from '../../../src/core/offers/errors';
import { filterOffers } from '../../../src/core/offers/rank';
import { RunpodProvider } from '../../../src/core/offers/runpod';
import type { OfferQuery } from '../../../src/core/offers/types';
import { parseGpuQuery } from '../../../src/core/spec/gpuQuery';
import { startFakeRunpod, topLevelField } from '../../fakes/providers/runpod';
import { captureLogger, FAST_RETRY, KEY, PUBKEY, signal, waitRunning } from './helpers';

describe('runpod against the fake GraphQL API', async () => {
  const fake = await startFakeRunpod({
    capacity: { 'NVIDIA H100 80GB HBM3': 1 },
    sshEndpoint: (i) => ({ host: '127.0.0.1', port: 41000 + i.name.length }),
  });
  const runpod = new RunpodProvider({ apiKey: KEY, baseUrl: fake.url, retry: FAST_RETRY });
  after(async () => {
    const left = [...fake.state.pods.keys()];
    await fake.close();
    assert.deepEqual(left, [], 'pods left running at the fake');
  });
  // The adapter returns what the server priced (the catalogue); the query's exact filter is filterOffers'.
  const list = async (rp: RunpodProvider, q: OfferQuery) => filterOffers((await rp.listOffers(q, signal)).offers, q);

  it('lists GPU types priced per count, without the unpriced and the placeholder', async () => {
    const logger = captureLogger();
    const rp = new RunpodProvider({ apiKey: KEY, baseUrl: fake.url, logger });
    const { offers, dropped } = await rp.listOffers({}, signal);
    const gql = fake.requests.slice(-4).map((r) => r.body as { query: string; variables: { lowestPriceInput: { gpuCount: number } } });
    assert.deepEqual(gql.map((b) => b.variables.lowestPriceInput.gpuCount).sort(), [1, 2, 4, 8]);
    assert.ok(gql.every((b) => topLevelField(b.query) === 'gpuTypes'));
    // L40S has no price at any of the 4 counts; "unknown" is skipped, not dropped.
    assert.equal(dropped, 4);
    assert.ok(!offers.some((o) => o.gpu.name === 'L40S' || o.instanceType === 'unknown'));
    assert.ok(!offers.some((o) => o.gpu.name === 'A6000' && o.gpu.count === 8), 'A6000 tops out at 4');
    const x2 = offers.find((o) => o.id === 'runpod:NVIDIA_GeForce_RTX_4090:2');
    assert.equal(x2?.pricePerHour, 0.68);
    assert.equal(x2?.spotPricePerHour, undefined, 'spot is off by default');
    assert.equal(logger.lines.filter((l) => l.startsWith('warn')).length, 1);
  });

  it('browses the catalogue without a key', async () => {
    const anon = new RunpodProvider({ baseUrl: fake.url });
    const offers = await list(anon, { gpu: parseGpuQuery('A100') });
    assert.deepEqual(offers.map((o) => [o.gpu.name, o.gpu.count, o.pricePerHour]), [['A100', 1, 1.19]]);
    assert.equal(fake.requests.at(-1)?.headers.authorization, undefined);
  });

  it('deploys an on-demand pod with SSH, reads it until booted, lists and terminates it', async () => {
    const offers = await list(runpod, { gpu: parseGpuQuery('RTX4090:2') });
    const offer = offers[0]!;
    const inst = await runpod.launch(offer, { sshPublicKey: PUBKEY, name: 'job-42', labels: { 'ferry-job': 'j-42' } }, signal);
    assert.equal(inst.status, 'pending', 'runtime is null at first');
    assert.equal(inst.pricePerHour, 0.68, 'costPerHr from the deploy answer');
    assert.equal(inst.offerId, offer.id);

    const deploy = fake.requests.find((r) => topLevelField((r.body as { query: string }).query) === 'podFindAndDeployOnDemand');
    const input = (deploy?.body as { variables: { input: Record<string, unknown> } }).variables.input;
    assert.equal(input.gpuTypeId, 'NVIDIA GeForce RTX 4090');
    assert.equal(input.gpuCount, 2);
    assert.equal(input.ports, '22/tcp');
    assert.equal(input.startSsh, true);
    assert.equal(input.supportPublicIp, true);
    assert.deepEqual(input.env, [
      { key: 'PUBLIC_KEY', value: PUBKEY },
      { key: 'FERRY_LABELS', value: '{"ferry-job":"j-42"}' },
    ]);
    assert.equal(deploy?.headers.authorization, `Bearer ${KEY}`);

    const running = await waitRunning(() => runpod.getInstance(inst.id, signal));
    assert.deepEqual(running.ssh, { host: '127.0.0.1', port: 41006, user: 'root' });
    assert.deepEqual(running.labels, { 'ferry-job': 'j-42' });

    assert.deepEqual((await runpod.listInstances(signal)).map((i) => i.id), [inst.id]);
    await runpod.terminate(inst.id, signal);
    assert.equal(await runpod.getInstance(inst.id, signal), undefined);
    await runpod.terminate(inst.id, signal); // "Pod not found" in errors[]: already gone
  });

  it('reports no capacity (errors[] with HTTP 200) as a refusal to fail over from', async () => {
    const offers = await list(runpod, { gpu: parseGpuQuery('H100:2') });
    await assert.rejects(runpod.launch(offers[0]!, { sshPublicKey: PUBKEY, name: 'big', labels: {} }, signal), (e: unknown) => {
      assert.ok(isLaunchRefusal(e));
      assert.match((e as Error).message, /no longer any instances available/);
      return true;
    });
  });

  it('rents spot only when enabled, bidding per GPU', async () => {
    const plain = await list(runpod, { gpu: parseGpuQuery('RTX4090') });
    await assert.rejects(runpod.launch(plain[0]!, { sshPublicKey: PUBKEY, name: 's', labels: {}, spot: true }, signal), (e: unknown) => e instanceof ProviderError && e.kind === 'price');

    const spotty = new RunpodProvider({ apiKey: KEY, baseUrl: fake.url, spot: true });
    const offers = await list(spotty, { gpu: parseGpuQuery('RTX4090:2'), spot: true });
    const o = offers[0]!;
    assert.equal(o.spotPricePerHour, 0.4);
    const inst = await spotty.launch(o, { sshPublicKey: PUBKEY, name: 's', labels: {}, spot: true }, signal);
    const rent = fake.requests.find((r) => topLevelField((r.body as { query: string }).query) === 'podRentInterruptable');
    assert.equal((rent?.body as { variables: { input: { bidPerGpu: number } } }).variables.input.bidPerGpu, 0.2);
    assert.equal(inst.pricePerHour, 0.4);
    await spotty.terminate(inst.id, signal);
  });

  it('rejects a wrong key (HTTP 401) without showing it', async () => {
    const secret = 'rp-wrong-9a8b7c6d5e';
    const bad = new RunpodProvider({ apiKey: secret, baseUrl: fake.url });
    await assert.rejects(bad.listInstances(signal), (e: unknown) => {
      assert.ok(e instanceof ProviderError);
      assert.equal(e.message, 'runpod: API key rejected (HTTP 401) — set FERRY_RUNPOD_API_KEY');
      assert.ok(!`${e.message}${e.hint ?? ''}`.includes(secret));
      return true;
    });
  });

  it('retries a 429 that carries Retry-After', async () => {
    const fake2 = await startFakeRunpod({ rateLimitOnce: { retryAfterS: 1 } });
    try {
      const rp = new RunpodProvider({ apiKey: KEY, baseUrl: fake2.url, retry: FAST_RETRY });
      const t0 = Date.now();
      const offers = await list(rp, { gpu: parseGpuQuery('A100') });
      assert.equal(offers.length, 1);
      assert.equal(fake2.requests.length, 2);
      assert.ok(Date.now() - t0 >= 950, 'waited the second Retry-After asked for');
    } finally {
      await fake2.close();
    }
  });

  it('drops malformed GPU types and counts them', async () => {
    const fake2 = await startFakeRunpod({ extraGpuTypes: [{ id: 'NVIDIA Broken', memoryInGb: 'lots' }, { displayName: 'no id' }] });
    try {
      const rp = new RunpodProvider({ baseUrl: fake2.url });
      const { offers, dropped } = await rp.listOffers({ gpu: parseGpuQuery('1') }, signal);
      assert.equal(dropped, 3, 'two malformed and L40S without a price');
      assert.ok(offers.every((o) => Number.isFinite(o.pricePerHour)));
    } finally {
      await fake2.close();
    }
  });
});
