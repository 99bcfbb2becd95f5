import assert from 'node:assert/strict';
import { cpus } from 'node:os';
import { describe, it } from 'node:test';
import { localMachineOffer, sshHostAliases, sshHostOffers, staticOfferSource } from '../../../src/core/offers/localHosts';
import { parseNvidiaSmiGpus } from '../../../src/core/offers/nvidiaSmi';
import { UserError } from '../../../src/core/util/errors';
import { NOW, now, signal } from './helpers';

const CONFIG = `
# my machines
Host *
  ServerAliveInterval 30

Host gpu-box trainer
  HostName 192.0.2.10
  User ml
  Port 2222

Host lab-?? !bastion
  User lab

Host laptop
  HostName laptop.local

Match exec "touch /tmp/ferry-should-not-run"
  User nobody

Host gpu-box
  IdentityFile ~/.ssh/other
`;

describe('sshHostOffers', () => {
  it('lists concrete Host aliases only, once each, in file order', () => {
    assert.deepEqual(sshHostAliases(CONFIG), ['gpu-box', 'trainer', 'laptop']);
  });

  it('makes one offer per alias, priced from the settings, GPU unknown unless configured', () => {
    const offers = sshHostOffers(CONFIG, {
      pricePerHour: { 'gpu-box': 0.2 },
      defaultPrice: 0.05,
      gpus: { 'gpu-box': { name: 'NVIDIA GeForce RTX 4090', count: 2, memoryGb: 24 } },
      extraHosts: ['other-box', 'wild*'],
      now,
    });
    assert.deepEqual(
      offers.map((o) => [o.id, o.provider, o.instanceType, o.pricePerHour, o.gpu.name, o.gpu.count]),
      [
        ['ssh:gpu-box', 'ssh', '192.0.2.10', 0.2, 'RTX 4090', 2],
        ['ssh:trainer', 'ssh', '192.0.2.10', 0.05, 'unknown', 0],
        ['ssh:laptop', 'ssh', 'laptop.local', 0.05, 'unknown', 0],
        ['ssh:other-box', 'ssh', 'other-box', 0.05, 'unknown', 0],
      ],
    );
    assert.deepEqual(offers[1]?.gpu, { name: 'unknown', count: 0, memoryGb: 0, vendor: 'unknown' });
    assert.equal(offers[0]?.asOf, NOW.toISOString());
    assert.equal(offers[0]?.available, true);
  });

  it('defaults to free, and refuses a negative or non-finite price as bad input', () => {
    assert.equal(sshHostOffers('Host a\n')[0]?.pricePerHour, 0);
    assert.throws(() => sshHostOffers('Host a\n', { pricePerHour: { a: -1 } }), (e: unknown) => e instanceof UserError && /pricePerHour\.a/.test(e.message));
    assert.throws(() => sshHostOffers('Host a\n', { defaultPrice: Number.NaN }), UserError);
  });
});

describe('localMachineOffer', () => {
  it('describes this machine with the probed GPU', () => {
    const o = localMachineOffer({ pricePerHour: 0.1, gpus: parseNvidiaSmiGpus('NVIDIA GeForce RTX 4090, 24564\n'), now });
    assert.equal(o.provider, 'local');
    assert.equal(o.id, 'local');
    assert.equal(o.pricePerHour, 0.1);
    assert.deepEqual(o.gpu, { name: 'RTX 4090', count: 1, memoryGb: 24, vendor: 'nvidia' });
    assert.ok(o.cpus >= 1 && o.cpus <= cpus().length);
    assert.ok(o.memoryGb > 0);
  });

  it('says unknown when not probed, none when the probe found nothing', async () => {
    assert.equal(localMachineOffer().gpu.name, 'unknown');
    assert.equal(localMachineOffer({ gpus: [] }).gpu.name, 'none');
    const src = staticOfferSource('local', () => [localMachineOffer()]);
    assert.equal(src.cacheable, false);
    assert.equal((await src.listOffers({}, signal)).offers.length, 1);
  });
});
