/**
 * The normalized ferry.yaml, as every layer sees it after parsing. Keys follow the YAML
 * (snake_case), but units are fixed here once: durations are seconds, money is USD,
 * memory is GB, GPU queries are parsed. `src/core/spec/schema.ts` must produce exactly this.
 */

/** `A100:80GB:1..2`, `24GB..`, `RTX4090,L40S:1`. Names are canonical (see canonicalGpuName). */
export interface GpuQuery {
  /** Canonical GPU names accepted (any of); empty = any GPU. */
  names: string[];
  /** GPU memory per GPU in GB; bounds inclusive, absent = unbounded. */
  memoryGb: { min?: number; max?: number };
  /** Number of GPUs; inclusive. Default 1..1 when a count is not written. */
  count: { min: number; max: number };
  /** The text as written, for messages. */
  raw: string;
}

export type SpotPolicy = 'on-demand' | 'spot' | 'auto';
export type RetryEvent = 'preemption' | 'no_capacity' | 'error';
export type TargetRef = 'local' | 'cheapest' | 'vast' | 'runpod' | 'lambda' | `ssh:${string}` | `slurm:${string}`;

/** The `slurm:` block: how a job is submitted to a Slurm cluster (target `slurm:<alias>`). */
export interface SlurmSpec {
  partition?: string;
  account?: string;
  qos?: string;
  constraint?: string;
  /** Time limit in seconds (sbatch --time, rounded up to minutes). */
  time?: number;
  /** Extra sbatch options, passed as written (each one argument), e.g. `--exclusive`. */
  options: string[];
}

export interface DataMount {
  /** Local path (relative to the spec's folder) or s3://bucket/prefix. */
  from: string;
  /** Path on the target, relative to the run dir. */
  to: string;
}

export interface FerrySpec {
  name: string;
  /** Absolute path once loaded (relative paths resolve against the spec's folder). */
  workdir: string;
  exclude: string[];
  data: DataMount[];
  env: Record<string, string>;
  secrets: string[];
  resources: {
    gpu?: GpuQuery;
    max_price_per_hour?: number;
    spot: SpotPolicy;
    providers?: string[];
    /** Nodes for a Slurm job (default 1); resources.gpu is then per node. */
    nodes?: number;
  };
  setup?: string;
  run: string;
  checkpoints: { path: string; keep?: number; mirror?: string };
  outputs: string[];
  budget: { max_cost?: number; /** seconds */ max_duration?: number };
  autostop?: { idle_minutes: number; min_gpu_util: number };
  retry: { on: RetryEvent[]; max_attempts: number };
  slurm?: SlurmSpec;
  target: TargetRef;
}

/** One precise problem in a ferry.yaml. */
export interface SpecDiagnostic {
  file: string;
  line: number; // 1-based
  col: number; // 1-based
  /** Dotted field path, e.g. `resources.gpu` or `data[0].from`. */
  path: string;
  message: string;
}

export interface LoadedSpec {
  spec: FerrySpec;
  /** Absolute path of the ferry.yaml, when there was one. */
  file?: string;
  /** Folder the spec lives in (relative paths resolve here). */
  dir: string;
}
