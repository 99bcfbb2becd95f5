import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { formatS3Uri, isS3Uri, joinKey, parseS3Uri, relativeKey } from '../../../src/core/s3/uri';
import { UserError } from '../../../src/core/util/errors';

describe('parseS3Uri', () => {
  test('bucket and prefix', () => {
    assert.deepEqual(parseS3Uri('s3://my-bucket/cifar/runs'), { bucket: 'my-bucket', prefix: 'cifar/runs' });
    assert.deepEqual(parseS3Uri('s3://my-bucket'), { bucket: 'my-bucket', prefix: '' });
    assert.deepEqual(parseS3Uri('s3://my-bucket/'), { bucket: 'my-bucket', prefix: '' });
    assert.deepEqual(parseS3Uri('  S3://b.c-d/x  '), { bucket: 'b.c-d', prefix: 'x' });
  });

  test('trailing and doubled slashes name the same prefix', () => {
    assert.deepEqual(parseS3Uri('s3://bkt/data/'), parseS3Uri('s3://bkt/data'));
    assert.deepEqual(parseS3Uri('s3://bkt//a///b/'), { bucket: 'bkt', prefix: 'a/b' });
  });

  test('spaces and unicode in the prefix are kept', () => {
    assert.deepEqual(parseS3Uri('s3://bkt/my data/日本語 ñ'), { bucket: 'bkt', prefix: 'my data/日本語 ñ' });
  });

  test('clear errors for what is not an S3 URI', () => {
    const cases: [string, RegExp][] = [
      ['/local/path', /is not an S3 URI \(expected s3:\/\/bucket\/prefix\)/],
      ['s3:/bucket', /is not an S3 URI/],
      ['https://bucket/x', /is not an S3 URI/],
      ['s3://', /has no bucket name/],
      ['s3:///prefix', /has no bucket name/],
      ['s3://a/x', /"a" in "s3:\/\/a\/x" is not a valid bucket name/],
      ['s3://bad_bucket!/x', /is not a valid bucket name/],
      ['s3://-bucket/x', /is not a valid bucket name/],
      ['s3://b..c/x', /is not a valid bucket name/],
      ['s3://bkt/a/../b', /"\.\." is not allowed as a path segment/],
      ['s3://bkt/./b', /"\." is not allowed/],
    ];
    for (const [uri, re] of cases) {
      assert.throws(() => parseS3Uri(uri), (err: unknown) => err instanceof UserError && re.test(err.message) && err.exitCode === 2, uri);
    }
  });

  test('format round-trips', () => {
    for (const uri of ['s3://bkt', 's3://bkt/a/b c/ü']) assert.equal(formatS3Uri(parseS3Uri(uri)), uri);
  });

  test('isS3Uri', () => {
    assert.equal(isS3Uri('s3://b/x'), true);
    assert.equal(isS3Uri('./s3://x'), false);
    assert.equal(isS3Uri('gpu-box:data'), false);
  });
});

describe('keys', () => {
  test('joinKey drops empty segments', () => {
    assert.equal(joinKey('', 'a'), 'a');
    assert.equal(joinKey('p/', '/a/b', 'c'), 'p/a/b/c');
  });

  test('relativeKey refuses keys that would not be safe local paths', () => {
    assert.equal(relativeKey('p', 'p/a/b.txt'), 'a/b.txt');
    assert.equal(relativeKey('', 'a b/ü.txt'), 'a b/ü.txt');
    assert.equal(relativeKey('p', 'p2/a'), undefined, 'a sibling prefix is not inside');
    assert.equal(relativeKey('p', 'p/'), undefined, 'folder marker');
    assert.equal(relativeKey('p', 'p/dir/'), undefined, 'folder marker');
    assert.equal(relativeKey('p', 'p/../etc/passwd'), undefined);
    assert.equal(relativeKey('p', 'p/a//b'), undefined);
    assert.equal(relativeKey('p', 'p/./a'), undefined);
  });
});
