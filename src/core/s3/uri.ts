import { UserError } from '../util/errors';

/** A parsed `s3://bucket/prefix`. `prefix` has no leading or trailing slash ('' for the bucket root). */
export interface S3Location {
  bucket: string;
  prefix: string;
}

// Bucket names as S3 (and MinIO, R2) accept them; uppercase and `_` are let through because
// legacy buckets and some S3-compatible stores still use them, and the server has the last word.
const BUCKET = /^[A-Za-z0-9][A-Za-z0-9._-]{1,61}[A-Za-z0-9]$/;

export function isS3Uri(text: string): boolean {
  return /^s3:\/\//i.test(text.trim());
}

/**
 * Parses `s3://bucket[/prefix]`. Runs of slashes inside the prefix and a trailing slash are
 * dropped, so `s3://b/data/` and `s3://b/data` name the same prefix.
 */
export function parseS3Uri(uri: string): S3Location {
  const text = uri.trim();
  const m = /^s3:\/\/([^/]*)(?:\/(.*))?$/is.exec(text);
  if (!m) {
    throw new UserError(`"${uri}" is not an S3 URI (expected s3://bucket/prefix)`);
  }
  const bucket = m[1] ?? '';
  if (bucket === '') throw new UserError(`"${uri}" has no bucket name (expected s3://bucket/prefix)`);
  if (!BUCKET.test(bucket) || bucket.includes('..')) {
    throw new UserError(`"${bucket}" in "${uri}" is not a valid bucket name (3-63 letters, digits, dots and hyphens)`);
  }
  const segments = (m[2] ?? '').split('/').filter((s) => s !== '');
  for (const s of segments) {
    // A key segment of "." or ".." would climb out of the destination folder when synced down.
    if (s === '.' || s === '..') throw new UserError(`"${uri}": "${s}" is not allowed as a path segment of an S3 prefix`);
    if (s.includes('\0')) throw new UserError(`"${uri}": NUL characters are not allowed in an S3 prefix`);
  }
  return { bucket, prefix: segments.join('/') };
}

export function formatS3Uri(loc: S3Location): string {
  return loc.prefix === '' ? `s3://${loc.bucket}` : `s3://${loc.bucket}/${loc.prefix}`;
}

/** Joins key segments with single slashes, ignoring empty parts. */
export function joinKey(...parts: string[]): string {
  return parts
    .flatMap((p) => p.split('/'))
    .filter((s) => s !== '')
    .join('/');
}

/**
 * The path of `key` relative to `prefix`, or undefined when the key is outside the prefix or
 * would not make a safe local relative path (empty, `.`/`..` segments, a folder marker).
 */
export function relativeKey(prefix: string, key: string): string | undefined {
  let rel: string;
  if (prefix === '') rel = key;
  else if (key.startsWith(`${prefix}/`)) rel = key.slice(prefix.length + 1);
  else return undefined;
  if (rel === '' || rel.endsWith('/') || rel.includes('\0')) return undefined;
  // On Windows a backslash is a separator: `a\..\b` would climb out just like `a/../b`.
  if (process.platform === 'win32' && /[\\:]/.test(rel)) return undefined;
  for (const s of rel.split('/')) if (s === '' || s === '.' || s === '..') return undefined;
  return rel;
}
