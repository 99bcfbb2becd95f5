import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseNvidiaSmiGpus, summarizeGpus } from '../../../src/core/offers/nvidiaSmi';

describe('parseNvidiaSmiGpus', () => {
  it('reads name and MiB, canonicalizing and snapping memory', () => {
    const csv = 'NVIDIA GeForce RTX 4090, 24564\nNVIDIA A100-SXM4-80GB, 81920\r\n\n';
    assert.deepEqual(parseNvidiaSmiGpus(csv), [
      { name: 'RTX 4090', rawName: 'NVIDIA GeForce RTX 4090', memoryGb: 24 },
      { name: 'A100', rawName: 'NVIDIA A100-SXM4-80GB', memoryGb: 80 },
    ]);
  });

  it('skips what is not a GPU row', () => {
    const csv = [
      'NVIDIA-SMI has failed because it could not communicate with the NVIDIA driver.',
      'Tesla T4, [N/A]',
      ', 1024',
      'Tesla T4, 15360',
    ].join('\n');
    assert.deepEqual(parseNvidiaSmiGpus(csv), [{ name: 'T4', rawName: 'Tesla T4', memoryGb: 16 }]);
    assert.deepEqual(parseNvidiaSmiGpus(''), []);
  });

  it('summarizes a machine as its most common GPU', () => {
    const gpus = parseNvidiaSmiGpus('NVIDIA GeForce RTX 3090, 24576\nNVIDIA GeForce RTX 4090, 24564\nNVIDIA GeForce RTX 4090, 24564\n');
    assert.deepEqual(summarizeGpus(gpus), { name: 'RTX 4090', count: 2, memoryGb: 24, vendor: 'nvidia' });
    assert.deepEqual(summarizeGpus([]), { name: 'none', count: 0, memoryGb: 0, vendor: 'unknown' });
  });
});
