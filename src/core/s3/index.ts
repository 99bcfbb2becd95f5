/**
 * Ferry's S3 support: URIs, data sync in both directions, and the primitives checkpoint
 * mirroring is built on. Importing this module does not load the AWS SDK: the SDK lives in
 * impl.ts (dist/s3.js when bundled) and is loaded on the first S3 call (see load.ts).
 */
export { formatS3Uri, isS3Uri, joinKey, parseS3Uri, type S3Location } from './uri';
export { resolveS3Config, type S3ClientOptions } from './config';
export type { S3Credentials } from './ops';
export { openS3, type S3Handle } from './client';
export { isS3ImplLoaded } from './load';
export { PARTIAL_SUFFIX } from './download';
export { syncLocalToS3, syncS3ToLocal, type S3SyncOptions, type SyncProgress, type SyncSummary } from './sync';
