import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatDuration, parseDuration } from '../../../src/core/spec/duration';

describe('parseDuration', () => {
  const good: [string | number, number][] = [
    ['6h', 21_600],
    ['90m', 5_400],
    ['45s', 45],
    ['2d', 172_800],
    ['1h30m', 5_400],
    ['1h 30m', 5_400],
    ['1.5h', 5_400],
    ['0.1h', 360],
    ['1d2h3m4s', 93_784],
    ['6H', 21_600],
    ['3600', 3_600],
    [' 90m ', 5_400],
    [3600, 3_600],
    [0, 0],
    [1.5, 1.5],
  ];
  for (const [input, seconds] of good) {
    it(`${JSON.stringify(input)} is ${seconds}s`, () => assert.equal(parseDuration(input), seconds));
  }

  const bad: [string | number, string][] = [
    ['6 hours', '"6 hours" is not a duration (expected a duration like 90m, 6h or 1h30m)'],
    ['', '"" is not a duration (expected a duration like 90m, 6h or 1h30m)'],
    ['abc', '"abc" is not a duration (expected a duration like 90m, 6h or 1h30m)'],
    ['30m1h', '"30m1h" is not a duration (expected a duration like 90m, 6h or 1h30m)'],
    ['1h1h', '"1h1h" is not a duration (expected a duration like 90m, 6h or 1h30m)'],
    ['5ms', '"5ms" is not a duration (expected a duration like 90m, 6h or 1h30m)'],
    ['-5m', '"-5m" is negative (expected a duration like 90m, 6h or 1h30m)'],
    [-1, '-1 is negative (expected a duration like 90m, 6h or 1h30m)'],
    [Number.NaN, 'NaN is not a duration (expected a duration like 90m, 6h or 1h30m)'],
    [Number.POSITIVE_INFINITY, 'Infinity is not a duration (expected a duration like 90m, 6h or 1h30m)'],
  ];
  for (const [input, message] of bad) {
    it(`rejects ${JSON.stringify(input) ?? String(input)}`, () => assert.throws(() => parseDuration(input), { message }));
  }
});

describe('formatDuration', () => {
  const table: [number, string][] = [
    [5_400, '1h30m'],
    [0, '0s'],
    [45, '45s'],
    [90, '1m30s'],
    [21_600, '6h'],
    [86_400, '1d'],
    [93_784, '1d2h3m4s'],
    [59.6, '1m'],
    [-90, '-1m30s'],
  ];
  for (const [seconds, text] of table) {
    it(`${seconds}s is ${text}`, () => assert.equal(formatDuration(seconds), text));
  }
  it('round-trips through parseDuration', () => {
    for (const s of [1, 59, 61, 3_599, 3_601, 86_399, 90_061]) assert.equal(parseDuration(formatDuration(s)), s);
  });
});
