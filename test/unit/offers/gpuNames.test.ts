import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { canonicalGpuName, gpuVendor, lookupGpu, snapGpuMemoryGb } from '../../../src/core/util/gpuNames';

describe('canonical GPU names across providers', () => {
  const cases: Array<[string, string]> = [
    // The DESIGN.md examples.
    ['NVIDIA GeForce RTX 4090', 'RTX 4090'],
    ['RTX_4090', 'RTX 4090'],
    ['RTX 4090', 'RTX 4090'],
    ['rtx4090', 'RTX 4090'],
    // RunPod gpuTypeIds.
    ['NVIDIA A100 80GB PCIe', 'A100'],
    ['NVIDIA A100-SXM4-80GB', 'A100'],
    ['NVIDIA H100 80GB HBM3', 'H100'],
    ['NVIDIA H100 PCIe', 'H100'],
    ['NVIDIA H100 NVL', 'H100'],
    ['NVIDIA H200', 'H200'],
    ['NVIDIA L40S', 'L40S'],
    ['NVIDIA RTX A6000', 'A6000'],
    ['NVIDIA RTX 6000 Ada Generation', 'RTX 6000 Ada'],
    ['AMD Instinct MI300X OAM', 'MI300X'],
    // Vast gpu_name values.
    ['H100 SXM', 'H100'],
    ['A100 PCIE', 'A100'],
    ['A100 SXM4', 'A100'],
    ['Tesla V100', 'V100'],
    ['RTX A6000', 'A6000'],
    ['Q RTX 8000', 'RTX 8000'],
    ['RTX 6000Ada', 'RTX 6000 Ada'],
    // Lambda descriptions and type names.
    ['H100 (80 GB SXM5)', 'H100'],
    ['A100 (40 GB SXM4)', 'A100'],
    ['h100 sxm5', 'H100'],
    ['Quadro RTX 6000', 'RTX 6000'],
    ['GH200', 'GH200'],
  ];
  for (const [raw, canonical] of cases) {
    it(`${JSON.stringify(raw)} -> ${canonical}`, () => assert.equal(canonicalGpuName(raw), canonical));
  }

  it('keeps unknown names, tidied', () => {
    assert.equal(canonicalGpuName('  RTX_4090D '), 'RTX 4090D');
    assert.equal(lookupGpu('Mystery 9000'), undefined);
  });

  it('tells vendors apart, from the table or the hint', () => {
    assert.equal(gpuVendor('MI300X'), 'amd');
    assert.equal(gpuVendor('RTX 4090'), 'nvidia');
    assert.equal(gpuVendor('Thing 1', 'AMD'), 'amd');
    assert.equal(gpuVendor('Thing 1'), 'unknown');
  });

  it('snaps measured memory to the catalogue variant', () => {
    assert.equal(snapGpuMemoryGb('RTX 4090', 24564 / 1024), 24);
    assert.equal(snapGpuMemoryGb('A100', 81920 / 1024), 80);
    assert.equal(snapGpuMemoryGb('A100', 40960 / 1024), 40);
    assert.equal(snapGpuMemoryGb('H100', 81559 / 1024), 80);
    assert.equal(snapGpuMemoryGb('T4', 15360 / 1024), 16);
    assert.equal(snapGpuMemoryGb('A10', 23028 / 1024), 24);
    assert.equal(snapGpuMemoryGb('Mystery', 11.04), 11);
  });
});
