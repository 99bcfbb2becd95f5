import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { UserError } from '../util/errors';

/**
 * The on-disk layout of the job store, in one place so the CLI, the extension, the runner and
 * the targets agree on it:
 *
 *   $FERRY_HOME/jobs/<id>/job.json          the record (replaced atomically, never edited in place)
 *   $FERRY_HOME/jobs/<id>/events.jsonl      append-only event log
 *   $FERRY_HOME/jobs/<id>/log.txt           the job's combined output, as mirrored home
 *   $FERRY_HOME/jobs/<id>/checkpoints/      local copies of checkpoints
 *   $FERRY_HOME/jobs/<id>/outputs/          outputs copied home
 *   $FERRY_HOME/jobs/<id>/attempt-<n>/work  the local target's copy of the workdir
 *
 * Names starting with `.` inside jobs/ and inside a job folder belong to the store (locks,
 * temp files, staging folders) and are never jobs or job files.
 */

/** FERRY_HOME (with a leading `~` expanded), else ~/.ferry; always absolute. */
export function ferryHome(env: NodeJS.ProcessEnv = process.env): string {
  const home = env.HOME || env.USERPROFILE || homedir();
  const configured = env.FERRY_HOME?.trim();
  if (!configured) return join(home, '.ferry');
  if (configured === '~') return home;
  if (configured.startsWith('~/') || configured.startsWith('~\\')) return join(home, configured.slice(2));
  // A relative FERRY_HOME resolves against the current directory, as a shell user expects.
  return resolve(configured);
}

// Ids become folder names: anything that could climb out of jobs/ or hide as a store file is refused.
const SAFE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export function isSafeJobId(id: string): boolean {
  return SAFE_ID.test(id);
}

export function jobsDir(home: string): string {
  return join(home, 'jobs');
}

export function jobDir(home: string, id: string): string {
  if (!isSafeJobId(id)) throw new UserError(`"${id}" is not a valid job id`);
  return join(jobsDir(home), id);
}

export function jobFile(home: string, id: string): string {
  return join(jobDir(home, id), 'job.json');
}

export function eventsFile(home: string, id: string): string {
  return join(jobDir(home, id), 'events.jsonl');
}

export function logFile(home: string, id: string): string {
  return join(jobDir(home, id), 'log.txt');
}

/** Local copies of the job's checkpoints. */
export function checkpointsDir(home: string, id: string): string {
  return join(jobDir(home, id), 'checkpoints');
}

/** Outputs copied home. */
export function outputsDir(home: string, id: string): string {
  return join(jobDir(home, id), 'outputs');
}

/** Per-attempt scratch space of the local target. `attempt` is 1-based. */
export function attemptDir(home: string, id: string, attempt: number): string {
  if (!Number.isInteger(attempt) || attempt < 1) throw new UserError(`attempt must be a positive integer, got ${attempt}`);
  return join(jobDir(home, id), `attempt-${attempt}`);
}

/** The local target's copy of the workdir for one attempt. */
export function stagingDir(home: string, id: string, attempt: number): string {
  return join(attemptDir(home, id, attempt), 'work');
}
