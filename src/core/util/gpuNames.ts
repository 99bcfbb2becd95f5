/**
 * Canonical GPU names across providers: "NVIDIA GeForce RTX 4090", "RTX_4090", "RTX 4090"
 * and "rtx4090" are one GPU, "RTX 4090". Used by the spec's GPU query grammar and by every
 * offers adapter, so a query and an offer always compare the same strings.
 */

interface GpuInfo {
  canonical: string;
  vendor: 'nvidia' | 'amd' | 'intel';
  /** Memory variants in GB, the first being the default. */
  memoryGb: number[];
}

const KNOWN: GpuInfo[] = [
  { canonical: 'H200', vendor: 'nvidia', memoryGb: [141] },
  { canonical: 'H100', vendor: 'nvidia', memoryGb: [80, 94] },
  { canonical: 'GH200', vendor: 'nvidia', memoryGb: [96] },
  { canonical: 'B200', vendor: 'nvidia', memoryGb: [180] },
  { canonical: 'A100', vendor: 'nvidia', memoryGb: [80, 40] },
  { canonical: 'A10G', vendor: 'nvidia', memoryGb: [24] },
  { canonical: 'A10', vendor: 'nvidia', memoryGb: [24] },
  { canonical: 'A40', vendor: 'nvidia', memoryGb: [48] },
  { canonical: 'A6000', vendor: 'nvidia', memoryGb: [48] },
  { canonical: 'A5000', vendor: 'nvidia', memoryGb: [24] },
  { canonical: 'A4000', vendor: 'nvidia', memoryGb: [16] },
  { canonical: 'L40S', vendor: 'nvidia', memoryGb: [48] },
  { canonical: 'L40', vendor: 'nvidia', memoryGb: [48] },
  { canonical: 'L4', vendor: 'nvidia', memoryGb: [24] },
  { canonical: 'V100', vendor: 'nvidia', memoryGb: [16, 32] },
  { canonical: 'T4', vendor: 'nvidia', memoryGb: [16] },
  { canonical: 'RTX 6000 Ada', vendor: 'nvidia', memoryGb: [48] },
  { canonical: 'RTX 5090', vendor: 'nvidia', memoryGb: [32] },
  { canonical: 'RTX 4090', vendor: 'nvidia', memoryGb: [24] },
  { canonical: 'RTX 4080', vendor: 'nvidia', memoryGb: [16] },
  { canonical: 'RTX 4070 Ti', vendor: 'nvidia', memoryGb: [12] },
  { canonical: 'RTX 3090', vendor: 'nvidia', memoryGb: [24] },
  { canonical: 'RTX 3080', vendor: 'nvidia', memoryGb: [10] },
  { canonical: 'MI300X', vendor: 'amd', memoryGb: [192] },
];

/** Lowercase, no vendor words, no separators: "NVIDIA GeForce RTX 4090" -> "rtx4090". */
export function gpuKey(name: string): string {
  return name
    .toLowerCase()
    .replace(/\b(nvidia|geforce|amd|instinct|radeon|tesla|quadro)\b/g, '')
    .replace(/\b(pcie|sxm[0-9]?|nvl|hbm3?e?)\b/g, '')
    .replace(/\b\d+\s*gb\b/g, '')
    .replace(/[^a-z0-9]/g, '');
}

const BY_KEY = new Map<string, GpuInfo>(KNOWN.map((g) => [gpuKey(g.canonical), g]));
// Aliases the providers use.
BY_KEY.set('rtxa6000', KNOWN.find((g) => g.canonical === 'A6000')!);
BY_KEY.set('rtxa5000', KNOWN.find((g) => g.canonical === 'A5000')!);
BY_KEY.set('rtxa4000', KNOWN.find((g) => g.canonical === 'A4000')!);
BY_KEY.set('rtx6000ada', KNOWN.find((g) => g.canonical === 'RTX 6000 Ada')!);
BY_KEY.set('rtx6000adageneration', KNOWN.find((g) => g.canonical === 'RTX 6000 Ada')!);

/** The canonical name of a known GPU, or undefined. */
export function lookupGpu(name: string): GpuInfo | undefined {
  return BY_KEY.get(gpuKey(name));
}

/** Canonical name for any GPU string; unknown names are kept, tidied (single spaces). */
export function canonicalGpuName(name: string): string {
  return lookupGpu(name)?.canonical ?? name.trim().replace(/[_\s]+/g, ' ');
}

/** All canonical names, for "did you mean" suggestions. */
export function knownGpuNames(): string[] {
  return KNOWN.map((g) => g.canonical);
}
