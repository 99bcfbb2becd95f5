import { hostname } from 'node:os';
import type { Target } from '../targets/target';
import { errorMessage } from '../util/errors';
import type { Logger } from '../util/logger';
import { finalize, followJob } from './runner';
import { isTerminal } from './stateMachine';
import type { JobStore } from './store';
import type { JobRecord } from './types';

/** Whether the process recorded as following the job is still alive (only knowable on its host). */
export function controllerAlive(job: JobRecord): boolean {
  const c = job.controller;
  if (!c) return false;
  if (c.hostname !== hostname()) return true; // another machine's controller: assume alive
  try {
    process.kill(c.pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Brings the store up to date with reality for active jobs nobody follows (their controller was
 * killed): a job that ended meanwhile is finalized (checkpoints and outputs brought home,
 * machine released); one still running is left running for `ferry logs -f` to reattach.
 */
export async function reconcileJobs(
  store: JobStore,
  home: string,
  targetFor: (ref: string) => Promise<Target>,
  logger: Logger,
): Promise<JobRecord[]> {
  const jobs = await store.list();
  const out: JobRecord[] = [];
  for (const job of jobs) {
    if (isTerminal(job.state) || controllerAlive(job)) {
      out.push(job);
      continue;
    }
    out.push(await reconcileOne(store, home, job, targetFor, logger).catch((e) => {
      logger.debug(`reconcile ${job.id}: ${errorMessage(e)}`);
      return job;
    }));
  }
  return out;
}

async function reconcileOne(store: JobStore, home: string, job: JobRecord, targetFor: (ref: string) => Promise<Target>, logger: Logger): Promise<JobRecord> {
  const attempt = job.attempts[job.attempts.length - 1];
  if (!attempt?.handle) {
    // Died before the job was started: nothing runs, so say so instead of showing it active.
    if (job.state === 'PENDING' && job.attempts.length === 0 && Date.now() - Date.parse(job.createdAt) < 60_000) return job;
    const inst = attempt?.instanceId ? `; ${attempt.offer?.provider ?? 'the provider'} instance ${attempt.instanceId} may still be running (ferry instances shows it)` : '';
    return finalize(store, job.id, { state: 'FAILED', exitCode: null, reason: `the controller stopped before the job started${inst}`, now: new Date() });
  }
  const target = await targetFor(job.target);
  const running = await target.attach(job, attempt);
  const probe = new AbortController();
  // Ended already? wait() resolves at once then; otherwise leave the job running.
  const ended = await Promise.race([running.wait(probe.signal).then(() => true, () => false), new Promise<boolean>((r) => setTimeout(() => r(false), 300))]);
  probe.abort();
  if (!ended) return job;
  return followJob(job.id, running, { store, home, target, logger });
}
