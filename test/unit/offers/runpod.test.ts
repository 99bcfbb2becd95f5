import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ProviderError } from '../../../src/core/offers/errors';
import { normalizeRunpodPod, runpodCounts, runpodErrorKind, RunpodProvider } from '../../../src/core/offers/runpod';
import { parseGpuQuery } from '../../../src/core/spec/gpuQuery';
import { assertFinitePrices, captureLogger, fixture, NOW, now, offer, signal, stubFetch } from './helpers';

describe('runpod: recorded gpuTypes payload', () => {
  it('prices each type for the count asked, per GPU times count, and drops the rest', async () => {
    const { fetch, calls } = stubFetch(() => ({ body: fixture('runpod-gputypes.json') }));
    const logger = captureLogger();
    const rp = new RunpodProvider({ baseUrl: 'http://runpod.test', fetch, logger, now });
    const { offers, dropped } = await rp.listOffers({ gpu: parseGpuQuery('1') }, signal);

    assert.equal(calls.length, 1);
    assert.equal(calls[0]?.url.pathname, '/graphql');
    assert.deepEqual((calls[0]?.body as { variables: unknown }).variables, { lowestPriceInput: { gpuCount: 1 } });
    assert.equal(dropped, 2, 'H100 without a price, A6000 with a string memory');
    assertFinitePrices(offers);
    assert.deepEqual(
      offers.map((o) => [o.gpu.name, o.gpu.memoryGb, o.gpu.vendor, o.pricePerHour]),
      [
        ['RTX 4090', 24, 'nvidia', 0.34],
        ['A100', 80, 'nvidia', 1.64],
        ['MI300X', 192, 'amd', 2.49],
      ],
    );
    assert.deepEqual(offers[0], {
      provider: 'runpod',
      id: 'runpod:NVIDIA_GeForce_RTX_4090:1',
      instanceType: 'NVIDIA GeForce RTX 4090',
      gpu: { name: 'RTX 4090', count: 1, memoryGb: 24, vendor: 'nvidia' },
      cpus: 5,
      memoryGb: 29,
      diskGb: 50,
      region: 'any',
      pricePerHour: 0.34,
      available: true,
      asOf: NOW.toISOString(),
    });
    assert.equal(logger.lines.filter((l) => l.startsWith('warn')).length, 1);
  });

  it('lists spot prices only when spot is turned on, and marks counts out of stock', async () => {
    const { fetch } = stubFetch(() => ({ body: fixture('runpod-gputypes.json') }));
    const rp = new RunpodProvider({ baseUrl: 'http://runpod.test', fetch, now, spot: true });
    const { offers } = await rp.listOffers({ gpu: parseGpuQuery('RTX4090:8') }, signal);
    const x8 = offers.find((o) => o.instanceType === 'NVIDIA GeForce RTX 4090');
    assert.equal(x8?.pricePerHour, 2.72);
    assert.equal(x8?.spotPricePerHour, 1.6);
    assert.equal(x8?.available, false, 'availableGpuCounts stops at 6');
  });

  it('asks once per count in the query range, capped', () => {
    assert.deepEqual(runpodCounts({}), [1, 2, 4, 8]);
    assert.deepEqual(runpodCounts({ gpu: parseGpuQuery('A100:2..4') }), [2, 3, 4]);
    assert.equal(runpodCounts({ gpu: parseGpuQuery('A100:1..') }).length, 8);
  });
});

describe('runpod: errors in a 200', () => {
  it('turns errors[] into a ProviderError with the kind the engine acts on', async () => {
    const { fetch } = stubFetch(() => ({
      body: { errors: [{ message: 'There are no longer any instances available with the requested specifications. Please refresh and try again.' }], data: { podFindAndDeployOnDemand: null } },
    }));
    const rp = new RunpodProvider({ apiKey: 'rp-key-abcdef', baseUrl: 'http://runpod.test', fetch, now });
    const o = offer({ id: 'runpod:NVIDIA_GeForce_RTX_4090:1', provider: 'runpod', instanceType: 'NVIDIA GeForce RTX 4090' });
    await assert.rejects(rp.launch(o, { sshPublicKey: 'ssh-ed25519 AAAA k', name: 'j', labels: {} }, signal), (err: unknown) => {
      assert.ok(err instanceof ProviderError);
      assert.equal(err.kind, 'capacity');
      assert.match(err.message, /^runpod: podFindAndDeployOnDemand failed: There are no longer any instances/);
      return true;
    });
  });

  it('classifies the texts RunPod sends', () => {
    assert.equal(runpodErrorKind('There are not enough free GPUs on the host machine to start this pod.'), 'capacity');
    assert.equal(runpodErrorKind('Your bid price is too low.'), 'price');
    assert.equal(runpodErrorKind('Something went wrong. Please try again later or contact support.'), 'server');
  });
});

describe('runpod: pods', () => {
  const pod = (fixture('runpod-pod.json') as { data: { pod: Record<string, unknown> } }).data.pod;
  const norm = (over: Record<string, unknown>) => normalizeRunpodPod({ ...(pod as { id: string }), ...over } as Parameters<typeof normalizeRunpodPod>[0]);

  it('takes SSH from the public 22/tcp runtime port and labels from FERRY_LABELS', () => {
    const inst = norm({});
    assert.equal(inst.status, 'running');
    assert.deepEqual(inst.ssh, { host: '194.26.196.6', port: 41022, user: 'root' });
    assert.deepEqual(inst.labels, { 'ferry-job': 'j-7' });
    assert.equal(inst.pricePerHour, 0.44);
  });

  it('is pending while runtime is null, and maps the other statuses', () => {
    assert.equal(norm({ runtime: null }).status, 'pending');
    assert.equal(norm({ runtime: null }).ssh, undefined);
    assert.equal(norm({ desiredStatus: 'EXITED' }).status, 'stopped');
    assert.equal(norm({ desiredStatus: 'TERMINATED' }).status, 'terminated');
    assert.equal(norm({ costPerHr: '0.74' }).pricePerHour, 0.74, 'REST v1 sends strings');
    assert.equal(norm({ costPerHr: null }).pricePerHour, 0);
    assert.deepEqual(norm({ env: ['FERRY_LABELS={not json'] }).labels, {});
  });
});
