import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  formatGpuQuery,
  gpuQueryMatches,
  parseGpuQuery,
  suggestGpuName,
  UNBOUNDED_COUNT,
} from '../../../src/core/spec/gpuQuery';
import type { GpuQuery } from '../../../src/core/spec/types';

type Parsed = Omit<GpuQuery, 'raw'>;

describe('parseGpuQuery', () => {
  const good: [string, Parsed, string][] = [
    ['A100', { names: ['A100'], memoryGb: {}, count: { min: 1, max: 1 } }, 'A100'],
    ['a100', { names: ['A100'], memoryGb: {}, count: { min: 1, max: 1 } }, 'A100'],
    ['A100:80GB', { names: ['A100'], memoryGb: { min: 80, max: 80 }, count: { min: 1, max: 1 } }, 'A100:80GB'],
    ['H100:1..8', { names: ['H100'], memoryGb: {}, count: { min: 1, max: 8 } }, 'H100:1..8'],
    ['A100:80GB:1..2', { names: ['A100'], memoryGb: { min: 80, max: 80 }, count: { min: 1, max: 2 } }, 'A100:80GB:1..2'],
    ['24GB..', { names: [], memoryGb: { min: 24 }, count: { min: 1, max: 1 } }, '24GB..'],
    ['..48GB', { names: [], memoryGb: { max: 48 }, count: { min: 1, max: 1 } }, '..48GB'],
    ['RTX4090,L40S:1', { names: ['RTX 4090', 'L40S'], memoryGb: {}, count: { min: 1, max: 1 } }, 'RTX 4090,L40S'],
    ['H100:8', { names: ['H100'], memoryGb: {}, count: { min: 8, max: 8 } }, 'H100:8'],
    ['A100:40GB..80GB:2', { names: ['A100'], memoryGb: { min: 40, max: 80 }, count: { min: 2, max: 2 } }, 'A100:40GB..80GB:2'],
    ['A100:40..80gb', { names: ['A100'], memoryGb: { min: 40, max: 80 }, count: { min: 1, max: 1 } }, 'A100:40GB..80GB'],
    ['H100:2..', { names: ['H100'], memoryGb: {}, count: { min: 2, max: UNBOUNDED_COUNT } }, 'H100:2..'],
    ['H100:..4', { names: ['H100'], memoryGb: {}, count: { min: 1, max: 4 } }, 'H100:1..4'],
    ['24GB:2', { names: [], memoryGb: { min: 24, max: 24 }, count: { min: 2, max: 2 } }, '24GB:2'],
    ['4', { names: [], memoryGb: {}, count: { min: 4, max: 4 } }, '4'],
    ['NVIDIA GeForce RTX 4090', { names: ['RTX 4090'], memoryGb: {}, count: { min: 1, max: 1 } }, 'RTX 4090'],
    ['rtx_4090, rtx4090', { names: ['RTX 4090'], memoryGb: {}, count: { min: 1, max: 1 } }, 'RTX 4090'],
    ['TPUv9:2', { names: ['TPUv9'], memoryGb: {}, count: { min: 2, max: 2 } }, 'TPUv9:2'],
  ];
  for (const [text, parsed, formatted] of good) {
    it(`parses ${text}`, () => {
      const q = parseGpuQuery(text);
      assert.deepEqual(q, { ...parsed, raw: text });
      assert.equal(formatGpuQuery(q), formatted);
      // The canonical text parses back to the same query.
      assert.deepEqual({ ...parseGpuQuery(formatted), raw: '' }, { ...q, raw: '' });
    });
  }

  const grammar = 'expected name[:memory][:count], e.g. A100:80GB:1';
  const bad: [string, string][] = [
    ['A100:80G', `"A100:80G" is not a GPU query (${grammar})`],
    ['', `"" is not a GPU query (it is empty; ${grammar})`],
    ['A100:80GB:1:2', `"A100:80GB:1:2" is not a GPU query (at most three parts; ${grammar})`],
    ['A100::1', `"A100::1" is not a GPU query (empty part between colons; ${grammar})`],
    ['80GB:A100', `"80GB:A100" is not a GPU query (the name "A100" must come first; ${grammar})`],
    ['A100:2:80GB', `"A100:2:80GB" is not a GPU query (the memory 80GB must come before the count; ${grammar})`],
    ['H100:0', `"H100:0" is not a GPU query (the GPU count must be at least 1; ${grammar})`],
    ['H100:8..2', `"H100:8..2" is not a GPU query (count 8..2 is an empty range; ${grammar})`],
    ['80GB..40GB', `"80GB..40GB" is not a GPU query (memory 80GB..40GB is an empty range; ${grammar})`],
    ['A100,,H100', `"A100,,H100" is not a GPU query (empty GPU name between commas; ${grammar})`],
    ['A100:..', `"A100:.." is not a GPU query (${grammar})`],
    ['A100:lots', `"A100:lots" is not a GPU query (the name "lots" must come first; ${grammar})`],
    ['#1', `"#1" is not a GPU query (${grammar})`],
  ];
  for (const [text, message] of bad) {
    it(`rejects ${JSON.stringify(text)}`, () => assert.throws(() => parseGpuQuery(text), { message }));
  }
});

describe('formatGpuQuery', () => {
  it('writes the any-GPU query as a count', () => {
    assert.equal(formatGpuQuery({ names: [], memoryGb: {}, count: { min: 1, max: 1 }, raw: '' }), '1');
  });
});

describe('gpuQueryMatches', () => {
  const q = (text: string) => parseGpuQuery(text);
  const cases: [string, { name: string; memoryGb?: number; count: number }, boolean][] = [
    ['A100', { name: 'NVIDIA A100-SXM4-80GB', memoryGb: 80, count: 1 }, true],
    ['A100', { name: 'A100', memoryGb: 80, count: 2 }, false],
    ['A100:1..2', { name: 'A100', memoryGb: 80, count: 2 }, true],
    ['A100:80GB', { name: 'A100 PCIe', memoryGb: 79.6, count: 1 }, true],
    ['A100:80GB', { name: 'A100', memoryGb: 40, count: 1 }, false],
    ['A100:80GB', { name: 'A100', count: 1 }, true],
    ['H100', { name: 'A100', memoryGb: 80, count: 1 }, false],
    ['RTX4090,L40S', { name: 'NVIDIA GeForce RTX 4090', memoryGb: 24, count: 1 }, true],
    ['RTX4090,L40S', { name: 'L40S', memoryGb: 48, count: 1 }, true],
    ['RTX4090,L40S', { name: 'RTX 3090', memoryGb: 24, count: 1 }, false],
    ['24GB..', { name: 'RTX 3090', memoryGb: 24, count: 1 }, true],
    ['24GB..', { name: 'RTX 4080', memoryGb: 16, count: 1 }, false],
    ['..48GB', { name: 'A6000', memoryGb: 48, count: 1 }, true],
    ['..48GB', { name: 'H100', memoryGb: 80, count: 1 }, false],
    ['H100:2..', { name: 'H100', memoryGb: 80, count: 8 }, true],
    ['24GB..', { name: 'Mystery GPU', count: 1 }, false],
    ['TPUv9', { name: 'TPUv9', count: 1 }, true],
  ];
  for (const [query, gpu, expected] of cases) {
    it(`${query} ${expected ? 'matches' : 'does not match'} ${gpu.count}x ${gpu.name} ${gpu.memoryGb ?? '?'}GB`, () => {
      assert.equal(gpuQueryMatches(q(query), gpu), expected);
    });
  }
});

describe('suggestGpuName', () => {
  it('offers a near known name for an unknown one', () => {
    assert.equal(suggestGpuName('A1000'), 'A100');
    assert.equal(suggestGpuName('RTX 4009'), 'RTX 4090');
  });
  it('stays quiet for known names and far misses', () => {
    assert.equal(suggestGpuName('A100'), undefined);
    assert.equal(suggestGpuName('Quantum Banana'), undefined);
  });
});
