import assert from 'node:assert/strict';
import * as path from 'node:path';
import { test } from 'node:test';

test('importing the S3 API and checkpoint mirroring does not load the AWS SDK', async () => {
  const s3 = await import('../../../src/core/s3/index');
  await import('../../../src/core/checkpoints/mirror');
  assert.equal(s3.isS3ImplLoaded(), false);
  const sdk = Object.keys(require.cache).filter((k) => k.includes(`${path.sep}@aws-sdk${path.sep}`) || k.includes(`${path.sep}@smithy${path.sep}`));
  assert.deepEqual(sdk, []);
});
