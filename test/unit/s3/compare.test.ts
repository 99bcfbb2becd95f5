import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { S3Handle } from '../../../src/core/s3/client';
import type { ObjectHead, RemoteObject, S3Ops } from '../../../src/core/s3/ops';
import { sameContent } from '../../../src/core/s3/trees';

const local = { md5: '0123456789abcdef0123456789abcdef', sha256: 'a'.repeat(64) };

function fakeHandle(head: ObjectHead | undefined): { s3: S3Handle; heads: () => number } {
  let heads = 0;
  const ops = {
    head: async () => {
      heads++;
      return head;
    },
  } as unknown as S3Ops;
  const s3: S3Handle = { ops, endpointId: 'fake', call: (_what, fn) => fn(ops), close: () => undefined };
  return { s3, heads: () => heads };
}

const obj = (etag: string): RemoteObject => ({ key: 'p/f', size: 10, etag, lastModifiedMs: 0 });
const signal = new AbortController().signal;

test('a plain-MD5 ETag equal to the file MD5 settles it without a HEAD', async () => {
  const f = fakeHandle(undefined);
  assert.equal(await sameContent(f.s3, 'b', obj(local.md5), local, signal), true);
  assert.equal(f.heads(), 0);
});

test('a multipart ETag is settled by the stored SHA-256', async () => {
  const same = fakeHandle({ ...obj('abc-4'), metadata: { 'ferry-sha256': local.sha256 } });
  assert.equal(await sameContent(same.s3, 'b', obj('abc-4'), local, signal), true);
  assert.equal(same.heads(), 1);
  const other = fakeHandle({ ...obj('abc-4'), metadata: { 'ferry-sha256': 'b'.repeat(64) } });
  assert.equal(await sameContent(other.s3, 'b', obj('abc-4'), local, signal), false);
  const foreign = fakeHandle({ ...obj('abc-4'), metadata: {} });
  assert.equal(await sameContent(foreign.s3, 'b', obj('abc-4'), local, signal), false, 'not uploaded by Ferry: send it');
});

test('a 32-hex ETag that is not the MD5 (SSE-KMS) falls back to the stored hash', async () => {
  const f = fakeHandle({ ...obj('f'.repeat(32)), metadata: { 'ferry-sha256': local.sha256 } });
  assert.equal(await sameContent(f.s3, 'b', obj('f'.repeat(32)), local, signal), true);
});
