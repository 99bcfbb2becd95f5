import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { resolveS3Config } from '../../../src/core/s3/config';
import { isFatalS3Error, toS3Error } from '../../../src/core/s3/errors';
import { partSizeFor } from '../../../src/core/s3/multipart';
import { createLimiter } from '../../../src/core/s3/pool';
import { CancelledError, InfraError, UserError } from '../../../src/core/util/errors';
import { scrubSecrets } from '../../../src/core/util/logger';

const MiB = 1024 * 1024;

describe('resolveS3Config', () => {
  test('AWS itself by default: us-east-1, virtual-hosted addressing', () => {
    const c = resolveS3Config({ env: {} });
    assert.equal(c.endpoint, undefined);
    assert.equal(c.region, 'us-east-1');
    assert.equal(c.forcePathStyle, false);
    assert.equal(c.credentials, undefined, 'the SDK default chain');
  });

  test('AWS_ENDPOINT_URL_S3 wins over AWS_ENDPOINT_URL, and a custom endpoint means path-style', () => {
    const c = resolveS3Config({ env: { AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:9000', AWS_ENDPOINT_URL: 'http://other:1' } });
    assert.equal(c.endpoint, 'http://127.0.0.1:9000');
    assert.equal(c.forcePathStyle, true);
    assert.equal(resolveS3Config({ env: { AWS_ENDPOINT_URL: 'https://r2.example' } }).endpoint, 'https://r2.example');
    assert.equal(resolveS3Config({ endpoint: 'http://x:1', forcePathStyle: false, env: {} }).forcePathStyle, false);
  });

  test('region from AWS_REGION, then AWS_DEFAULT_REGION', () => {
    assert.equal(resolveS3Config({ env: { AWS_REGION: 'eu-west-1', AWS_DEFAULT_REGION: 'us-west-2' } }).region, 'eu-west-1');
    assert.equal(resolveS3Config({ env: { AWS_DEFAULT_REGION: 'us-west-2' } }).region, 'us-west-2');
    assert.equal(resolveS3Config({ region: 'ap-south-1', env: { AWS_REGION: 'eu-west-1' } }).region, 'ap-south-1');
  });

  test('bad endpoints are user errors', () => {
    assert.throws(() => resolveS3Config({ env: { AWS_ENDPOINT_URL_S3: 'not a url' } }), UserError);
    assert.throws(() => resolveS3Config({ env: { AWS_ENDPOINT_URL_S3: 'ftp://x' } }), /must be an http/);
    assert.throws(() => resolveS3Config({ endpoint: 'http://key:secret@host', env: {} }), /must not carry credentials/);
  });

  test('explicit credentials are used and their secrets registered with the scrubber', () => {
    const secret = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXPLICITKEY';
    const c = resolveS3Config({ credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: secret }, env: {} });
    assert.deepEqual(c.credentials, { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: secret });
    assert.equal(scrubSecrets(`oops ${secret} here`), 'oops *** here');
  });

  test('secrets from the environment are registered too', () => {
    const secret = 'envSecretValue-0123456789abcdef';
    resolveS3Config({ env: { AWS_SECRET_ACCESS_KEY: secret, AWS_SESSION_TOKEN: 'sessionTokenValue-xyz' } });
    assert.equal(scrubSecrets(`${secret} sessionTokenValue-xyz`), '*** ***');
  });
});

describe('toS3Error', () => {
  const sdkError = (name: string, status: number, message: string): Error => Object.assign(new Error(message), { name, $metadata: { httpStatusCode: status } });

  test('auth failures are infrastructure errors with a hint, never echoing secrets', () => {
    const secret = 'registered-secret-for-errors-test';
    resolveS3Config({ credentials: { accessKeyId: 'AKID', secretAccessKey: secret }, env: {} });
    const e = toS3Error(sdkError('SignatureDoesNotMatch', 403, `mismatch for key ${secret}`), 'listing s3://b/p');
    assert.ok(e instanceof InfraError);
    assert.equal(e.exitCode, 3);
    assert.match(e.message, /S3 refused listing s3:\/\/b\/p: SignatureDoesNotMatch \(HTTP 403\)/);
    assert.ok(!e.message.includes(secret));
    assert.equal(e.cause, undefined, 'the raw SDK error (request, response) is not kept');
    assert.ok(isFatalS3Error(sdkError('AccessDenied', 403, 'x')));
  });

  test('presigned-URL signatures are scrubbed from messages', () => {
    const e = toS3Error(new Error('GET http://h/b/k?X-Amz-Signature=abcdef0123&X-Amz-Credential=AKIA/x failed'), 'download');
    assert.ok(!e.message.includes('abcdef0123'));
  });

  test('missing bucket, missing credentials, network, cancel', () => {
    assert.ok(toS3Error(sdkError('NoSuchBucket', 404, 'The specified bucket does not exist'), 'x') instanceof UserError);
    const creds = toS3Error(Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' }), 'sync');
    assert.match(creds.message, /No AWS credentials found for sync/);
    assert.match(creds.hint ?? '', /AWS_ACCESS_KEY_ID/);
    const net = toS3Error(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }), 'listing');
    assert.match(net.message, /Cannot reach the S3 endpoint for listing: ECONNREFUSED/);
    assert.ok(toS3Error(Object.assign(new Error('aborted'), { name: 'AbortError' }), 'x') instanceof CancelledError);
  });
});

describe('helpers', () => {
  test('partSizeFor keeps parts >= 5 MiB, whole MiB, and under 10,000 parts', () => {
    assert.equal(partSizeFor(64 * MiB, 8 * MiB), 8 * MiB);
    assert.equal(partSizeFor(64 * MiB, 1 * MiB), 5 * MiB);
    const huge = 200 * 1024 * MiB;
    const p = partSizeFor(huge, 8 * MiB);
    assert.ok(Math.ceil(huge / p) <= 10_000);
    assert.equal(p % MiB, 0);
  });

  test('createLimiter never runs more than n at once', async () => {
    const limit = createLimiter(3);
    let active = 0;
    let peak = 0;
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        limit(async () => {
          active++;
          peak = Math.max(peak, active);
          await new Promise((r) => setTimeout(r, 1 + (i % 3)));
          active--;
        }),
      ),
    );
    assert.equal(peak, 3);
  });
});

describe('createByteBudget', () => {
  test('holds at most the budget at once, and lets one oversized holder through alone', async () => {
    const { createByteBudget } = await import('../../../src/core/s3/pool');
    const budget = createByteBudget(10);
    let held = 0;
    let peak = 0;
    const take = (n: number): Promise<void> =>
      budget.run(n, async () => {
        held += n;
        peak = Math.max(peak, held);
        await new Promise((r) => setTimeout(r, 2));
        held -= n;
      });
    await Promise.all([take(4), take(4), take(4), take(25), take(3), take(6)]);
    assert.equal(peak, 25, 'the oversized one ran alone');
    const budget2 = createByteBudget(10);
    let h2 = 0;
    let p2 = 0;
    await Promise.all([3, 3, 3, 3, 3, 3].map((n) => budget2.run(n, async () => { h2 += n; p2 = Math.max(p2, h2); await new Promise((r) => setTimeout(r, 2)); h2 -= n; })));
    assert.equal(p2, 9);
  });
});
