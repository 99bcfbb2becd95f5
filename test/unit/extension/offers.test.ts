import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ProviderOffers } from '../../../src/core/offers/aggregate';
import { parseOfferFilter, rememberFilter } from '../../../src/extension/offers/offerFilter';
import { buildOfferTree, offerDescription, offerLabel, type OfferNode } from '../../../src/extension/offers/offerView';
import { NOW, offer } from './fixtures/records';

function po(provider: string, offers: ReturnType<typeof offer>[], over: Partial<ProviderOffers> = {}): ProviderOffers {
  return { provider, offers, fetchedAt: '2026-05-01T11:55:00Z', stale: false, dropped: 0, fromCache: false, ...over };
}

const vast = po('vast', [
  offer({ id: 'vast:1', pricePerHour: 0.5 }),
  offer({ id: 'vast:2', pricePerHour: 0.34 }),
  offer({ id: 'vast:3', gpuName: 'A100', gpuMem: 80, pricePerHour: 1.8, region: 'Sweden, SE' }),
]);
const runpod = po('runpod', [offer({ provider: 'runpod', id: 'runpod:a', gpuName: 'A100', gpuMem: 80, pricePerHour: 1.6, reliability: undefined, region: 'any' })]);
const local = po('local', [offer({ provider: 'local', id: 'local', instanceType: 'laptop', gpuName: 'unknown', gpuCount: 0, gpuMem: 0, pricePerHour: 0, reliability: undefined, region: 'local' })]);

function labels(nodes: OfferNode[]): unknown[] {
  return nodes.map((n) => (n.kind === 'group' ? [n.label, labels(n.children)] : n.label));
}

test('an offer reads "1x RTX 4090 24GB" with "$0.34/h · Texas, US · 99.2%"', () => {
  const o = offer();
  assert.equal(offerLabel(o), '1x RTX 4090 24GB');
  assert.equal(offerDescription(o), '$0.34/h · Texas, US · 99.2%');
  assert.equal(offerDescription(offer({ available: false, reliability: undefined, region: 'any' })), '$0.34/h · sold out');
  assert.equal(offerLabel(local.offers[0] as ReturnType<typeof offer>), 'This machine (laptop)');
});

test('grouped by provider (own machines first), then GPU model, cheapest first', () => {
  const tree = buildOfferTree({ providers: [vast, runpod, local], query: {}, groupBy: 'provider', perGroup: 10, now: NOW });
  assert.deepEqual(labels(tree), [
    ['This machine', ['This machine (laptop)']],
    ['Vast.ai', [['RTX 4090', ['1x RTX 4090 24GB', '1x RTX 4090 24GB']], ['A100', ['1x A100 80GB']]]],
    ['RunPod', [['A100', ['1x A100 80GB']]]],
  ]);
  const vastNode = tree[1];
  assert.ok(vastNode?.kind === 'group');
  const g = vastNode.children[0];
  assert.ok(g?.kind === 'group');
  assert.deepEqual(
    g.children.map((n) => (n.kind === 'offer' ? n.offer.id : '')),
    ['vast:2', 'vast:1'],
  );
  assert.equal(g.description, '2 offers · from $0.34/h');
  assert.equal(vastNode.contextValue, 'ferry:provider:vast');
});

test('group by GPU first: every provider under one model, with the provider named', () => {
  const tree = buildOfferTree({ providers: [vast, runpod], query: {}, groupBy: 'gpu', perGroup: 10, now: NOW });
  assert.deepEqual(
    tree.map((n) => n.label),
    ['RTX 4090', 'A100'],
  );
  const a100 = tree[1];
  assert.ok(a100?.kind === 'group');
  assert.deepEqual(
    a100.children.map((n) => n.description),
    ['RunPod · $1.60/h', 'Vast.ai · $1.80/h · Sweden, SE · 99.2%'],
  );
});

test('one error node per failing provider; the others stay; a stale list is still shown', () => {
  const failing = po('lambda', [], { error: 'Lambda: 401 invalid API key (set FERRY_LAMBDA_API_KEY)' });
  const stale = po('runpod', runpod.offers, { stale: true, error: 'RunPod: 429 rate limited' });
  const tree = buildOfferTree({ providers: [vast, stale, failing], query: {}, groupBy: 'provider', perGroup: 10, now: NOW });
  const lambda = tree.find((n) => n.label === 'Lambda');
  assert.ok(lambda?.kind === 'group');
  assert.equal(lambda.children.length, 1);
  assert.equal(lambda.children[0]?.kind, 'error');
  assert.equal(lambda.children[0]?.contextValue, 'ferry:offersError:lambda');
  const rp = tree.find((n) => n.label === 'RunPod');
  assert.ok(rp?.kind === 'group');
  assert.deepEqual(
    rp.children.map((n) => n.kind),
    ['error', 'group'],
  );
  assert.match(rp.description, /stale · error/);
  assert.equal(rp.contextValue, 'ferry:provider:runpod+error+stale');
  assert.ok(tree.find((n) => n.label === 'Vast.ai'));
});

test('the filter narrows the tree; a filter that hides everything says so, with a way out', () => {
  const q = parseOfferFilter('A100:80GB --max-price 1.7');
  const tree = buildOfferTree({ providers: [vast, runpod], query: q, filterText: 'A100:80GB --max-price 1.7', groupBy: 'gpu', perGroup: 10, now: NOW });
  assert.deepEqual(labels(tree), [['A100', ['1x A100 80GB']]]);
  const none = buildOfferTree({ providers: [vast, runpod], query: parseOfferFilter('H100'), filterText: 'H100', groupBy: 'provider', perGroup: 10, now: NOW });
  assert.equal(none[0]?.kind, 'info');
  assert.equal(none[0]?.label, 'No offers match "H100"');
  assert.ok(none[0]?.kind === 'info' && none[0].command === 'clearFilter');
});

test('only the cheapest perGroup offers are listed, the rest counted', () => {
  const many = po('vast', Array.from({ length: 7 }, (_, i) => offer({ id: `vast:${i}`, pricePerHour: 1 + i })));
  const tree = buildOfferTree({ providers: [many], query: {}, groupBy: 'provider', perGroup: 3, now: NOW });
  const g = tree[0]?.kind === 'group' ? tree[0].children[0] : undefined;
  assert.ok(g?.kind === 'group');
  assert.deepEqual(
    g.children.map((n) => n.label),
    ['1x RTX 4090 24GB', '1x RTX 4090 24GB', '1x RTX 4090 24GB', '4 more'],
  );
});

test('filter grammar: GPU query plus flags or key=value', () => {
  const q = parseOfferFilter('A100:80GB:1..2 --provider vast,runpod --max-price $2.5 --spot --region us');
  assert.deepEqual(q.gpu?.names, ['A100']);
  assert.deepEqual(q.gpu?.count, { min: 1, max: 2 });
  assert.deepEqual(q.providers, ['vast', 'runpod']);
  assert.equal(q.maxPricePerHour, 2.5);
  assert.equal(q.spot, true);
  assert.deepEqual(q.regions, ['us']);
  const kv = parseOfferFilter('RTX4090 provider=vast max=0.5 available');
  assert.deepEqual(kv.providers, ['vast']);
  assert.equal(kv.maxPricePerHour, 0.5);
  assert.equal(kv.availableOnly, true);
  assert.deepEqual(parseOfferFilter('  '), {});
});

test('filter grammar: mistakes are explained', () => {
  assert.throws(() => parseOfferFilter('--max-price cheap'), /not a price/);
  assert.throws(() => parseOfferFilter('--colour red'), /unknown filter option "colour"/);
  assert.throws(() => parseOfferFilter('A100 H100'), /one GPU query at most/);
  assert.throws(() => parseOfferFilter('A100:80G'), /"A100:80G"/);
  assert.throws(() => parseOfferFilter('--provider'), /needs a value/);
});

test('remembered filters: newest first, no duplicates, bounded', () => {
  assert.deepEqual(rememberFilter(['b', 'a'], 'a'), ['a', 'b']);
  assert.deepEqual(rememberFilter(['a'], '  '), ['a']);
  assert.equal(rememberFilter(Array.from({ length: 20 }, (_, i) => String(i)), 'x', 10).length, 10);
});
