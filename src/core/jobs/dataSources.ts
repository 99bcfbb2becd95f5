import { createHash } from 'node:crypto';
import * as path from 'node:path';
import type { S3ClientOptions } from '../s3/index';
import type { DataMount } from '../spec/types';
import { throwIfAborted } from '../util/errors';
import type { Logger } from '../util/logger';

/**
 * The spec's `data` entries that name s3:// sources are pushed through the controller: pulled
 * into a cache under FERRY_HOME (incremental, so a second run downloads only what changed), then
 * synced to the target like any local folder. Local entries pass through unchanged.
 */
export async function materializeS3Data(
  data: readonly DataMount[],
  o: { home: string; signal?: AbortSignal; logger?: Logger; s3?: S3ClientOptions },
): Promise<DataMount[]> {
  if (!data.some((d) => /^s3:\/\//i.test(d.from))) return [...data];
  const { syncS3ToLocal } = await import('../s3/index');
  const out: DataMount[] = [];
  for (const d of data) {
    throwIfAborted(o.signal);
    if (!/^s3:\/\//i.test(d.from)) {
      out.push(d);
      continue;
    }
    const cache = path.join(o.home, 'data-cache', createHash('sha256').update(d.from).digest('hex').slice(0, 16));
    o.logger?.info(`pulling ${d.from} into ${cache}`);
    const s = await syncS3ToLocal(d.from, cache, { signal: o.signal, logger: o.logger, s3: o.s3, delete: true });
    o.logger?.info(`${d.from}: ${s.downloaded} downloaded, ${s.skipped} unchanged`);
    out.push({ from: cache, to: d.to });
  }
  return out;
}
