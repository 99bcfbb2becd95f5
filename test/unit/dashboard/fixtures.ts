import type { OrphanInstance } from '../../../src/core/cost/dashboard';
import type { AttemptRecord, CheckpointRecord, JobRecord, JobState } from '../../../src/core/jobs/types';
import type { FerrySpec } from '../../../src/core/spec/types';
import { sampleSpec } from '../jobs/fixtures/sampleJob';

/**
 * Job records for the dashboard's tests (unit and browser), on a fixed clock. Times are UTC
 * (`Z`) so the arithmetic below holds on any machine; day and month boundaries are tested
 * with `utc: true`.
 */

export const NOW = new Date('2024-05-15T12:00:00.000Z');

export function at(hhmm: string, day = '2024-05-15'): string {
  return `${day}T${hhmm}:00.000Z`;
}

export function makeJob(p: Partial<JobRecord> & Pick<JobRecord, 'id' | 'name' | 'state'>, spec: Partial<FerrySpec> = {}): JobRecord {
  return {
    target: 'local',
    spec: { ...sampleSpec(p.name), ...spec },
    workdir: '/work/demo',
    attempts: [],
    checkpoints: [],
    outputs: [],
    exitCode: null,
    cost: 0,
    createdAt: p.attempts?.[0]?.startedAt ?? at('00:00'),
    updatedAt: at('12:00'),
    ...p,
  };
}

function attempt(n: number, p: Partial<AttemptRecord> & Pick<AttemptRecord, 'startedAt' | 'pricePerHour'>): AttemptRecord {
  return { n, target: 'local', ...p };
}

function ckpt(name: string, step: number, createdAt: string, attemptN: number, kinds: ('remote' | 'local' | 's3')[], sizeBytes = 48 * 1024 * 1024): CheckpointRecord {
  return {
    name,
    step,
    createdAt,
    sizeBytes,
    attempt: attemptN,
    locations: kinds.map((k) => ({
      kind: k,
      uri: k === 'local' ? `/home/me/.ferry/jobs/x/checkpoints/${name}` : k === 's3' ? `s3://ckpts/cifar/${name}` : `gpu-host:/root/.ferry/jobs/x/checkpoints/${name}`,
    })),
  };
}

/**
 * A spot job on Vast.ai, preempted twice (vast -> runpod -> vast), still running, with
 * checkpoints in three places. Cost: 0.40 x 1h + 0.44 x 50min + 0.42 x 115min = $1.571666...
 */
export function preemptedJob(): JobRecord {
  return makeJob(
    {
      id: '20240515-075800-a1b2c3',
      name: 'cifar-resnet',
      state: 'RUNNING',
      target: 'cheapest',
      startedAt: at('07:58'),
      attempts: [
        attempt(1, { target: 'vast', offer: { provider: 'vast', id: 'v-1', gpu: 'RTX 4090' }, instanceId: 'i-101', pricePerHour: 0.4, startedAt: at('08:00'), endedAt: at('09:00'), exitReason: 'preempted' }),
        attempt(2, { target: 'runpod', offer: { provider: 'runpod', id: 'r-7', gpu: 'RTX 4090' }, instanceId: 'p-202', pricePerHour: 0.44, startedAt: at('09:10'), endedAt: at('10:00'), exitReason: 'preempted', resumeFrom: 'ckpt-000100.pt' }),
        attempt(3, { target: 'vast', offer: { provider: 'vast', id: 'v-9', gpu: 'RTX 4090' }, instanceId: 'i-303', pricePerHour: 0.42, startedAt: at('10:05'), resumeFrom: 'ckpt-000200.pt' }),
      ],
      checkpoints: [
        ckpt('ckpt-000100.pt', 100, at('08:30'), 1, ['remote', 's3']),
        ckpt('ckpt-000200.pt', 200, at('09:40'), 2, ['s3', 'local']),
        ckpt('ckpt-000300.pt', 300, at('11:00'), 3, ['remote', 's3', 'local']),
      ],
    },
    {
      resources: { spot: 'spot', gpu: { names: ['RTX 4090'], memoryGb: {}, count: { min: 1, max: 1 }, raw: 'RTX4090:1' } },
      budget: { max_cost: 5, max_duration: 6 * 3600 },
    },
  );
}

export const PREEMPTED_JOB_COST = 0.4 + (0.44 * 50) / 60 + (0.42 * 115) / 60;

/** On-demand on Lambda, finished: 6 h x $1.29 = $7.74, across midnight (May 14 -> 15). */
export function finishedCloudJob(): JobRecord {
  return makeJob(
    {
      id: '20240514-200000-d4e5f6',
      name: 'llama-lora',
      state: 'SUCCEEDED',
      target: 'lambda',
      startedAt: at('19:58', '2024-05-14'),
      endedAt: at('02:00'),
      exitCode: 0,
      attempts: [
        attempt(1, { target: 'lambda', offer: { provider: 'lambda', id: 'gpu_1x_a100', gpu: 'A100 80GB' }, instanceId: 'l-1', pricePerHour: 1.29, startedAt: at('20:00', '2024-05-14'), endedAt: at('02:00'), exitReason: 'exit 0' }),
      ],
      checkpoints: [ckpt('epoch-1', 1, at('23:00', '2024-05-14'), 1, ['s3']), ckpt('epoch-2', 2, at('01:55'), 1, ['local', 's3'])],
    },
    { resources: { spot: 'on-demand' }, budget: { max_cost: 20 } },
  );
}

/** The quickstart on this machine, free. */
export function localJob(): JobRecord {
  return makeJob({
    id: '20240515-110000-0a0b0c',
    name: 'quickstart',
    state: 'SUCCEEDED',
    target: 'local',
    startedAt: at('11:00'),
    endedAt: at('11:01'),
    exitCode: 0,
    attempts: [attempt(1, { target: 'local', pricePerHour: 0, startedAt: at('11:00'), endedAt: at('11:01'), exitReason: 'exit 0' })],
    checkpoints: [1, 2, 3].map((i) => ckpt(`ckpt-00000${i}.json`, i, `2024-05-15T11:00:${String(i * 15).padStart(2, '0')}.000Z`, 1, ['local'], 2048)),
  });
}

export function threeJobs(): JobRecord[] {
  // The store's order: newest first.
  return [localJob(), preemptedJob(), finishedCloudJob()];
}

export const ORPHAN: OrphanInstance = { provider: 'vast', instanceId: 'i-999', pricePerHour: 0.35, since: at('06:00'), reason: 'running on Vast.ai, not in the job store' };

/** 200 jobs with 10 checkpoints each (2,000), spread over 30 days: the render benchmark's state. */
export function manyJobs(count = 200, perJob = 10): JobRecord[] {
  const jobs: JobRecord[] = [];
  const providers = ['vast', 'runpod', 'lambda'];
  const states: JobState[] = ['SUCCEEDED', 'FAILED', 'CANCELLED', 'SUCCEEDED', 'RUNNING'];
  for (let i = 0; i < count; i++) {
    const start = NOW.getTime() - (i + 1) * 3.5 * 3_600_000;
    const state = states[i % states.length] ?? 'SUCCEEDED';
    const provider = providers[i % providers.length] ?? 'vast';
    const end = state === 'RUNNING' ? undefined : new Date(start + 3 * 3_600_000).toISOString();
    const iso = new Date(start).toISOString();
    const id = `20240501-${String(100000 + i)}-${(0xa00000 + i).toString(16)}`;
    jobs.push(
      makeJob(
        {
          id,
          name: `sweep-${String(i).padStart(3, '0')}`,
          state,
          target: provider,
          startedAt: iso,
          ...(end ? { endedAt: end } : {}),
          attempts: [attempt(1, { target: provider, offer: { provider, id: `o-${i}`, gpu: i % 2 ? 'A100 80GB' : 'RTX 4090' }, pricePerHour: 0.3 + (i % 7) * 0.2, startedAt: iso, ...(end ? { endedAt: end } : {}) })],
          checkpoints: Array.from({ length: perJob }, (_, k) =>
            ckpt(`ckpt-${String((k + 1) * 100).padStart(6, '0')}.pt`, (k + 1) * 100, new Date(start + (k + 1) * 15 * 60_000).toISOString(), 1, k % 2 ? ['remote', 's3'] : ['local', 's3']),
          ),
        },
        { budget: { max_cost: 10 } },
      ),
    );
  }
  return jobs;
}
