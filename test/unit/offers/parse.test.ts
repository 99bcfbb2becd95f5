import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { decodeNameAndLabels, describeZodError, encodeNameAndLabels, parseItems, samePublicKey, validPrice, drop } from '../../../src/core/offers/parse';

describe('parse helpers', () => {
  it('names the field that failed', () => {
    const r = z.object({ offers: z.array(z.object({ dph_total: z.number() })) }).safeParse({ offers: [{ dph_total: 1 }, { dph_total: 'x' }] });
    assert.ok(!r.success);
    assert.match(describeZodError(r.error), /^offers\[1\]\.dph_total: /);
  });

  it('counts items dropped by the schema and by normalize', () => {
    const r = parseItems([1, 'two', 3, -4], z.number(), (n) => (n < 0 ? drop('negative') : n * 10), (i) => `items[${i}]`);
    assert.deepEqual(r.values, [10, 30]);
    assert.equal(r.dropped, 2);
    assert.match(r.firstProblem ?? '', /^items\[1\]: /);
  });

  it('accepts only finite non-negative prices', () => {
    for (const bad of [Number.NaN, Infinity, -0.1, null, undefined]) assert.equal(validPrice(bad), false, String(bad));
    assert.equal(validPrice(0), true);
  });

  it('round-trips a name and labels through one text field', () => {
    const labels = { 'ferry-job': 'j 1&2=3', ferry: '1' };
    const text = encodeNameAndLabels('my?job', labels);
    assert.deepEqual(decodeNameAndLabels(text), { name: 'my-job', labels });
    assert.deepEqual(decodeNameAndLabels('plain'), { name: 'plain', labels: {} });
    assert.deepEqual(decodeNameAndLabels(null), { name: '', labels: {} });
  });

  it('compares public keys without their comments', () => {
    assert.ok(samePublicKey('ssh-ed25519 AAAAC3 me@laptop', ' ssh-ed25519 AAAAC3 ferry\n'));
    assert.ok(!samePublicKey('ssh-ed25519 AAAAC3', 'ssh-ed25519 AAAAC4'));
  });
});
