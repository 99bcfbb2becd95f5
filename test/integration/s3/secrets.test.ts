import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { after, before, describe, test } from 'node:test';
import { syncLocalToS3 } from '../../../src/core/s3';
import { InfraError } from '../../../src/core/util/errors';
import type { Logger } from '../../../src/core/util/logger';
import { S3RVER_ACCESS_KEY_ID, S3RVER_SECRET_ACCESS_KEY, startS3rver, type S3rverHandle } from '../../helpers/s3rver';
import { tempDir, writeTree } from './util';

describe('secrets stay out of errors and logs', () => {
  let s3rver: S3rverHandle;
  const work = tempDir('ferry-secrets-');
  before(async () => {
    // This server checks SigV4 signatures, so a wrong secret key is refused as S3 would.
    s3rver = await startS3rver({ verifySignatures: true });
    writeTree(work.dir, { 'a.txt': 'a' });
    process.env.FERRY_HOME = work.dir + '/home';
  });
  after(async () => {
    await s3rver.close();
    work.remove();
  });

  const lines: string[] = [];
  const logger: Logger = { debug: (m) => lines.push(m), info: (m) => lines.push(m), warn: (m) => lines.push(m), error: (m) => lines.push(m) };

  test('the right secret works against the signature-checking server', async () => {
    const s = await syncLocalToS3(work.dir + '/a.txt', `s3://${s3rver.bucket}/ok/a.txt`, {
      s3: { endpoint: s3rver.endpoint, credentials: { accessKeyId: S3RVER_ACCESS_KEY_ID, secretAccessKey: S3RVER_SECRET_ACCESS_KEY } },
    });
    assert.equal(s.uploaded, 1);
  });

  for (const via of ['explicit credentials', 'environment'] as const) {
    test(`a wrong secret key (${via}) fails with an error that does not contain it`, async () => {
      const secret = `wR0ng/Secret+Key${via === 'environment' ? 'Env' : 'Expl'}0123456789abcdefXYZ`;
      const saved = { ...process.env };
      if (via === 'environment') {
        Object.assign(process.env, { AWS_ACCESS_KEY_ID: S3RVER_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY: secret, AWS_ENDPOINT_URL_S3: s3rver.endpoint });
      }
      try {
        const err = await syncLocalToS3(work.dir, `s3://${s3rver.bucket}/nope`, {
          logger,
          s3: via === 'environment' ? {} : { endpoint: s3rver.endpoint, credentials: { accessKeyId: S3RVER_ACCESS_KEY_ID, secretAccessKey: secret } },
        }).then(
          () => assert.fail('should have been refused'),
          (e: unknown) => e,
        );
        assert.ok(err instanceof InfraError, String(err));
        assert.equal(err.exitCode, 3);
        assert.match(err.message, /SignatureDoesNotMatch/);
        for (const text of [err.message, err.stack ?? '', String(err.hint), inspect(err, { depth: 20 }), JSON.stringify(err), ...lines]) {
          assert.ok(!text.includes(secret), `secret leaked into: ${text.slice(0, 200)}`);
        }
      } finally {
        for (const k of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_ENDPOINT_URL_S3']) {
          if (saved[k] === undefined) delete process.env[k];
          else process.env[k] = saved[k];
        }
      }
    });
  }
});
