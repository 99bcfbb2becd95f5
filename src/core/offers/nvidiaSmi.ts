/**
 * Parses `nvidia-smi --query-gpu=name,memory.total --format=csv,noheader,nounits`:
 *
 *   NVIDIA GeForce RTX 4090, 24564
 *   NVIDIA A100-SXM4-80GB, 81920
 *
 * memory.total is MiB. Lines that are not GPU rows (driver failures print prose on stdout)
 * are skipped rather than failing the whole probe.
 */
import { z } from 'zod';
import { canonicalGpuName, snapGpuMemoryGb } from '../util/gpuNames';
import type { OfferGpu } from './types';

export interface NvidiaSmiGpu {
  /** Canonical name. */
  name: string;
  /** As nvidia-smi printed it. */
  rawName: string;
  memoryGb: number;
}

const Row = z.tuple([
  z.string().trim().min(1),
  z
    .string()
    .trim()
    .regex(/^\d+(\.\d+)?$/, 'memory.total must be a number of MiB')
    .transform(Number),
]);

export function parseNvidiaSmiGpus(csv: string): NvidiaSmiGpu[] {
  const gpus: NvidiaSmiGpu[] = [];
  for (const line of csv.split(/\r?\n/)) {
    if (line.trim() === '') continue;
    // The name never contains a comma; memory is the last field.
    const cut = line.lastIndexOf(',');
    if (cut < 0) continue;
    const r = Row.safeParse([line.slice(0, cut), line.slice(cut + 1)]);
    if (!r.success) continue;
    const [rawName, mib] = r.data;
    const name = canonicalGpuName(rawName);
    gpus.push({ name, rawName, memoryGb: snapGpuMemoryGb(name, mib / 1024) });
  }
  return gpus;
}

/**
 * One OfferGpu for a machine: the most common GPU and how many of it (a box with a 4090 and
 * a 3090 offers one of each, and a job asking for two of either will not fit).
 */
export function summarizeGpus(gpus: readonly NvidiaSmiGpu[]): OfferGpu {
  if (gpus.length === 0) return { name: 'none', count: 0, memoryGb: 0, vendor: 'unknown' };
  const counts = new Map<string, number>();
  for (const g of gpus) counts.set(g.name, (counts.get(g.name) ?? 0) + 1);
  let best = gpus[0] as NvidiaSmiGpu;
  for (const g of gpus) if ((counts.get(g.name) ?? 0) > (counts.get(best.name) ?? 0)) best = g;
  const same = gpus.filter((g) => g.name === best.name);
  return {
    name: best.name,
    count: same.length,
    memoryGb: Math.min(...same.map((g) => g.memoryGb)),
    // nvidia-smi only ever sees NVIDIA GPUs.
    vendor: 'nvidia',
  };
}
