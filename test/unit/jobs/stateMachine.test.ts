import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { assertTransition, canTransition, isActive, isTerminal, nextStates } from '../../../src/core/jobs/stateMachine';
import { JOB_STATES, type JobState } from '../../../src/core/jobs/types';
import { FerryError } from '../../../src/core/util/errors';

const LEGAL: Record<JobState, JobState[]> = {
  PENDING: ['PROVISIONING', 'FAILED', 'CANCELLED'],
  PROVISIONING: ['SYNCING', 'RECOVERING', 'FAILED', 'CANCELLED', 'STOPPED_BY_BUDGET'],
  SYNCING: ['SETUP', 'RECOVERING', 'FAILED', 'CANCELLED', 'STOPPED_BY_BUDGET'],
  SETUP: ['RUNNING', 'RECOVERING', 'FAILED', 'CANCELLED', 'STOPPED_BY_BUDGET'],
  RUNNING: ['SUCCEEDED', 'RECOVERING', 'FAILED', 'CANCELLED', 'STOPPED_BY_BUDGET'],
  RECOVERING: ['PROVISIONING', 'FAILED', 'CANCELLED', 'STOPPED_BY_BUDGET'],
  SUCCEEDED: [],
  FAILED: [],
  CANCELLED: [],
  STOPPED_BY_BUDGET: [],
};
const TERMINAL: JobState[] = ['SUCCEEDED', 'FAILED', 'CANCELLED', 'STOPPED_BY_BUDGET'];

describe('state machine', () => {
  for (const from of JOB_STATES) {
    for (const to of LEGAL[from]) {
      test(`${from} -> ${to} is legal`, () => {
        assert.equal(canTransition(from, to), true);
        assert.doesNotThrow(() => assertTransition(from, to, 'j1'));
      });
    }
  }

  test('every pair not in the table is illegal (without resume)', () => {
    let checked = 0;
    for (const from of JOB_STATES) {
      for (const to of JOB_STATES) {
        if (LEGAL[from].includes(to)) continue;
        assert.equal(canTransition(from, to), false, `${from} -> ${to}`);
        checked++;
      }
    }
    assert.equal(checked, 100 - 27);
  });

  const illegal: [JobState, JobState][] = [
    ['RUNNING', 'PENDING'],
    ['PENDING', 'RUNNING'],
    ['PENDING', 'STOPPED_BY_BUDGET'],
    ['PENDING', 'SUCCEEDED'],
    ['PENDING', 'PENDING'],
    ['PROVISIONING', 'RUNNING'],
    ['SYNCING', 'PROVISIONING'],
    ['SETUP', 'SUCCEEDED'],
    ['RUNNING', 'RUNNING'],
    ['RUNNING', 'SETUP'],
    ['RECOVERING', 'RUNNING'],
    ['RECOVERING', 'SUCCEEDED'],
    ['SUCCEEDED', 'RUNNING'],
    ['FAILED', 'PROVISIONING'],
    ['CANCELLED', 'SUCCEEDED'],
    ['STOPPED_BY_BUDGET', 'RECOVERING'],
  ];
  for (const [from, to] of illegal) {
    test(`${from} -> ${to} is illegal`, () => {
      assert.equal(canTransition(from, to), false);
      assert.throws(
        () => assertTransition(from, to, 'job-42'),
        (err: unknown) => err instanceof FerryError && err.exitCode === 1 && err.message === `illegal transition ${from} -> ${to} for job job-42`,
      );
    });
  }

  test('resume: terminal -> PENDING only', () => {
    for (const from of TERMINAL) {
      assert.equal(canTransition(from, 'PENDING'), false, `${from} -> PENDING needs resume`);
      assert.equal(canTransition(from, 'PENDING', { resume: true }), true);
      assert.equal(canTransition(from, 'PROVISIONING', { resume: true }), false);
      assert.equal(canTransition(from, 'RUNNING', { resume: true }), false);
    }
    for (const from of JOB_STATES.filter((s) => !TERMINAL.includes(s))) {
      assert.equal(canTransition(from, 'PENDING', { resume: true }), false, `${from} cannot resume`);
    }
    // resume does not unlock anything else either
    assert.equal(canTransition('PENDING', 'PROVISIONING', { resume: true }), true);
    assert.equal(canTransition('RUNNING', 'SETUP', { resume: true }), false);
  });

  test('the message names both states and the job', () => {
    assert.throws(() => assertTransition('RUNNING', 'PENDING', '20240101-000000-abcdef'), {
      message: 'illegal transition RUNNING -> PENDING for job 20240101-000000-abcdef',
    });
  });

  test('isTerminal / isActive / nextStates', () => {
    for (const s of JOB_STATES) {
      assert.equal(isTerminal(s), TERMINAL.includes(s), s);
      assert.equal(isActive(s), !TERMINAL.includes(s), s);
      assert.deepEqual([...nextStates(s)].sort(), [...LEGAL[s]].sort(), s);
    }
  });
});
