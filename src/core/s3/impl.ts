/**
 * The only module that imports the AWS SDK. It is built as its own bundle (dist/s3.js) and
 * loaded by `load.ts` on the first S3 operation, so neither dist/extension.js nor dist/cli.js
 * carries the SDK. It must not import Ferry's error classes or logger (they would be second
 * copies inside dist/s3.js): SDK errors are thrown as they are and classified by `errors.ts`.
 */
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsCommand,
  ListPartsCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import type { Readable } from 'node:stream';
import type { ListPage, ObjectHead, ResolvedS3Config, S3Ops, UploadedPart } from './ops';

const cleanEtag = (etag: string | undefined): string => (etag ?? '').replace(/"/g, '').toLowerCase();

function lowerKeys(m: Record<string, string> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(m ?? {})) out[k.toLowerCase()] = v;
  return out;
}

function statusOf(err: unknown): number | undefined {
  const meta = (err as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata;
  return meta?.httpStatusCode;
}

function nameOf(err: unknown): string {
  return err instanceof Error ? err.name : '';
}

/**
 * s3rver and some S3-compatible stores answer 405/501 to calls they lack, with S3's error codes
 * for that (Not-Implemented, Method-Not-Allowed; written unhyphenated on the wire).
 */
const UNSUPPORTED_CODES = /^(Not\s?Implemented|Method\s?Not\s?Allowed)$/;

function isUnsupported(err: unknown): boolean {
  const s = statusOf(err);
  return s === 405 || s === 501 || UNSUPPORTED_CODES.test(nameOf(err));
}

export function createS3Ops(config: ResolvedS3Config): S3Ops {
  const clientConfig: S3ClientConfig = {
    region: config.region,
    forcePathStyle: config.forcePathStyle,
    maxAttempts: config.maxAttempts,
    // A wrong default region on AWS answers with a redirect; follow it instead of failing.
    followRegionRedirects: true,
    // The SDK's default CRC32 trailers use aws-chunked bodies that S3-compatible stores
    // (s3rver, older MinIO) store verbatim; Ferry sends Content-MD5 on every body instead.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    requestHandler: {
      connectionTimeout: 15_000,
      httpAgent: { keepAlive: true, maxSockets: config.maxSockets },
      httpsAgent: { keepAlive: true, maxSockets: config.maxSockets },
    },
  };
  if (config.endpoint !== undefined) clientConfig.endpoint = config.endpoint;
  if (config.credentials) clientConfig.credentials = { ...config.credentials };
  if (config.profile !== undefined) clientConfig.profile = config.profile;

  // The SDK warns on stderr about a Node major it will drop in the future; that is noise on a
  // CLI user's terminal, so it is switched off for the construction only (the knob is an env var).
  const prevWarning = process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED;
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  let client: S3Client;
  try {
    client = new S3Client(clientConfig);
  } finally {
    if (prevWarning === undefined) delete process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED;
    else process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = prevWarning;
  }

  return {
    async listPage(bucket, prefix, marker, signal): Promise<ListPage> {
      // ListObjects (v1) rather than v2: s3rver's v2 continuation tokens use DES, which Node 20's
      // OpenSSL refuses, so every truncated v2 listing fails there; v1 markers work everywhere.
      const r = await client.send(new ListObjectsCommand({ Bucket: bucket, Prefix: prefix, Marker: marker, MaxKeys: 1000 }), { abortSignal: signal });
      const objects = (r.Contents ?? []).flatMap((o) =>
        o.Key === undefined ? [] : [{ key: o.Key, size: o.Size ?? 0, etag: cleanEtag(o.ETag), lastModifiedMs: o.LastModified?.getTime() ?? 0 }],
      );
      const last = objects[objects.length - 1];
      const nextMarker = r.IsTruncated ? (r.NextMarker ?? last?.key) : undefined;
      return nextMarker === undefined ? { objects } : { objects, nextMarker };
    },

    async head(bucket, key, signal): Promise<ObjectHead | undefined> {
      try {
        const r = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }), { abortSignal: signal });
        return { key, size: r.ContentLength ?? 0, etag: cleanEtag(r.ETag), lastModifiedMs: r.LastModified?.getTime() ?? 0, metadata: lowerKeys(r.Metadata) };
      } catch (err) {
        if (statusOf(err) === 404 || nameOf(err) === 'NotFound' || nameOf(err) === 'NoSuchKey') return undefined;
        throw err;
      }
    },

    async put(bucket, key, body, md5Base64, metadata, signal) {
      const r = await client.send(
        new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentLength: body.length, ContentMD5: md5Base64, Metadata: metadata }),
        { abortSignal: signal },
      );
      return { etag: cleanEtag(r.ETag) };
    },

    async get(bucket, key, opts, signal) {
      const range = opts.start === undefined && opts.end === undefined ? undefined : `bytes=${opts.start ?? 0}-${opts.end ?? ''}`;
      // Entity tags travel quoted (RFC 9110); the adapter keeps them bare everywhere else.
      const ifMatch = opts.ifMatch === undefined ? undefined : `"${opts.ifMatch}"`;
      const r = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key, Range: range, IfMatch: ifMatch }), { abortSignal: signal });
      if (!r.Body) throw new Error(`GetObject returned no body for ${key}`);
      return { body: r.Body as Readable, etag: cleanEtag(r.ETag), size: r.ContentLength ?? 0, lastModifiedMs: r.LastModified?.getTime() ?? 0, metadata: lowerKeys(r.Metadata) };
    },

    async createMultipart(bucket, key, metadata, signal) {
      const r = await client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key, Metadata: metadata }), { abortSignal: signal });
      if (!r.UploadId) throw new Error(`CreateMultipartUpload returned no upload id for ${key}`);
      return r.UploadId;
    },

    async uploadPart(bucket, key, uploadId, partNumber, body, md5Base64, signal) {
      const r = await client.send(
        new UploadPartCommand({ Bucket: bucket, Key: key, UploadId: uploadId, PartNumber: partNumber, Body: body, ContentLength: body.length, ContentMD5: md5Base64 }),
        { abortSignal: signal },
      );
      return cleanEtag(r.ETag);
    },

    async listParts(bucket, key, uploadId, signal) {
      const parts: UploadedPart[] = [];
      let marker: string | undefined;
      try {
        for (;;) {
          const r = await client.send(new ListPartsCommand({ Bucket: bucket, Key: key, UploadId: uploadId, PartNumberMarker: marker }), {
            abortSignal: signal,
          });
          for (const p of r.Parts ?? []) {
            if (p.PartNumber !== undefined) parts.push({ partNumber: p.PartNumber, etag: cleanEtag(p.ETag), size: p.Size ?? 0 });
          }
          if (!r.IsTruncated || r.NextPartNumberMarker === undefined) break;
          marker = r.NextPartNumberMarker;
        }
      } catch (err) {
        if (isUnsupported(err)) return undefined;
        throw err;
      }
      return parts;
    },

    async completeMultipart(bucket, key, uploadId, parts, signal) {
      const r = await client.send(
        new CompleteMultipartUploadCommand({
          Bucket: bucket,
          Key: key,
          UploadId: uploadId,
          MultipartUpload: { Parts: [...parts].sort((a, b) => a.partNumber - b.partNumber).map((p) => ({ PartNumber: p.partNumber, ETag: `"${p.etag}"` })) },
        }),
        { abortSignal: signal },
      );
      return { etag: cleanEtag(r.ETag) };
    },

    async abortMultipart(bucket, key, uploadId, signal) {
      await client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId }), { abortSignal: signal });
    },

    async deleteMany(bucket, keys, signal) {
      if (keys.length === 0) return [];
      const r = await client.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys.map((k) => ({ Key: k })), Quiet: true } }), {
        abortSignal: signal,
      });
      return (r.Errors ?? []).map((e) => ({ key: e.Key ?? '', message: `${e.Code ?? 'Error'}: ${e.Message ?? ''}` }));
    },

    async secretValues() {
      const provider = client.config.credentials;
      const creds = await provider();
      return [creds.secretAccessKey, creds.sessionToken ?? ''].filter((v) => v !== '');
    },

    destroy() {
      client.destroy();
    },
  };
}
