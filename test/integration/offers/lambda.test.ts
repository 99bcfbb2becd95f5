import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { isLaunchRefusal, ProviderError } from '../../../src/core/offers/errors';
import { LambdaProvider } from '../../../src/core/offers/lambda';
import { startFakeLambda } from '../../fakes/providers/lambda';
import { FAST_RETRY, KEY, PUBKEY, signal, waitRunning } from './helpers';

describe('lambda against the fake API', async () => {
  const fake = await startFakeLambda({ sshEndpoint: () => ({ host: '127.0.0.1', port: 2222 }) });
  // Spacing off here (the fake does not enforce it); the rate-limit test below keeps it on.
  const lambda = new LambdaProvider({ apiKey: KEY, baseUrl: fake.url, minIntervalMs: 0, launchIntervalMs: 0, retry: FAST_RETRY, sshPort: 2222 });
  after(async () => {
    const left = [...fake.state.instances.keys()];
    await fake.close();
    assert.deepEqual(left, [], 'instances left running at the fake');
  });

  it('lists one offer per region with capacity and one unavailable offer per sold-out type', async () => {
    const { offers, dropped } = await lambda.listOffers({}, signal);
    assert.equal(dropped, 0);
    assert.deepEqual(
      offers.map((o) => [o.id, o.gpu.name, o.gpu.count, o.pricePerHour, o.available]),
      [
        ['lambda:gpu_1x_a10:us-east-1', 'A10', 1, 0.75, true],
        ['lambda:gpu_1x_a10:us-west-1', 'A10', 1, 0.75, true],
        ['lambda:gpu_1x_h100_sxm5:us-east-1', 'H100', 1, 3.29, true],
        ['lambda:gpu_8x_a100_80gb_sxm4', 'A100', 8, 14.32, false],
        ['lambda:gpu_1x_gh200:us-south-1', 'GH200', 1, 1.49, true],
      ],
    );
    assert.equal(fake.requests.at(-1)?.headers.authorization, `Bearer ${KEY}`);
  });

  it('launches with its SSH key registered once, boots, lists and terminates', async () => {
    const { offers } = await lambda.listOffers({}, signal);
    const a10 = offers[0]!;
    const inst = await lambda.launch(a10, { sshPublicKey: PUBKEY, name: 'train-1', labels: { 'ferry-job': 'j-5' } }, signal);
    assert.equal(inst.status, 'pending');
    assert.equal(inst.rawStatus, 'booting');
    assert.equal(inst.ssh, undefined, 'no ip while booting');
    assert.equal(inst.pricePerHour, 0.75);
    assert.equal(inst.offerId, a10.id);

    assert.equal(fake.state.sshKeys.length, 1);
    const keyName = fake.state.sshKeys[0]?.name;
    assert.match(keyName ?? '', /^ferry-[0-9a-f]{10}$/);
    const launch = fake.requests.find((r) => r.path === '/api/v1/instance-operations/launch');
    assert.deepEqual(launch?.body, {
      region_name: 'us-east-1',
      instance_type_name: 'gpu_1x_a10',
      ssh_key_names: [keyName],
      name: 'train-1',
      tags: [{ key: 'ferry-job', value: 'j-5' }],
    });

    const running = await waitRunning(() => lambda.getInstance(inst.id, signal));
    assert.deepEqual(running.ssh, { host: '127.0.0.1', port: 2222, user: 'ubuntu' });
    assert.deepEqual(running.labels, { 'ferry-job': 'j-5' });

    const second = await lambda.launch(offers[1]!, { sshPublicKey: PUBKEY, name: 'train-2', labels: {} }, signal);
    assert.equal(fake.state.sshKeys.length, 1, 'the key is found, not added again');
    assert.deepEqual((await lambda.listInstances(signal)).map((i) => i.id).sort(), [inst.id, second.id].sort());

    await lambda.terminate(inst.id, signal);
    await lambda.terminate(second.id, signal);
    assert.equal(await lambda.getInstance(inst.id, signal), undefined);
    await lambda.terminate(inst.id, signal); // 404 object-does-not-exist: already gone
  });

  it('reports insufficient capacity as a refusal to fail over from', async () => {
    const { offers } = await lambda.listOffers({}, signal);
    const h100 = offers.find((o) => o.instanceType === 'gpu_1x_h100_sxm5')!;
    fake.state.types.find((t) => t.name === 'gpu_1x_h100_sxm5')!.regions = [];
    await assert.rejects(lambda.launch(h100, { sshPublicKey: PUBKEY, name: 'x', labels: {} }, signal), (e: unknown) => {
      assert.ok(isLaunchRefusal(e));
      assert.equal((e as ProviderError).code, 'instance-operations/launch/insufficient-capacity');
      return true;
    });
  });

  it('rejects a wrong key without showing it, Bearer or not', async () => {
    const secret = 'secret_lambda_0f9e8d7c6b5a';
    await assert.rejects(new LambdaProvider({ apiKey: secret, baseUrl: fake.url, minIntervalMs: 0 }).listOffers({}, signal), (e: unknown) => {
      assert.ok(e instanceof ProviderError);
      assert.equal(e.message, 'lambda: API key rejected (HTTP 401) — set FERRY_LAMBDA_API_KEY');
      assert.ok(!`${e.message}${e.hint ?? ''}`.includes(secret));
      return true;
    });
  });

  it('drops malformed instance types and counts them', async () => {
    fake.state.extraTypes = { gpu_bad: { instance_type: { name: 'gpu_bad', price_cents_per_hour: 'free' } }, gpu_nothing: {} };
    const { dropped, offers } = await lambda.listOffers({}, signal);
    fake.state.extraTypes = {};
    assert.equal(dropped, 2);
    assert.ok(offers.every((o) => Number.isFinite(o.pricePerHour)));
  });
});

describe('lambda rate limits', () => {
  it('spaces its own requests a second apart, so an enforcing server never refuses one', async () => {
    const fake = await startFakeLambda({ enforceMinIntervalMs: 950 });
    try {
      const lambda = new LambdaProvider({ apiKey: KEY, baseUrl: fake.url, retry: { attempts: 1 } });
      await Promise.all([lambda.listOffers({}, signal), lambda.listInstances(signal), lambda.listOffers({}, signal)]);
      assert.equal(fake.state.rateLimited, 0);
      const at = fake.requests.map((r) => r.at);
      for (let i = 1; i < at.length; i++) assert.ok((at[i] ?? 0) - (at[i - 1] ?? 0) >= 950, `gap ${(at[i] ?? 0) - (at[i - 1] ?? 0)} ms`);
    } finally {
      await fake.close();
    }
  });

  it('without spacing the same server refuses (the control)', async () => {
    const fake = await startFakeLambda({ enforceMinIntervalMs: 950 });
    try {
      const lambda = new LambdaProvider({ apiKey: KEY, baseUrl: fake.url, minIntervalMs: 0, retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 5 } });
      const r = await Promise.allSettled([lambda.listOffers({}, signal), lambda.listInstances(signal)]);
      assert.ok(fake.state.rateLimited > 0);
      assert.ok(r.some((x) => x.status === 'rejected' && x.reason instanceof ProviderError && x.reason.kind === 'rate-limit'));
    } finally {
      await fake.close();
    }
  });

  it('retries a 429 after its Retry-After', async () => {
    const fake = await startFakeLambda({ rateLimitOnce: { retryAfterS: 1 } });
    try {
      const lambda = new LambdaProvider({ apiKey: KEY, baseUrl: fake.url, minIntervalMs: 0 });
      const t0 = Date.now();
      const { offers } = await lambda.listOffers({}, signal);
      assert.equal(offers.length, 5);
      assert.equal(fake.requests.length, 2);
      assert.ok(Date.now() - t0 >= 950);
    } finally {
      await fake.close();
    }
  });
});
