import { FerryError } from '../util/errors';
import { TERMINAL_STATES, type JobState } from './types';

/**
 * The job lifecycle (DESIGN.md "The job"). Every state can fail or be cancelled; every state
 * that may be paying for a machine (PROVISIONING onwards) can also be stopped by the budget.
 * RECOVERING sits between a lost instance and the next PROVISIONING. PENDING cannot be stopped
 * by the budget because nothing has been spent yet.
 */
const FORWARD: Readonly<Record<JobState, readonly JobState[]>> = {
  PENDING: ['PROVISIONING', 'FAILED', 'CANCELLED'],
  PROVISIONING: ['SYNCING', 'RECOVERING', 'FAILED', 'CANCELLED', 'STOPPED_BY_BUDGET'],
  SYNCING: ['SETUP', 'RECOVERING', 'FAILED', 'CANCELLED', 'STOPPED_BY_BUDGET'],
  SETUP: ['RUNNING', 'RECOVERING', 'FAILED', 'CANCELLED', 'STOPPED_BY_BUDGET'],
  RUNNING: ['SUCCEEDED', 'RECOVERING', 'FAILED', 'CANCELLED', 'STOPPED_BY_BUDGET'],
  RECOVERING: ['PROVISIONING', 'FAILED', 'CANCELLED', 'STOPPED_BY_BUDGET'],
  SUCCEEDED: [],
  FAILED: [],
  CANCELLED: [],
  STOPPED_BY_BUDGET: [],
};

export interface TransitionOptions {
  /** A resume (`ferry resume`) is the only way out of a terminal state, and only to PENDING. */
  resume?: boolean;
}

export function isTerminal(state: JobState): boolean {
  return TERMINAL_STATES.has(state);
}

/** Not finished yet: it may hold a machine, or be about to. PENDING counts (a runner may own it). */
export function isActive(state: JobState): boolean {
  return !TERMINAL_STATES.has(state);
}

/** The states reachable from `from` by an ordinary (non-resume) transition. */
export function nextStates(from: JobState): readonly JobState[] {
  return FORWARD[from];
}

export function canTransition(from: JobState, to: JobState, opts: TransitionOptions = {}): boolean {
  if (opts.resume === true && isTerminal(from) && to === 'PENDING') return true;
  return FORWARD[from].includes(to);
}

export function assertTransition(from: JobState, to: JobState, jobId: string, opts: TransitionOptions = {}): void {
  if (!canTransition(from, to, opts)) {
    throw new FerryError(`illegal transition ${from} -> ${to} for job ${jobId}`);
  }
}
