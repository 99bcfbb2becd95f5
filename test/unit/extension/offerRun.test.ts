import assert from 'node:assert/strict';
import { test } from 'node:test';
import { selectOffers } from '../../../src/core/offers/rank';
import { choiceForOffer, pinSpecToOffer, specOfferQuery } from '../../../src/extension/run/targetChoices';
import { offer, spec } from './fixtures/records';

test('"Run here..." on a cloud offer: the choice is that offer at its price, whatever the spec asks for', () => {
  const o = offer({ id: 'vast:42', gpuName: 'A100', gpuMem: 80, pricePerHour: 1.1, spotPricePerHour: 0.6 });
  const c = choiceForOffer(spec({ resources: { spot: 'on-demand' } }), o);
  assert.equal(c.ref, 'vast');
  assert.equal(c.pricePerHour, 1.1);
  assert.equal(c.offer, o);
  assert.equal(choiceForOffer(spec({ resources: { spot: 'auto' } }), o).pricePerHour, 0.6, 'auto takes the spot price');
  assert.equal(choiceForOffer(spec(), offer({ provider: 'ssh', id: 'gpu-box', pricePerHour: 0 })).ref, 'ssh:gpu-box');
  assert.equal(choiceForOffer(spec(), offer({ provider: 'local', id: 'local', pricePerHour: 0 })).ref, 'local');
});

test('the recorded spec narrows the cloud target to the picked offer: same provider and GPU, no dearer', () => {
  const picked = offer({ id: 'vast:42', gpuName: 'A100', gpuMem: 80, pricePerHour: 1.1 });
  const pinned = pinSpecToOffer(spec({ resources: { spot: 'on-demand', max_price_per_hour: 0.5 } }), picked, 1.1);
  assert.equal(pinned.target, 'vast');
  assert.deepEqual(pinned.resources.providers, ['vast']);
  assert.equal(pinned.resources.max_price_per_hour, 1.1, 'the confirmed price is the ceiling');
  const live = [
    offer({ id: 'vast:cheap-4090', pricePerHour: 0.3 }),
    offer({ id: 'runpod:a100', provider: 'runpod', gpuName: 'A100', gpuMem: 80, pricePerHour: 0.9 }),
    offer({ id: 'vast:dear-a100', gpuName: 'A100', gpuMem: 80, pricePerHour: 1.9 }),
    picked,
  ];
  const chosen = selectOffers(live, specOfferQuery(pinned)).map((o) => o.id);
  assert.deepEqual(chosen, ['vast:42']);
  const own = spec();
  assert.equal(pinSpecToOffer(own, offer({ provider: 'ssh', id: 'gpu-box' }), 0), own, 'own machines keep the spec');
});
