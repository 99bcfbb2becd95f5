/**
 * Canonical GPU names across providers: "NVIDIA GeForce RTX 4090", "RTX_4090", "RTX 4090"
 * and "rtx4090" are one GPU, "RTX 4090". Used by the spec's GPU query grammar and by every
 * offers adapter, so a query and an offer always compare the same strings.
 */

export type GpuVendor = 'nvidia' | 'amd' | 'intel';

export interface GpuInfo {
  canonical: string;
  vendor: GpuVendor;
  /** Memory variants in GB, the first being the default. */
  memoryGb: number[];
}

const KNOWN: GpuInfo[] = [
  { canonical: 'B200', vendor: 'nvidia', memoryGb: [180, 192] },
  { canonical: 'H200', vendor: 'nvidia', memoryGb: [141] },
  { canonical: 'H100', vendor: 'nvidia', memoryGb: [80, 94] },
  { canonical: 'GH200', vendor: 'nvidia', memoryGb: [96] },
  { canonical: 'A100', vendor: 'nvidia', memoryGb: [80, 40] },
  { canonical: 'A10G', vendor: 'nvidia', memoryGb: [24] },
  { canonical: 'A10', vendor: 'nvidia', memoryGb: [24] },
  { canonical: 'A16', vendor: 'nvidia', memoryGb: [16] },
  { canonical: 'A30', vendor: 'nvidia', memoryGb: [24] },
  { canonical: 'A40', vendor: 'nvidia', memoryGb: [48] },
  { canonical: 'A6000', vendor: 'nvidia', memoryGb: [48] },
  { canonical: 'A5000', vendor: 'nvidia', memoryGb: [24] },
  { canonical: 'A4500', vendor: 'nvidia', memoryGb: [20] },
  { canonical: 'A4000', vendor: 'nvidia', memoryGb: [16] },
  { canonical: 'A2000', vendor: 'nvidia', memoryGb: [12, 6] },
  { canonical: 'L40S', vendor: 'nvidia', memoryGb: [48] },
  { canonical: 'L40', vendor: 'nvidia', memoryGb: [48] },
  { canonical: 'L4', vendor: 'nvidia', memoryGb: [24] },
  { canonical: 'V100', vendor: 'nvidia', memoryGb: [16, 32] },
  { canonical: 'P100', vendor: 'nvidia', memoryGb: [16] },
  { canonical: 'T4', vendor: 'nvidia', memoryGb: [16] },
  { canonical: 'RTX PRO 6000', vendor: 'nvidia', memoryGb: [96] },
  { canonical: 'RTX 6000 Ada', vendor: 'nvidia', memoryGb: [48] },
  { canonical: 'RTX 5000 Ada', vendor: 'nvidia', memoryGb: [32] },
  { canonical: 'RTX 4000 Ada', vendor: 'nvidia', memoryGb: [20] },
  { canonical: 'RTX 2000 Ada', vendor: 'nvidia', memoryGb: [16] },
  // Turing-era Quadro cards; "Quadro" is stripped by gpuKey, so they key as rtx8000/rtx6000.
  { canonical: 'RTX 8000', vendor: 'nvidia', memoryGb: [48] },
  { canonical: 'RTX 6000', vendor: 'nvidia', memoryGb: [24] },
  { canonical: 'RTX 5090', vendor: 'nvidia', memoryGb: [32] },
  { canonical: 'RTX 5080', vendor: 'nvidia', memoryGb: [16] },
  { canonical: 'RTX 4090', vendor: 'nvidia', memoryGb: [24] },
  { canonical: 'RTX 4080', vendor: 'nvidia', memoryGb: [16] },
  { canonical: 'RTX 4070 Ti', vendor: 'nvidia', memoryGb: [12] },
  { canonical: 'RTX 4070', vendor: 'nvidia', memoryGb: [12] },
  { canonical: 'RTX 4060 Ti', vendor: 'nvidia', memoryGb: [16, 8] },
  { canonical: 'RTX 3090 Ti', vendor: 'nvidia', memoryGb: [24] },
  { canonical: 'RTX 3090', vendor: 'nvidia', memoryGb: [24] },
  { canonical: 'RTX 3080 Ti', vendor: 'nvidia', memoryGb: [12] },
  { canonical: 'RTX 3080', vendor: 'nvidia', memoryGb: [10, 12] },
  { canonical: 'RTX 3070', vendor: 'nvidia', memoryGb: [8] },
  { canonical: 'RTX 3060', vendor: 'nvidia', memoryGb: [12] },
  { canonical: 'RTX 2080 Ti', vendor: 'nvidia', memoryGb: [11] },
  { canonical: 'Titan RTX', vendor: 'nvidia', memoryGb: [24] },
  { canonical: 'GTX 1080 Ti', vendor: 'nvidia', memoryGb: [11] },
  { canonical: 'MI300X', vendor: 'amd', memoryGb: [192] },
  { canonical: 'MI325X', vendor: 'amd', memoryGb: [256] },
  { canonical: 'MI250', vendor: 'amd', memoryGb: [128] },
];

/** Lowercase, no vendor words, no separators: "NVIDIA GeForce RTX 4090" -> "rtx4090". */
export function gpuKey(name: string): string {
  return (
    name
      .toLowerCase()
      .replace(/\b(nvidia|geforce|amd|instinct|radeon|tesla|quadro)\b/g, '')
      // Form factors and memory kinds name a variant of one GPU, not another GPU:
      // "A100-SXM4-80GB", "H100 80GB HBM3", "MI300X OAM", Lambda's "(80 GB SXM5)".
      .replace(/\b(pcie|sxm[0-9]?|nvl|hbm[0-9]?e?|oam)\b/g, '')
      .replace(/\b\d+\s*gb\b/g, '')
      .replace(/[^a-z0-9]/g, '')
  );
}

function known(canonical: string): GpuInfo {
  const g = KNOWN.find((k) => k.canonical === canonical);
  if (!g) throw new Error(`gpuNames: ${canonical} is not in the table`);
  return g;
}

const BY_KEY = new Map<string, GpuInfo>(KNOWN.map((g) => [gpuKey(g.canonical), g]));
// Aliases the providers use (RunPod ids, Vast names, Lambda type names).
const ALIASES: Array<[string, string]> = [
  ['rtxa6000', 'A6000'],
  ['rtxa5000', 'A5000'],
  ['rtxa4500', 'A4500'],
  ['rtxa4000', 'A4000'],
  ['rtxa2000', 'A2000'],
  ['rtx6000ada', 'RTX 6000 Ada'],
  ['rtx6000adageneration', 'RTX 6000 Ada'],
  ['rtx5000adageneration', 'RTX 5000 Ada'],
  ['rtx4000adageneration', 'RTX 4000 Ada'],
  ['rtx2000adageneration', 'RTX 2000 Ada'],
  ['rtxpro6000blackwellserveredition', 'RTX PRO 6000'],
  ['rtxpro6000blackwellworkstationedition', 'RTX PRO 6000'],
  ['rtxpro6000ws', 'RTX PRO 6000'],
  ['rtxpro6000s', 'RTX PRO 6000'],
  // Vast.ai spells the Quadro RTX 8000 "Q RTX 8000".
  ['qrtx8000', 'RTX 8000'],
  ['qrtx6000', 'RTX 6000'],
  ['titanrtx', 'Titan RTX'],
  ['mi300xoam', 'MI300X'],
];
for (const [key, canonical] of ALIASES) BY_KEY.set(key, known(canonical));

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

/**
 * The vendor of a GPU: from the table when known, else from a provider's hint ("Nvidia",
 * "AMD", Vast's gpu_arch "nvidia"), else from the name itself.
 */
export function gpuVendor(name: string, hint?: string | null): GpuVendor | 'unknown' {
  const info = lookupGpu(name);
  if (info) return info.vendor;
  const text = `${hint ?? ''} ${name}`.toLowerCase();
  if (/\b(nvidia|geforce|rtx|gtx|tesla|quadro)\b/.test(text)) return 'nvidia';
  if (/\b(amd|radeon|instinct|mi\d+)/.test(text)) return 'amd';
  if (/\b(intel|gaudi|arc)\b/.test(text)) return 'intel';
  return 'unknown';
}

/**
 * Snaps a measured memory size to the nearest catalogue variant when within 8%: Vast reports
 * an RTX 4090 as 24564 MB (23.99 GiB), nvidia-smi a T4 as 15360 MiB and an A10 as 23028 MiB
 * (what the driver leaves usable), and a query for `16GB` or `24GB` should see 16 and 24.
 * Unknown GPUs and sizes far from any variant are rounded to 0.1 GB instead.
 */
export function snapGpuMemoryGb(canonical: string, gb: number): number {
  let best: number | undefined;
  for (const v of lookupGpu(canonical)?.memoryGb ?? []) {
    const off = Math.abs(gb - v) / v;
    if (off <= 0.08 && (best === undefined || off < Math.abs(gb - best) / best)) best = v;
  }
  return best ?? Math.round(gb * 10) / 10;
}
