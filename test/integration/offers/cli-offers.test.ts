import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Offer } from '../../../src/core/offers/types';
import { DEFAULT_FAKE_KEY, startFakeLambda, startFakeRunpod, startFakeVast, type FakeServer } from '../../fakes/providers';
import { ferry, tempHome } from '../../helpers/cli';

// The fakes run in this process: the CLI must run asynchronously so they can answer it.
const run = (args: string[], env: Record<string, string>) => ferry(args, env).done;

describe('ferry offers against the fake provider APIs', () => {
  const t = tempHome();
  let vast: FakeServer<unknown>;
  let runpod: FakeServer<unknown>;
  let lambda: FakeServer<unknown>;
  let env: Record<string, string>;
  before(async () => {
    [vast, runpod, lambda] = await Promise.all([startFakeVast(), startFakeRunpod(), startFakeLambda({ minIntervalMs: 0 } as never)]);
    writeFileSync(path.join(t.home, 'ssh_config'), 'Host gpu-box\n  HostName 127.0.0.1\n  Port 2222\n');
    env = {
      FERRY_HOME: t.home,
      FERRY_SSH_CONFIG: path.join(t.home, 'ssh_config'),
      FERRY_VAST_API_KEY: DEFAULT_FAKE_KEY,
      FERRY_VAST_API_URL: vast.url,
      FERRY_RUNPOD_API_KEY: DEFAULT_FAKE_KEY,
      FERRY_RUNPOD_API_URL: runpod.url,
      FERRY_LAMBDA_API_KEY: DEFAULT_FAKE_KEY,
      FERRY_LAMBDA_API_URL: lambda.url,
    };
  });
  after(async () => {
    await Promise.all([vast.close(), runpod.close(), lambda.close()]);
    t.remove();
  });

  it('lists offers from all three providers, your SSH host and this machine, in one list sorted by price', async () => {
    const r = await run(['offers', '--json', '--refresh'], env);
    assert.equal(r.code, 0, r.stderr);
    const offers = JSON.parse(r.stdout) as Offer[];
    const providers = new Set(offers.map((o) => o.provider));
    for (const p of ['vast', 'runpod', 'lambda', 'ssh', 'local']) assert.ok(providers.has(p as Offer['provider']), `${p} missing`);
    for (let i = 1; i < offers.length; i++) assert.ok(offers[i - 1]!.pricePerHour <= offers[i]!.pricePerHour, `sorted at ${i}`);
    for (const o of offers) assert.ok(Number.isFinite(o.pricePerHour) && !Number.isNaN(Date.parse(o.asOf)));
    assert.ok(offers.some((o) => o.id === 'ssh:gpu-box'));
  });

  it('filters with the query grammar and --max-price, and prints a table', async () => {
    const r = await run(['offers', 'A100', '--max-price', '5', '--json'], env);
    assert.equal(r.code, 0, r.stderr);
    const offers = JSON.parse(r.stdout) as Offer[];
    assert.ok(offers.length > 0);
    for (const o of offers) {
      assert.equal(o.gpu.name, 'A100');
      assert.ok(o.pricePerHour <= 5);
    }
    const tableRun = await run(['offers', 'A100'], env);
    assert.equal(tableRun.code, 0, tableRun.stderr);
    assert.match(tableRun.stdout, /^GPU\s+COUNT\s+MEMORY\s+\$\/H\s+SPOT \$\/H\s+REGION\s+PROVIDER\s+RELIABILITY\s+AGE$/m);
    assert.match(tableRun.stdout, /^A100\s+\d+\s+\d+GB\s+\$\d+\.\d\d/m);
    const bad = await run(['offers', 'A100:80G'], env);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /query "A100:80G": "A100:80G" is not a GPU query \(expected name\[:memory\]\[:count\], e\.g\. A100:80GB:1\)/);
  });

  it('a provider answering 500 keeps its last good list, marked stale, and hides nobody else', async () => {
    for (let i = 0; i < 200; i++) runpod.script.push({ status: 500, body: 'internal error' });
    const r = await run(['offers', '--json', '--refresh'], env);
    assert.equal(r.code, 0, r.stderr);
    const offers = JSON.parse(r.stdout) as Offer[];
    assert.ok(offers.some((o) => o.provider === 'vast'));
    assert.ok(offers.some((o) => o.provider === 'lambda'));
    assert.ok(offers.some((o) => o.provider === 'runpod'), 'the last good RunPod list is still shown');
    assert.match(r.stderr, /warning: runpod: .*500.*marked stale/);
    runpod.script.length = 0;
  });

  it('a wrong key says which one and never shows it', async () => {
    const r = await run(['offers', '--json', '--refresh', '--provider', 'lambda'], { ...env, FERRY_LAMBDA_API_KEY: 'secret-wrong-key-123456' });
    assert.match(r.stderr, /lambda/i);
    assert.match(r.stderr, /FERRY_LAMBDA_API_KEY/);
    assert.doesNotMatch(r.stderr + r.stdout, /secret-wrong-key-123456/);
  });
});
