import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  attemptCost,
  attemptCostBetween,
  attemptProvider,
  burnRate,
  formatUsd,
  jobCost,
  summarizeCost,
} from '../../../src/core/cost/meter';
import type { AttemptRecord, JobRecord, JobState } from '../../../src/core/jobs/types';
import { sampleSpec } from '../jobs/fixtures/sampleJob';

const NOW = new Date('2024-05-15T12:00:00.000Z');

function attempt(p: Partial<AttemptRecord> & Pick<AttemptRecord, 'startedAt' | 'pricePerHour'>): AttemptRecord {
  return { n: 1, target: 'local', ...p };
}

function job(id: string, state: JobState, attempts: AttemptRecord[], target = 'local'): JobRecord {
  return {
    id,
    name: `job-${id}`,
    state,
    target,
    spec: sampleSpec(),
    workdir: '/w',
    attempts,
    checkpoints: [],
    outputs: [],
    exitCode: null,
    cost: 0,
    createdAt: '2024-05-01T00:00:00.000Z',
    updatedAt: '2024-05-01T00:00:00.000Z',
  };
}

const close = (a: number, b: number): boolean => Math.abs(a - b) < 1e-9;

describe('attemptCost / jobCost', () => {
  test('price x hours of a closed interval', () => {
    const a = attempt({ pricePerHour: 2, startedAt: '2024-05-15T10:00:00.000Z', endedAt: '2024-05-15T10:30:00.000Z' });
    assert.ok(close(attemptCost(a, NOW), 1));
  });

  test('an open attempt runs until now', () => {
    const a = attempt({ pricePerHour: 0.5, startedAt: '2024-05-15T09:00:00.000Z' });
    assert.ok(close(attemptCost(a, NOW), 1.5));
  });

  test('bad or missing dates and prices count 0, never NaN', () => {
    const cases: AttemptRecord[] = [
      attempt({ pricePerHour: 1, startedAt: 'yesterday' }),
      attempt({ pricePerHour: 1, startedAt: '', endedAt: '2024-05-15T10:00:00.000Z' }),
      attempt({ pricePerHour: 1, startedAt: '2024-05-15T10:00:00.000Z', endedAt: 'not a date' }),
      attempt({ pricePerHour: 1, startedAt: '2024-05-15T11:00:00.000Z', endedAt: '2024-05-15T10:00:00.000Z' }),
      attempt({ pricePerHour: Number.NaN, startedAt: '2024-05-15T10:00:00.000Z' }),
      attempt({ pricePerHour: -3, startedAt: '2024-05-15T10:00:00.000Z' }),
      attempt({ pricePerHour: Number.POSITIVE_INFINITY, startedAt: '2024-05-15T10:00:00.000Z' }),
      { n: 1, target: 'local', startedAt: '2024-05-15T10:00:00.000Z' } as unknown as AttemptRecord,
      attempt({ pricePerHour: 1, startedAt: '2024-05-15T13:00:00.000Z' }), // starts after now
    ];
    for (const a of cases) assert.equal(attemptCost(a, NOW), 0, JSON.stringify(a));
    assert.equal(jobCost(job('x', 'RUNNING', cases), NOW), 0);
    assert.equal(jobCost({ attempts: undefined } as unknown as JobRecord, NOW), 0);
  });

  test('jobCost sums attempts', () => {
    const j = job('x', 'RUNNING', [
      attempt({ pricePerHour: 1, startedAt: '2024-05-15T08:00:00.000Z', endedAt: '2024-05-15T09:00:00.000Z' }),
      attempt({ n: 2, pricePerHour: 'oops' as unknown as number, startedAt: '2024-05-15T09:00:00.000Z' }),
      attempt({ n: 3, pricePerHour: 3, startedAt: '2024-05-15T11:00:00.000Z' }),
    ]);
    assert.ok(close(jobCost(j, NOW), 4));
  });

  test('attemptCostBetween clips to the window', () => {
    const a = attempt({ pricePerHour: 4, startedAt: '2024-05-15T08:00:00.000Z', endedAt: '2024-05-15T10:00:00.000Z' });
    const from = Date.parse('2024-05-15T09:30:00.000Z');
    assert.ok(close(attemptCostBetween(a, from, NOW.getTime(), NOW), 2));
    assert.equal(attemptCostBetween(a, Date.parse('2024-05-15T10:00:00.000Z'), NOW.getTime(), NOW), 0);
  });
});

describe('burnRate', () => {
  test('sums open attempts of active jobs only', () => {
    const jobs = [
      job('a', 'RUNNING', [
        attempt({ pricePerHour: 9, startedAt: '2024-05-15T08:00:00.000Z', endedAt: '2024-05-15T09:00:00.000Z' }),
        attempt({ n: 2, pricePerHour: 1.25, startedAt: '2024-05-15T09:00:00.000Z' }),
      ]),
      job('b', 'PROVISIONING', [attempt({ pricePerHour: 0.75, startedAt: '2024-05-15T11:00:00.000Z' })]),
      job('c', 'FAILED', [attempt({ pricePerHour: 100, startedAt: '2024-05-15T11:00:00.000Z' })]),
      job('d', 'RECOVERING', [attempt({ pricePerHour: Number.NaN, startedAt: '2024-05-15T11:00:00.000Z' })]),
      job('e', 'PENDING', []),
    ];
    assert.equal(burnRate(jobs), 2);
    assert.equal(burnRate([]), 0);
  });
});

describe('summarizeCost', () => {
  const jobs: JobRecord[] = [
    // ran yesterday 22:00-02:00 today at $1/h, on vast; then locally for free
    job(
      'a',
      'SUCCEEDED',
      [
        attempt({
          pricePerHour: 1,
          target: 'vast',
          offer: { provider: 'vast', id: 'o1' },
          startedAt: '2024-05-14T22:00:00.000Z',
          endedAt: '2024-05-15T02:00:00.000Z',
        }),
        attempt({ n: 2, pricePerHour: 0, startedAt: '2024-05-15T03:00:00.000Z', endedAt: '2024-05-15T04:00:00.000Z' }),
      ],
      'vast',
    ),
    // running since 10:00 on an ssh box at $2/h
    job('b', 'RUNNING', [attempt({ pricePerHour: 2, target: 'ssh:box', startedAt: '2024-05-15T10:00:00.000Z' })], 'ssh:box'),
    // last month, on runpod
    job(
      'c',
      'FAILED',
      [
        attempt({
          pricePerHour: 3,
          target: 'runpod',
          offer: { provider: 'runpod', id: 'x' },
          startedAt: '2024-04-30T23:00:00.000Z',
          endedAt: '2024-05-01T01:00:00.000Z',
        }),
      ],
      'runpod',
    ),
    // never ran
    job('d', 'PENDING', []),
  ];

  test('all time: totals, today, month, per job, per provider, burn rate', () => {
    const s = summarizeCost(jobs, { now: NOW, utc: true });
    assert.ok(close(s.total, 4 + 4 + 6));
    assert.ok(close(s.today, 2 + 4), `today ${s.today}`);
    assert.ok(close(s.month, 4 + 4 + 3), `month ${s.month}`);
    assert.deepEqual(
      s.perJob.map((j) => [j.id, j.cost]),
      [
        ['c', 6],
        ['b', 4],
        ['a', 4],
      ],
    );
    assert.deepEqual(s.perJob[0], { id: 'c', name: 'job-c', target: 'runpod', state: 'FAILED', cost: 6 });
    assert.deepEqual(s.perProvider, { vast: 4, local: 0, 'ssh:box': 4, runpod: 6 });
    assert.equal(s.burnRatePerHour, 2);
  });

  test('since: only the part of an interval inside [since, now] counts', () => {
    const s = summarizeCost(jobs, { now: NOW, since: new Date('2024-05-15T01:00:00.000Z'), utc: true });
    assert.ok(close(s.total, 1 + 4));
    assert.deepEqual(
      s.perJob.map((j) => [j.id, j.cost]),
      [
        ['b', 4],
        ['a', 1],
      ],
    );
    assert.deepEqual(s.perProvider, { vast: 1, local: 0, 'ssh:box': 4 });
    // today and month do not depend on since
    assert.ok(close(s.today, 6));
    assert.ok(close(s.month, 11));
  });

  test('an empty store costs nothing', () => {
    assert.deepEqual(summarizeCost([], { now: NOW }), { total: 0, today: 0, month: 0, perJob: [], perProvider: {}, burnRatePerHour: 0 });
  });

  test('local-time day boundary by default', () => {
    const localMidnight = new Date(NOW.getFullYear(), NOW.getMonth(), NOW.getDate()).getTime();
    const j = job('z', 'SUCCEEDED', [
      attempt({ pricePerHour: 1, startedAt: new Date(localMidnight - 3_600_000).toISOString(), endedAt: new Date(localMidnight + 3_600_000).toISOString() }),
    ]);
    const s = summarizeCost([j], { now: new Date(localMidnight + 2 * 3_600_000) });
    assert.ok(close(s.today, 1));
    assert.ok(close(s.total, 2));
  });

  test('attemptProvider falls back to the attempt target, then the job target', () => {
    const j = job('p', 'RUNNING', [], 'ssh:gpu');
    assert.equal(attemptProvider(attempt({ pricePerHour: 1, startedAt: '', offer: { provider: 'lambda', id: '1' } }), j), 'lambda');
    assert.equal(attemptProvider(attempt({ pricePerHour: 1, startedAt: '', target: 'ssh:gpu' }), j), 'ssh:gpu');
    assert.equal(attemptProvider({ n: 1, pricePerHour: 1, startedAt: '', target: '' }, j), 'ssh:gpu');
  });
});

describe('formatUsd', () => {
  test('rounds for display only', () => {
    assert.equal(formatUsd(0.41), '$0.41');
    assert.equal(formatUsd(0.405), '$0.41');
    assert.equal(formatUsd(0), '$0.00');
    assert.equal(formatUsd(0.004), '<$0.01');
    assert.equal(formatUsd(0.0000001), '<$0.01');
    assert.equal(formatUsd(0.005), '$0.01');
    assert.equal(formatUsd(12), '$12.00');
    assert.equal(formatUsd(1234.5), '$1,234.50');
    assert.equal(formatUsd(Number.NaN), '$0.00');
  });
});
