import type { FerrySpec } from '../spec/types';

export const JOB_STATES = [
  'PENDING',
  'PROVISIONING',
  'SYNCING',
  'SETUP',
  'RUNNING',
  'RECOVERING',
  'SUCCEEDED',
  'FAILED',
  'CANCELLED',
  'STOPPED_BY_BUDGET',
] as const;
export type JobState = (typeof JOB_STATES)[number];

export const TERMINAL_STATES: ReadonlySet<JobState> = new Set(['SUCCEEDED', 'FAILED', 'CANCELLED', 'STOPPED_BY_BUDGET']);

/** Where a copy of a checkpoint lives. */
export interface CheckpointLocation {
  kind: 'remote' | 'local' | 's3';
  /** Absolute path (local), `host:path` (remote) or s3:// URI. */
  uri: string;
}

export interface CheckpointRecord {
  /** File or folder name inside FERRY_CHECKPOINT_DIR. */
  name: string;
  sizeBytes: number;
  /** ISO time the checkpoint became complete. */
  createdAt: string;
  /** Training step parsed from the name (`ckpt-000300.json` -> 300), when present. */
  step?: number;
  /** Attempt number that wrote it. */
  attempt: number;
  locations: CheckpointLocation[];
}

export interface AttemptRecord {
  /** 1-based. */
  n: number;
  target: string;
  /** Offer chosen for this attempt (cloud); free-form normalized offer fields. */
  offer?: { provider: string; id: string; gpu?: string; region?: string };
  pricePerHour: number;
  /** Cloud instance id; recorded BEFORE the instance is paid for (money is safety-critical). */
  instanceId?: string;
  /** Whatever the target needs to reattach (pid, run dir, host). No secrets. */
  handle?: Record<string, string | number | boolean | null>;
  /** The usage interval that cost is computed from. */
  startedAt: string;
  endedAt?: string;
  exitCode?: number | null;
  /** Why the attempt ended: exit, cancelled, preempted, budget, error message. */
  exitReason?: string;
  /** Checkpoint name this attempt resumed from. */
  resumeFrom?: string;
  /** GPU utilization seen while it ran (mean of the samples), when nvidia-smi was there. */
  gpuUtil?: { avg: number; samples: number; last: number };
}

export interface JobRecord {
  /** Sortable, unique: `<yyyymmdd-hhmmss>-<6 hex>`. */
  id: string;
  name: string;
  state: JobState;
  /** Target ref as resolved (`local`, `ssh:gpu-box`, `vast`). */
  target: string;
  spec: FerrySpec;
  specFile?: string;
  workdir: string;
  git?: { commit: string | null; dirty: boolean };
  attempts: AttemptRecord[];
  checkpoints: CheckpointRecord[];
  /** Output paths copied home (absolute). */
  outputs: string[];
  exitCode: number | null;
  /** USD, summed over every attempt. */
  cost: number;
  createdAt: string;
  startedAt?: string;
  endedAt?: string;
  updatedAt: string;
  /** Human-readable reason for a FAILED/CANCELLED state. */
  error?: string;
  /** The process following the job (a CLI or a VS Code window); dead means reattach is needed. */
  controller?: { pid: number; hostname: string };
}

export interface JobEvent {
  ts: string;
  type: 'state' | 'attempt' | 'checkpoint' | 'note';
  from?: JobState;
  to?: JobState;
  message?: string;
}
