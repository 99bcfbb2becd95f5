import type { JobRecord } from '../jobs/types';
import { isTerminal } from '../jobs/stateMachine';
import type { Instance, Provider } from '../offers/types';
import { errorMessage } from '../util/errors';

/** The label every instance Ferry launches carries: the job id it was launched for. */
export const FERRY_JOB_LABEL = 'ferry-job';

export interface InstanceView extends Instance {
  /** Carries Ferry's label but no live job owns it: it bills for nothing. */
  orphan: boolean;
  jobId?: string;
}

export interface InstancesReport {
  instances: InstanceView[];
  /** Providers whose listing failed: name -> reason (already free of secrets). */
  errors: Record<string, string>;
}

/**
 * An instance is an orphan when it carries Ferry's label and no active job's current attempt
 * holds it: the job ended (its terminate failed), the job is gone, or Ferry crashed between
 * the launch and recording the instance id.
 */
export function isOrphan(inst: Instance, jobs: readonly JobRecord[]): boolean {
  const jobId = inst.labels[FERRY_JOB_LABEL];
  if (!jobId) return false;
  if (inst.status === 'terminated') return false;
  const job = jobs.find((j) => j.id === jobId);
  if (!job || isTerminal(job.state)) return true;
  const current = job.attempts[job.attempts.length - 1];
  if (!current || current.endedAt) return true;
  // An active job launching right now may not have recorded the id yet; only a different id is stray.
  return current.instanceId !== undefined && current.instanceId !== inst.id;
}

export async function listInstances(providers: readonly Provider[], jobs: readonly JobRecord[], signal: AbortSignal): Promise<InstancesReport> {
  const errors: Record<string, string> = {};
  const lists = await Promise.all(
    providers.map((p) =>
      p.listInstances(signal).catch((e) => {
        errors[p.name] = errorMessage(e);
        return [] as Instance[];
      }),
    ),
  );
  const instances = lists.flat().map((i) => ({ ...i, orphan: isOrphan(i, jobs), ...(i.labels[FERRY_JOB_LABEL] ? { jobId: i.labels[FERRY_JOB_LABEL] } : {}) }));
  return { instances, errors };
}

/** Terminates every orphan; returns what was ended and what failed. */
export async function terminateOrphans(
  providers: readonly Provider[],
  report: InstancesReport,
  signal: AbortSignal,
): Promise<{ terminated: InstanceView[]; failed: { instance: InstanceView; error: string }[] }> {
  const terminated: InstanceView[] = [];
  const failed: { instance: InstanceView; error: string }[] = [];
  for (const inst of report.instances.filter((i) => i.orphan)) {
    const p = providers.find((x) => x.name === inst.provider);
    if (!p) continue;
    try {
      await p.terminate(inst.id, signal);
      terminated.push(inst);
    } catch (e) {
      failed.push({ instance: inst, error: errorMessage(e) });
    }
  }
  return { terminated, failed };
}
