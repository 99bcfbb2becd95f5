import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ProviderError } from '../../../src/core/offers/errors';
import { LambdaProvider, normalizeLambdaInstance } from '../../../src/core/offers/lambda';
import { assertFinitePrices, captureLogger, fixture, NOW, now, offer, signal, stubFetch } from './helpers';

describe('lambda: recorded instance-types payload', () => {
  it('makes one offer per region with capacity, an unavailable one when sold out, and drops the rest', async () => {
    const { fetch, calls } = stubFetch(() => ({ body: fixture('lambda-instance-types.json') }));
    const logger = captureLogger();
    const lambda = new LambdaProvider({ apiKey: 'lambda-key-0001', baseUrl: 'http://lambda.test', fetch, logger, now, minIntervalMs: 0 });
    const { offers, dropped } = await lambda.listOffers({}, signal);

    assert.equal(calls[0]?.headers.authorization, 'Bearer lambda-key-0001');
    assert.equal(calls[0]?.url.pathname, '/api/v1/instance-types');
    assert.equal(dropped, 2, 'a null price and a type without specs');
    assertFinitePrices(offers);
    assert.deepEqual(
      offers.map((o) => [o.id, o.gpu.name, o.gpu.count, o.gpu.memoryGb, o.pricePerHour, o.region, o.available]),
      [
        ['lambda:gpu_1x_h100_sxm5:us-east-1', 'H100', 1, 80, 3.29, 'us-east-1', true],
        ['lambda:gpu_1x_h100_sxm5:us-west-3', 'H100', 1, 80, 3.29, 'us-west-3', true],
        ['lambda:gpu_8x_a100', 'A100', 8, 40, 14.32, 'any', false],
        ['lambda:gpu_8x_v100:us-south-1', 'V100', 8, 16, 4.4, 'us-south-1', true],
        ['lambda:gpu_1x_rtx6000:us-east-1', 'RTX 6000', 1, 24, 0.5, 'us-east-1', true],
        // No parsable description: the type name and the catalogue's memory.
        ['lambda:gpu_1x_gh200:us-south-1', 'GH200', 1, 96, 1.49, 'us-south-1', true],
      ],
    );
    assert.deepEqual(offers[0], {
      provider: 'lambda',
      id: 'lambda:gpu_1x_h100_sxm5:us-east-1',
      instanceType: 'gpu_1x_h100_sxm5',
      gpu: { name: 'H100', count: 1, memoryGb: 80, vendor: 'nvidia' },
      cpus: 26,
      memoryGb: 225,
      diskGb: 2816,
      region: 'us-east-1',
      pricePerHour: 3.29,
      available: true,
      asOf: NOW.toISOString(),
    });
    assert.equal(logger.lines.filter((l) => l.startsWith('warn')).length, 1);
  });

  it('refuses to launch a sold-out type as a capacity problem, without calling the API', async () => {
    const { fetch, calls } = stubFetch(() => ({ body: {} }));
    const lambda = new LambdaProvider({ apiKey: 'lambda-key-0001', baseUrl: 'http://lambda.test', fetch, minIntervalMs: 0 });
    const o = offer({ id: 'lambda:gpu_8x_a100', provider: 'lambda', available: false });
    await assert.rejects(lambda.launch(o, { sshPublicKey: 'ssh-ed25519 AAAA', name: 'j', labels: {} }, signal), (e: unknown) => e instanceof ProviderError && e.kind === 'capacity');
    assert.equal(calls.length, 0);
  });

  it('names the field when the envelope is wrong', async () => {
    const { fetch } = stubFetch(() => ({ body: { instance_types: {} } }));
    const lambda = new LambdaProvider({ apiKey: 'lambda-key-0001', baseUrl: 'http://lambda.test', fetch, minIntervalMs: 0 });
    await assert.rejects(lambda.listOffers({}, signal), /^ProviderError: lambda: unexpected response from GET \/api\/v1\/instance-types: data: /m);
  });

  it('needs a key before it asks anything', async () => {
    const { fetch, calls } = stubFetch(() => ({ body: {} }));
    await assert.rejects(new LambdaProvider({ baseUrl: 'http://lambda.test', fetch }).listOffers({}, signal), /lambda: no API key — set FERRY_LAMBDA_API_KEY/);
    assert.equal(calls.length, 0);
  });
});

describe('lambda: instances', () => {
  const data = (fixture('lambda-instance.json') as { data: Record<string, unknown> }).data;
  const norm = (over: Record<string, unknown>) => normalizeLambdaInstance({ ...(data as { id: string; status: string }), ...over } as Parameters<typeof normalizeLambdaInstance>[0]);

  it('reads the documented instance', () => {
    assert.deepEqual(norm({}), {
      provider: 'lambda',
      id: '0920582c7ff041399e34823a0be62549',
      name: 'My Instance',
      status: 'running',
      rawStatus: 'active',
      offerId: 'lambda:gpu_8x_example:us-west-1',
      ssh: { host: '198.51.100.2', port: 22, user: 'ubuntu' },
      pricePerHour: 15.92,
      labels: { 'ferry-job': 'j-9' },
    });
  });

  it('has no SSH while booting, and terminated covers preempted', () => {
    const booting = norm({ status: 'booting', ip: undefined });
    assert.equal(booting.status, 'pending');
    assert.equal(booting.ssh, undefined);
    assert.equal(norm({ status: 'preempted' }).status, 'terminated');
    assert.equal(norm({ status: 'unhealthy' }).status, 'unknown');
  });
});
