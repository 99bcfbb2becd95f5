import assert from 'node:assert/strict';
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { describe, test } from 'node:test';
import { JOB_ID_PATTERN, newJobId } from '../../../src/core/jobs/ids';
import {
  attemptDir,
  checkpointsDir,
  eventsFile,
  ferryHome,
  isSafeJobId,
  jobDir,
  jobFile,
  jobsDir,
  logFile,
  outputsDir,
  stagingDir,
} from '../../../src/core/jobs/paths';
import { UserError } from '../../../src/core/util/errors';

describe('ferryHome', () => {
  test('FERRY_HOME wins, made absolute', () => {
    assert.equal(ferryHome({ FERRY_HOME: '/srv/ferry' }), '/srv/ferry');
    assert.equal(ferryHome({ FERRY_HOME: 'rel/ferry' }), resolve('rel/ferry'));
    assert.equal(ferryHome({ FERRY_HOME: '~/x', HOME: '/home/u' }), join('/home/u', 'x'));
  });
  test('defaults to ~/.ferry', () => {
    assert.equal(ferryHome({ HOME: '/home/u' }), join('/home/u', '.ferry'));
    assert.equal(ferryHome({ HOME: '/home/u', FERRY_HOME: '  ' }), join('/home/u', '.ferry'));
    const d = ferryHome({});
    assert.ok(isAbsolute(d));
    assert.equal(d, join(homedir(), '.ferry'));
  });
});

describe('job paths', () => {
  const home = '/h';
  test('layout', () => {
    assert.equal(jobsDir(home), '/h/jobs');
    assert.equal(jobDir(home, 'abc'), '/h/jobs/abc');
    assert.equal(jobFile(home, 'abc'), '/h/jobs/abc/job.json');
    assert.equal(eventsFile(home, 'abc'), '/h/jobs/abc/events.jsonl');
    assert.equal(logFile(home, 'abc'), '/h/jobs/abc/log.txt');
    assert.equal(checkpointsDir(home, 'abc'), '/h/jobs/abc/checkpoints');
    assert.equal(outputsDir(home, 'abc'), '/h/jobs/abc/outputs');
    assert.equal(attemptDir(home, 'abc', 2), '/h/jobs/abc/attempt-2');
    assert.equal(stagingDir(home, 'abc', 1), '/h/jobs/abc/attempt-1/work');
  });
  test('ids that could escape the store are refused', () => {
    for (const bad of ['..', '../x', 'a/b', '.lock', '', 'a\\b', ' x']) {
      assert.equal(isSafeJobId(bad), false, bad);
      assert.throws(() => jobDir(home, bad), UserError);
    }
    assert.throws(() => stagingDir(home, 'abc', 0), UserError);
  });
});

describe('newJobId', () => {
  test('UTC, sortable, random tail', () => {
    const at = new Date(Date.UTC(2024, 0, 2, 3, 4, 5));
    const id = newJobId(at);
    assert.match(id, /^20240102-030405-[0-9a-f]{6}$/);
    assert.match(id, JOB_ID_PATTERN);
    assert.ok(isSafeJobId(id));
    assert.notEqual(newJobId(at), newJobId(at));
    const later = newJobId(new Date(Date.UTC(2024, 0, 2, 3, 4, 6)));
    assert.ok(later > id);
    const nextYear = newJobId(new Date(Date.UTC(2025, 11, 31, 23, 59, 59)));
    assert.ok(nextYear.startsWith('20251231-235959-'));
  });
});
