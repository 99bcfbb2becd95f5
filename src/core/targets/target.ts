import type { AttemptRecord, CheckpointRecord, JobRecord } from '../jobs/types';
import type { Logger } from '../util/logger';

/**
 * A place a job runs. Local, SSH and cloud targets implement this; the runner
 * (src/core/jobs/runner.ts) drives the states around it:
 *   PROVISIONING -> provision(), SYNCING -> sync(), SETUP/RUNNING -> start() + RunningJob.
 * Every method takes an AbortSignal through the context and must leave nothing half done
 * under a real name when aborted.
 */
export interface TargetContext {
  job: JobRecord;
  attempt: AttemptRecord;
  logger: Logger;
  signal: AbortSignal;
  /** FERRY_HOME of the controller. */
  home: string;
  /** Checkpoint name to resume from (inside the checkpoint dir), sets FERRY_RESUME_FROM. */
  resumeFrom?: string;
  /** Extra environment (resolved secrets, FERRY_* are added by the target). */
  env: Record<string, string>;
  /**
   * Persists facts about the attempt at once. A cloud target records the offer and price before
   * the launch call and the instance id right after it, so no paid instance goes unrecorded.
   */
  record?: (patch: Partial<Pick<AttemptRecord, 'offer' | 'pricePerHour' | 'instanceId' | 'handle'>>) => Promise<void>;
  /** Offer ids not to choose again (the instance that was just lost). */
  avoid?: string[];
}

export interface ExitStatus {
  /** null when killed by a signal. */
  exitCode: number | null;
  signal?: string;
  /** Which step ended the job: the setup command failing, or the run command ending. */
  step: 'setup' | 'run';
  /** Why it ended, in the target's words, when it knows better than the exit code (a Slurm state). */
  reason?: string;
}

/** A detached job on a target. Survives the controller: `attach` can build one again. */
export interface RunningJob {
  /** What to persist in the attempt to reattach later. */
  readonly handle: Record<string, string | number | boolean | null>;
  /** Current step as the supervisor reports it. */
  step(): Promise<'setup' | 'run' | 'done'>;
  /**
   * Facts about the job that change while it runs (a Slurm job's queue reason and position),
   * from memory, no round trip. The runner merges them into the attempt's handle on each poll
   * when they changed, so every reader of the store (CLI, Jobs view) sees them.
   */
  status?(): Record<string, string | number | boolean | null>;
  /** Reads the combined log from a byte offset; returns the bytes and the next offset. */
  readLog(offset: number, signal?: AbortSignal): Promise<{ data: Buffer; next: number }>;
  /** Resolves when the job has ended (polls the supervisor's exit file). */
  wait(signal?: AbortSignal): Promise<ExitStatus>;
  /** SIGTERM to the whole process group, SIGKILL after graceMs. Resolves when gone. */
  stop(graceMs?: number): Promise<void>;
  /** Complete checkpoints in FERRY_CHECKPOINT_DIR now (files being written are left out). */
  listCheckpoints(): Promise<Omit<CheckpointRecord, 'attempt' | 'locations'>[]>;
  /** Copies a checkpoint to a local folder, returns the local path. */
  fetchCheckpoint(name: string, destDir: string, signal?: AbortSignal): Promise<string>;
  /**
   * Mean GPU utilization (percent) across the machine's GPUs now, from `nvidia-smi`; undefined
   * when there is no nvidia-smi (autostop then has nothing to go on and stays off).
   */
  sampleGpuUtil?(signal?: AbortSignal): Promise<number | undefined>;
  /** Copies the spec's outputs home into destDir, returns the local paths. */
  fetchOutputs(destDir: string, signal?: AbortSignal): Promise<string[]>;
}

export interface Target {
  /** `local`, `ssh:<alias>`, `vast`... */
  readonly ref: string;
  readonly kind: 'local' | 'ssh' | 'cloud' | 'slurm';
  /** USD per hour while an attempt runs. */
  pricePerHour(): number;
  /** Acquire the machine (cloud: launch and record the instance id first). Local: no-op. */
  provision(ctx: TargetContext): Promise<void>;
  /** Copy the workdir (ignore rules honoured) and data into the attempt's run dir. */
  sync(ctx: TargetContext): Promise<void>;
  /** Launch setup then run, detached, under the supervisor. */
  start(ctx: TargetContext): Promise<RunningJob>;
  /** Rebuild a RunningJob from a persisted attempt (after a controller restart). */
  attach(job: JobRecord, attempt: AttemptRecord): Promise<RunningJob>;
  /**
   * After repeated connection failures: does the provider confirm the machine is gone
   * (preempted, terminated)? Targets without a provider leave this out.
   */
  isLost?(attempt: AttemptRecord, signal?: AbortSignal): Promise<boolean>;
  /** Give the machine back (cloud: terminate). Safe to call twice and after errors. */
  release(ctx: TargetContext): Promise<void>;
}
