/**
 * What Stop, Resume and Delete do to a job, the same way `ferry stop`, `ferry resume` and the
 * store's delete do it, so a job behaves the same whichever face of Ferry touches it.
 * No `vscode` here.
 */
import { controllerAlive } from '../../core/jobs/reconcile';
import { finalize, followJob } from '../../core/jobs/runner';
import { isTerminal } from '../../core/jobs/stateMachine';
import type { JobStore } from '../../core/jobs/store';
import type { CheckpointRecord, JobRecord } from '../../core/jobs/types';
import type { Target } from '../../core/targets/target';
import { UserError } from '../../core/util/errors';
import type { Logger } from '../../core/util/logger';
import { latestCheckpoint } from './jobView';

export interface JobActionDeps {
  store: JobStore;
  home: string;
  logger: Logger;
  targetFor(ref: string): Promise<Target>;
}

/**
 * Stops a job: marks it CANCELLED first (a controller following it sees that and stops
 * following), then SIGTERM to the job's process group and SIGKILL after `graceMs`. When
 * nobody follows it, this brings the checkpoints home and releases the machine itself.
 */
export async function stopJobRecord(deps: JobActionDeps, id: string, graceMs: number, followedHere: boolean): Promise<JobRecord> {
  let job = await deps.store.resolve(id);
  if (isTerminal(job.state)) return job;
  const follower = followedHere || controllerAlive(job);
  job = await deps.store.transition(job.id, 'CANCELLED', {
    message: 'stopped by user',
    patch: (r) => {
      r.error = 'stopped by user';
    },
  });
  const attempt = job.attempts[job.attempts.length - 1];
  if (attempt?.handle) {
    const target = await deps.targetFor(job.target);
    const running = await target.attach(job, attempt);
    await running.stop(graceMs);
    if (!follower) job = await followJob(job.id, running, { store: deps.store, home: deps.home, target, logger: deps.logger });
  } else {
    job = await finalize(deps.store, job.id, { state: 'CANCELLED', exitCode: null, reason: 'stopped by user', now: new Date() });
  }
  return (await deps.store.get(job.id)) ?? job;
}

/** The checkpoint a resume starts from: the named one, else the latest with a local copy. */
export function resumeCheckpoint(job: JobRecord, name?: string): CheckpointRecord | undefined {
  if (name === undefined) return latestCheckpoint(job);
  const c = job.checkpoints.find((ck) => ck.name === name);
  if (!c) {
    const names = job.checkpoints.map((ck) => ck.name);
    throw new UserError(`job ${job.id} has no checkpoint "${name}"`, { hint: names.length ? `its checkpoints: ${names.join(', ')}` : 'it wrote no checkpoint' });
  }
  return c;
}

/** Moves an ended job back to PENDING for a new attempt (the caller then runs it). */
export async function prepareResume(store: JobStore, id: string, from: CheckpointRecord | undefined): Promise<JobRecord> {
  const job = await store.resolve(id);
  if (!isTerminal(job.state)) throw new UserError(`${job.name} (${job.id}) is still ${job.state}`, { hint: 'stop it first' });
  return store.transition(job.id, 'PENDING', { resume: true, message: from ? `resume from ${from.name}` : 'resume from scratch' });
}

/** A running job whose target keeps each node's output apart (a Slurm job's `node-<rank>.log`). */
interface NodeLogReader {
  readNodeLog(rank: number, offset: number, signal?: AbortSignal): Promise<{ data: Buffer; next: number }>;
}

function readsNodeLogs(r: unknown): r is NodeLogReader {
  return typeof (r as { readNodeLog?: unknown } | null)?.readNodeLog === 'function';
}

/**
 * One node's whole log so far (the current attempt), read through the target the way the
 * runner reads the combined log: by byte offset, a chunk at a time, up to `maxBytes`.
 */
export async function readNodeLogText(deps: Pick<JobActionDeps, 'store' | 'targetFor'>, id: string, rank: number, maxBytes = 16 * 1024 * 1024): Promise<string> {
  const job = await deps.store.resolve(id);
  const attempt = job.attempts[job.attempts.length - 1];
  if (!attempt?.handle) throw new UserError(`${job.name} (${job.id}) has not started on ${job.target} yet`);
  const target = await deps.targetFor(job.target);
  const running = await target.attach(job, attempt);
  if (!readsNodeLogs(running)) throw new UserError(`${job.target} keeps no per-node logs`, { hint: 'per-node logs are for Slurm jobs' });
  const chunks: Buffer[] = [];
  let offset = 0;
  while (offset < maxBytes) {
    const { data, next } = await running.readNodeLog(rank, offset);
    if (data.length === 0) break;
    chunks.push(data);
    offset = next;
  }
  return Buffer.concat(chunks).toString('utf8');
}
