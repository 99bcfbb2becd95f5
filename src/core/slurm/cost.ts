/**
 * What a Slurm job costs: nodes x GPUs per node x hours x the cluster's price per GPU-hour
 * (configured per cluster; 0 by default, for clusters nobody pays by the hour for).
 */
import type { FerrySpec } from '../spec/types';

/** GPUs asked per node (the low end of the spec's count range), 0 without resources.gpu. */
export function gpusPerNode(spec: Pick<FerrySpec, 'resources'>): number {
  return spec.resources.gpu ? spec.resources.gpu.count.min : 0;
}

export function nodesOf(spec: Pick<FerrySpec, 'resources'>): number {
  return spec.resources.nodes ?? 1;
}

/** USD per hour for the whole allocation. */
export function slurmPricePerHour(spec: Pick<FerrySpec, 'resources'>, pricePerGpuHour: number): number {
  return nodesOf(spec) * gpusPerNode(spec) * Math.max(0, pricePerGpuHour);
}

/** USD for a run of `seconds`. */
export function slurmJobCost(spec: Pick<FerrySpec, 'resources'>, pricePerGpuHour: number, seconds: number): number {
  return (slurmPricePerHour(spec, pricePerGpuHour) * Math.max(0, seconds)) / 3600;
}
