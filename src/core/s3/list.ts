import type { S3Handle } from './client';
import { toS3Error } from './errors';
import type { RemoteObject } from './ops';

/**
 * Every object whose key starts with `keyPrefix`, in key order, 1,000 a page (s3rver fails on
 * bigger pages, S3 never sends more).
 */
export async function listAll(s3: S3Handle, bucket: string, keyPrefix: string, signal: AbortSignal): Promise<RemoteObject[]> {
  const out: RemoteObject[] = [];
  let marker: string | undefined;
  do {
    const page = await s3.call(`listing s3://${bucket}/${keyPrefix}`, (o) => o.listPage(bucket, keyPrefix, marker, signal));
    out.push(...page.objects);
    marker = page.nextMarker;
  } while (marker !== undefined);
  return out;
}

/** Deletes `keys` in batches of 1,000; throws (scrubbed) if the server refuses any. */
export async function deleteAll(s3: S3Handle, bucket: string, keys: string[], signal: AbortSignal): Promise<void> {
  for (let i = 0; i < keys.length; i += 1000) {
    const batch = keys.slice(i, i + 1000);
    const failed = await s3.call(`deleting from s3://${bucket}`, (o) => o.deleteMany(bucket, batch, signal));
    const first = failed[0];
    if (first) {
      throw toS3Error(new Error(`${failed.length} deletions refused, e.g. ${first.key}: ${first.message}`), `deleting from s3://${bucket}`);
    }
  }
}
