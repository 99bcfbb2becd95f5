import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { checkpointsDir } from '../jobs/paths';
import type { CheckpointRecord, JobRecord } from '../jobs/types';
import { InfraError, errorMessage } from '../util/errors';
import type { Logger } from '../util/logger';
import { fetchCheckpointFromS3 } from './mirror';

/** The newest checkpoint with a copy Ferry can reach (here or in S3): highest step, then latest time. */
export function latestCheckpoint(job: JobRecord): CheckpointRecord | undefined {
  const usable = job.checkpoints.filter((c) => c.locations.some((l) => l.kind === 'local' || l.kind === 's3'));
  return [...usable].sort((a, b) => (a.step ?? -1) - (b.step ?? -1) || Date.parse(a.createdAt) - Date.parse(b.createdAt)).pop();
}

/**
 * Makes sure a checkpoint has a local copy (targets resume from the copy at home): the local
 * one when it is still on disk, else the S3 mirror's. Returns the local path.
 */
export async function ensureLocalCheckpoint(home: string, job: JobRecord, ck: CheckpointRecord, logger?: Logger): Promise<string> {
  const local = ck.locations.find((l) => l.kind === 'local');
  if (local && (await fs.lstat(local.uri).catch(() => undefined))) return local.uri;
  const s3 = ck.locations.find((l) => l.kind === 's3');
  if (!s3) throw new InfraError(`checkpoint ${ck.name} of job ${job.id} has no copy left to restore from`);
  logger?.info(`restoring ${ck.name} from ${s3.uri}`);
  try {
    const p = await fetchCheckpointFromS3(s3.uri, checkpointsDir(home, job.id));
    return path.resolve(p);
  } catch (e) {
    throw new InfraError(`could not restore checkpoint ${ck.name} from ${s3.uri}: ${errorMessage(e)}`, { cause: e });
  }
}
