/**
 * Slurm job states (squeue/scontrol/sacct spell them the same, sacct may add a suffix such as
 * `CANCELLED by 0`) mapped to what Ferry does with them. The Slurm state and its reason are kept
 * for messages: a job is never just "failed" when Slurm said why.
 */
import type { JobState } from '../jobs/types';

/** What a Slurm state means for the job. */
export type SlurmPhase =
  /** Waiting for resources (or held): Ferry shows SETUP with the queue reason. */
  | 'queued'
  /** Nodes allocated, the batch script is starting or running. */
  | 'active'
  /** Ended; `state` says how. */
  | 'ended'
  /** The allocation was taken away (preempted, node failure, requeued): Ferry recovers. */
  | 'lost';

export interface SlurmStateInfo {
  /** The Slurm state, upper case, without suffixes (`CANCELLED`, `PENDING`). */
  slurm: string;
  phase: SlurmPhase;
  /** The Ferry job state this corresponds to. */
  state: JobState;
  /** Human words for messages. */
  reason: string;
}

interface Entry {
  phase: SlurmPhase;
  state: JobState;
  words: string;
}

/** Every state in Slurm's `job_state_string` (22.05+), long names. */
export const SLURM_STATES: Record<string, Entry> = {
  PENDING: { phase: 'queued', state: 'SETUP', words: 'waiting in the queue' },
  REQUEUED: { phase: 'lost', state: 'RECOVERING', words: 'requeued by Slurm' },
  REQUEUE_HOLD: { phase: 'lost', state: 'RECOVERING', words: 'requeued and held by Slurm' },
  REQUEUE_FED: { phase: 'lost', state: 'RECOVERING', words: 'requeued by the federation' },
  RESV_DEL_HOLD: { phase: 'queued', state: 'SETUP', words: 'held: its reservation was deleted' },
  SPECIAL_EXIT: { phase: 'queued', state: 'SETUP', words: 'held after a special exit' },
  CONFIGURING: { phase: 'active', state: 'SETUP', words: 'nodes are booting or being configured' },
  POWER_UP_NODE: { phase: 'active', state: 'SETUP', words: 'nodes are powering up' },
  RUNNING: { phase: 'active', state: 'RUNNING', words: 'running' },
  COMPLETING: { phase: 'active', state: 'RUNNING', words: 'completing' },
  STAGE_OUT: { phase: 'active', state: 'RUNNING', words: 'staging out' },
  SIGNALING: { phase: 'active', state: 'RUNNING', words: 'being signalled' },
  RESIZING: { phase: 'active', state: 'RUNNING', words: 'being resized' },
  UPDATE_DB: { phase: 'active', state: 'RUNNING', words: 'updating the database' },
  SUSPENDED: { phase: 'active', state: 'RUNNING', words: 'suspended by Slurm' },
  STOPPED: { phase: 'active', state: 'RUNNING', words: 'stopped (SIGSTOP) by Slurm' },
  COMPLETED: { phase: 'ended', state: 'SUCCEEDED', words: 'completed' },
  FAILED: { phase: 'ended', state: 'FAILED', words: 'failed (non-zero exit)' },
  CANCELLED: { phase: 'ended', state: 'CANCELLED', words: 'cancelled (scancel)' },
  TIMEOUT: { phase: 'ended', state: 'FAILED', words: 'reached its time limit' },
  DEADLINE: { phase: 'ended', state: 'FAILED', words: 'reached its deadline' },
  OUT_OF_MEMORY: { phase: 'ended', state: 'FAILED', words: 'ran out of memory' },
  BOOT_FAIL: { phase: 'ended', state: 'FAILED', words: 'its nodes failed to boot' },
  REVOKED: { phase: 'ended', state: 'CANCELLED', words: 'revoked (ran on another cluster)' },
  PREEMPTED: { phase: 'lost', state: 'RECOVERING', words: 'preempted' },
  NODE_FAIL: { phase: 'lost', state: 'RECOVERING', words: 'a node failed' },
};

/** squeue's compact codes (`%t`) to long names. */
export const SLURM_SHORT_STATES: Record<string, string> = {
  PD: 'PENDING',
  R: 'RUNNING',
  CF: 'CONFIGURING',
  CG: 'COMPLETING',
  CD: 'COMPLETED',
  F: 'FAILED',
  CA: 'CANCELLED',
  TO: 'TIMEOUT',
  PR: 'PREEMPTED',
  NF: 'NODE_FAIL',
  OOM: 'OUT_OF_MEMORY',
  BF: 'BOOT_FAIL',
  DL: 'DEADLINE',
  RQ: 'REQUEUED',
  RH: 'REQUEUE_HOLD',
  RF: 'REQUEUE_FED',
  RD: 'RESV_DEL_HOLD',
  RS: 'RESIZING',
  RV: 'REVOKED',
  SE: 'SPECIAL_EXIT',
  SI: 'SIGNALING',
  SO: 'STAGE_OUT',
  ST: 'STOPPED',
  S: 'SUSPENDED',
};

/**
 * Maps a Slurm state (long or short; `CANCELLED by 1000`, `RUNNING+`, flags after a space) and
 * an optional Slurm reason (`Resources`, `Priority`, `NonZeroExitCode`) to Ferry's terms.
 * An unknown state is kept as is and treated as still active: Ferry keeps looking.
 */
export function mapSlurmState(raw: string, slurmReason?: string): SlurmStateInfo {
  const word = raw.trim().toUpperCase().split(/[\s+]/)[0] ?? '';
  const slurm = SLURM_SHORT_STATES[word] ?? word;
  const e = SLURM_STATES[slurm];
  const extra = slurmReason && slurmReason !== 'None' && slurmReason !== '(null)' ? slurmReason : undefined;
  if (!e) return { slurm, phase: 'active', state: 'RUNNING', reason: `Slurm state ${slurm || '(empty)'}${extra ? ` (${extra})` : ''}` };
  return { slurm, phase: e.phase, state: e.state, reason: `Slurm: ${slurm} (${e.words}${extra ? `; reason: ${extra}` : ''})` };
}

/** True for states after which Slurm will not run the job again by itself. */
export function isEndedState(info: SlurmStateInfo): boolean {
  return info.phase === 'ended';
}
