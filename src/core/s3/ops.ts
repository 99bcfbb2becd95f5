/**
 * The contract between Ferry's S3 engine and the one module that uses the AWS SDK
 * (`impl.ts`, bundled on its own as dist/s3.js). Types only: importing this file never loads
 * the SDK. The adapter is deliberately thin (one method per S3 call) so that everything with
 * logic in it (planning, resume, errors, secrets) lives on this side, in the host bundle, where
 * the error classes and the secret registry are the same objects the CLI and extension use.
 */
import type { Readable } from 'node:stream';

export interface S3Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** What the adapter needs to build a client; produced by `resolveS3Config`. */
export interface ResolvedS3Config {
  region: string;
  endpoint?: string;
  forcePathStyle: boolean;
  /** Explicit credentials (SecretStorage); otherwise the SDK's default chain. */
  credentials?: S3Credentials;
  /** Profile for the default chain (AWS_PROFILE when unset). */
  profile?: string;
  maxAttempts: number;
  /** Sockets per host; at least the sync's concurrency. */
  maxSockets: number;
}

export interface RemoteObject {
  key: string;
  size: number;
  /** Without quotes, lowercase. A plain MD5 for single-part uploads, `<hex>-<n>` for multipart. */
  etag: string;
  lastModifiedMs: number;
}

export interface ObjectHead extends RemoteObject {
  /** User metadata without the `x-amz-meta-` prefix, keys lowercase. */
  metadata: Record<string, string>;
}

export interface ListPage {
  objects: RemoteObject[];
  /** Pass as `marker` to get the next page; undefined on the last page. */
  nextMarker?: string;
}

export interface UploadedPart {
  partNumber: number;
  etag: string;
  size?: number;
}

export interface S3Ops {
  /** One page (at most 1,000 keys) of the keys starting with `prefix`, in key order. */
  listPage(bucket: string, prefix: string, marker: string | undefined, signal: AbortSignal): Promise<ListPage>;
  /** Undefined when there is no such object. */
  head(bucket: string, key: string, signal: AbortSignal): Promise<ObjectHead | undefined>;
  put(bucket: string, key: string, body: Buffer, md5Base64: string, metadata: Record<string, string>, signal: AbortSignal): Promise<{ etag: string }>;
  /** The body from `start` (inclusive) to `end` (inclusive) when given; fails if the ETag changed. */
  get(
    bucket: string,
    key: string,
    opts: { start?: number; end?: number; ifMatch?: string },
    signal: AbortSignal,
  ): Promise<{ body: Readable; etag: string; size: number; lastModifiedMs: number; metadata: Record<string, string> }>;
  createMultipart(bucket: string, key: string, metadata: Record<string, string>, signal: AbortSignal): Promise<string>;
  uploadPart(bucket: string, key: string, uploadId: string, partNumber: number, body: Buffer, md5Base64: string, signal: AbortSignal): Promise<string>;
  /** The parts the server holds, or undefined where the store cannot list parts (s3rver). */
  listParts(bucket: string, key: string, uploadId: string, signal: AbortSignal): Promise<UploadedPart[] | undefined>;
  completeMultipart(bucket: string, key: string, uploadId: string, parts: UploadedPart[], signal: AbortSignal): Promise<{ etag: string }>;
  abortMultipart(bucket: string, key: string, uploadId: string, signal: AbortSignal): Promise<void>;
  /** Deletes up to 1,000 keys; returns the ones the server refused. */
  deleteMany(bucket: string, keys: string[], signal: AbortSignal): Promise<{ key: string; message: string }[]>;
  /** The secret parts of the credentials in use (to register with the log scrubber). */
  secretValues(): Promise<string[]>;
  destroy(): void;
}

/** The shape of dist/s3.js (and of impl.ts when running from source). */
export interface S3ImplModule {
  createS3Ops(config: ResolvedS3Config): S3Ops;
}
