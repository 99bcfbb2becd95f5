import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatMoney, parseMoney } from '../../../src/core/spec/money';

describe('parseMoney', () => {
  const good: [string | number, number][] = [
    [20, 20],
    [2.5, 2.5],
    [0, 0],
    ['20', 20],
    ['2.50', 2.5],
    ['$20', 20],
    ['$ 2.50', 2.5],
    ['20 USD', 20],
    ['20usd', 20],
    ['.5', 0.5],
    [' $20 ', 20],
  ];
  for (const [input, usd] of good) {
    it(`${JSON.stringify(input)} is $${usd}`, () => assert.equal(parseMoney(input), usd));
  }

  const expected = '(expected an amount in USD of 0 or more, e.g. 20, 2.50 or $20)';
  const bad: [string | number, string][] = [
    [-5, `-5 is negative ${expected}`],
    ['-5', `"-5" is negative ${expected}`],
    ['$-5', `"$-5" is negative ${expected}`],
    [Number.NaN, `NaN is not an amount of money ${expected}`],
    [Number.POSITIVE_INFINITY, `Infinity is not an amount of money ${expected}`],
    ['abc', `"abc" is not an amount of money ${expected}`],
    ['', `"" is not an amount of money ${expected}`],
    ['20 EUR', `"20 EUR" is not an amount of money ${expected}`],
    ['1,000', `"1,000" is not an amount of money ${expected}`],
  ];
  for (const [input, message] of bad) {
    it(`rejects ${JSON.stringify(input) ?? String(input)}`, () => assert.throws(() => parseMoney(input), { message }));
  }
});

describe('formatMoney', () => {
  it('shows cents, and sub-cent prices in full', () => {
    assert.equal(formatMoney(2.5), '$2.50');
    assert.equal(formatMoney(20), '$20.00');
    assert.equal(formatMoney(0.123), '$0.123');
  });
});
