import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { JobRecord } from '../../../src/core/jobs/types';
import type { Logger } from '../../../src/core/util/logger';
import { DashboardController, jobIdFromArg, type DashboardActions } from '../../../src/extension/dashboard/controller';
import { contentSecurityPolicy, dashboardHtml } from '../../../src/extension/dashboard/html';
import { parseUiState, parseWebviewMessage, type HostToWebview } from '../../../src/shared/dashboardProtocol';
import { NOW, threeJobs } from './fixtures';

interface Harness {
  c: DashboardController;
  posted: HostToWebview[];
  calls: string[];
  warnings: string[];
  jobs: JobRecord[];
  states(): Extract<HostToWebview, { type: 'state' }>[];
  acks(): Extract<HostToWebview, { type: 'ack' }>[];
}

function harness(opts: { minPushIntervalMs?: number; failResume?: boolean } = {}): Harness {
  const jobs = threeJobs();
  const posted: HostToWebview[] = [];
  const calls: string[] = [];
  const warnings: string[] = [];
  const logger: Logger = { debug() {}, info() {}, warn: (m) => warnings.push(m), error: (m) => warnings.push(m) };
  const actions: DashboardActions = {
    resumeFrom: async (j, c) => {
      calls.push(`resume ${j} ${c}`);
      if (opts.failResume) throw new Error('no target for this job');
    },
    downloadCheckpoint: async (j, c) => void calls.push(`download ${j} ${c}`),
    reveal: async (p) => void calls.push(`reveal ${p}`),
    openJobLogs: async (j) => void calls.push(`logs ${j}`),
    runLocally: async () => void calls.push('runLocally'),
  };
  const c = new DashboardController({
    store: { list: async () => structuredClone(jobs), get: async (id) => structuredClone(jobs.find((j) => j.id === id)) },
    logger,
    post: (m) => {
      posted.push(structuredClone(m));
      return true;
    },
    actions,
    now: () => NOW,
    minPushIntervalMs: opts.minPushIntervalMs ?? 500,
    tickMs: 0,
    settings: () => ({ monthlyCap: 50 }),
  });
  return {
    c,
    posted,
    calls,
    warnings,
    jobs,
    states: () => posted.filter((m): m is Extract<HostToWebview, { type: 'state' }> => m.type === 'state'),
    acks: () => posted.filter((m): m is Extract<HostToWebview, { type: 'ack' }> => m.type === 'ack'),
  };
}

const [LOCAL, RUNNING, FINISHED] = threeJobs().map((j) => j.id) as [string, string, string];

async function ready(h: Harness, ui?: object): Promise<void> {
  await h.c.handleMessage({ type: 'ready', requestId: 'r0', ...(ui ? { ui } : {}) });
  await h.c.idle();
}

describe('dashboard host: the ready handshake and pushes', () => {
  test('nothing is pushed before ready; ready gets the whole state, for the range the webview kept', async () => {
    const h = harness();
    h.c.schedulePush();
    await h.c.idle();
    assert.equal(h.posted.length, 0);
    await ready(h, { range: '30d', selectedJobId: FINISHED, sort: { key: 'cost', dir: 'desc' } });
    const [s] = h.states();
    assert.equal(h.states().length, 1);
    assert.equal(s?.state.range, '30d');
    assert.equal(s?.state.jobs.length, 3);
    assert.equal(s?.state.caps[0]?.cap.text, '$50.00');
    assert.deepEqual(h.c.uiState, { range: '30d', selectedJobId: FINISHED, sort: { key: 'cost', dir: 'desc' } });
    h.c.dispose();
  });

  test('a burst of store changes becomes at most 2 pushes a second, the last change included', async () => {
    const h = harness();
    await ready(h);
    const t0 = Date.now();
    const end = t0 + 1200;
    let n = 0;
    while (Date.now() < end) {
      h.jobs[0]!.name = `quickstart-${++n}`;
      h.c.schedulePush();
      await new Promise((r) => setTimeout(r, 10));
    }
    await h.c.idle();
    const pushes = h.states().length - 1;
    // 1.2 s of changes after the ready push: at most one push per 500 ms window.
    assert.ok(pushes >= 2 && pushes <= 3, `${pushes} pushes for ${n} changes`);
    assert.equal(h.states().at(-1)?.state.jobs[0]?.name, `quickstart-${n}`, 'the last change is shown');
    h.c.dispose();
  });

  test('setRange re-pushes for the new range; selecting a charted job does not', async () => {
    const h = harness({ minPushIntervalMs: 0 });
    await ready(h);
    await h.c.handleMessage({ type: 'setRange', requestId: 'r1', range: '24h' });
    await h.c.idle();
    assert.equal(h.states().at(-1)?.state.range, '24h');
    const before = h.states().length;
    await h.c.handleMessage({ type: 'selectJob', requestId: 'r2', jobId: RUNNING });
    await h.c.idle();
    assert.equal(h.states().length, before);
    assert.equal(h.c.uiState.selectedJobId, RUNNING);
    h.c.dispose();
  });

  test('a hidden panel is not pushed to; it reloads and says ready again', async () => {
    const h = harness({ minPushIntervalMs: 0 });
    await ready(h);
    h.c.setVisible(false);
    h.c.schedulePush();
    await h.c.idle();
    assert.equal(h.states().length, 1);
    h.c.setVisible(true);
    await h.c.idle();
    assert.equal(h.states().length, 1, 'waits for the reloaded webview');
    await ready(h);
    assert.equal(h.states().length, 2);
    h.c.dispose();
  });

  test('a selection from the host (the Jobs tree) goes out after the first state', async () => {
    const h = harness();
    h.c.select(FINISHED);
    await ready(h, { selectedJobId: null });
    assert.deepEqual(
      h.posted.map((m) => m.type),
      ['state', 'selected'],
    );
    assert.deepEqual(h.posted[1], { type: 'selected', jobId: FINISHED });
    h.c.dispose();
  });
});

describe('dashboard host: requests are validated before anything happens', () => {
  const bad: [string, unknown][] = [
    ['not an object', 'resumeFrom'],
    ['null', null],
    ['unknown type', { type: 'deleteAllJobs', requestId: 'x' }],
    ['no request id', { type: 'resumeFrom', jobId: FINISHED, checkpoint: 'epoch-1' }],
    ['empty request id', { type: 'resumeFrom', requestId: '', jobId: FINISHED, checkpoint: 'epoch-1' }],
    ['a path as job id', { type: 'resumeFrom', requestId: 'x', jobId: '../../etc', checkpoint: 'epoch-1' }],
    ['a path as checkpoint', { type: 'revealCheckpoint', requestId: 'x', jobId: FINISHED, checkpoint: '../../../etc/passwd' }],
    ['dot-dot checkpoint', { type: 'downloadCheckpoint', requestId: 'x', jobId: FINISHED, checkpoint: '..' }],
    ['an extra key', { type: 'revealCheckpoint', requestId: 'x', jobId: FINISHED, checkpoint: 'epoch-2', path: '/etc' }],
    ['a wrong range', { type: 'setRange', requestId: 'x', range: '1y' }],
    ['a number as job id', { type: 'openJobLogs', requestId: 'x', jobId: 7 }],
    ['a bad saved UI state', { type: 'ready', requestId: 'x', ui: { range: 'forever' } }],
  ];
  for (const [what, msg] of bad) {
    test(`rejected: ${what}`, async () => {
      const h = harness({ minPushIntervalMs: 0 });
      await h.c.handleMessage(msg);
      await h.c.idle();
      assert.deepEqual(h.calls, [], 'no action ran');
      assert.deepEqual(h.posted, [], 'nothing posted (not even a state for a bad ready)');
      assert.equal(h.warnings.length, 1);
      assert.match(h.warnings[0] ?? '', /ignored a malformed message/);
      h.c.dispose();
    });
  }

  test('parseWebviewMessage says what was wrong', () => {
    const r = parseWebviewMessage({ type: 'resumeFrom', requestId: 'x', jobId: '../x', checkpoint: 'a/b' });
    assert.equal(r.ok, false);
    assert.match(r.ok ? '' : r.error, /^resumeFrom: .*jobId: not a job id.*checkpoint: not a checkpoint name/);
    assert.deepEqual(parseUiState({ range: '24h', junk: 1 }), { range: '24h' });
    assert.deepEqual(parseUiState('nonsense'), {});
  });
});

describe('dashboard host: actions', () => {
  test('resume from a checkpoint of a finished job runs the command and acks', async () => {
    const h = harness();
    await h.c.handleMessage({ type: 'resumeFrom', requestId: 'q1', jobId: FINISHED, checkpoint: 'epoch-1' });
    assert.deepEqual(h.calls, [`resume ${FINISHED} epoch-1`]);
    assert.deepEqual(h.acks(), [{ type: 'ack', requestId: 'q1', ok: true }]);
  });

  test('resume of a running job, or from a checkpoint it does not have, is refused with a reason', async () => {
    const h = harness();
    await h.c.handleMessage({ type: 'resumeFrom', requestId: 'q1', jobId: RUNNING, checkpoint: 'ckpt-000300.pt' });
    await h.c.handleMessage({ type: 'resumeFrom', requestId: 'q2', jobId: FINISHED, checkpoint: 'epoch-9' });
    await h.c.handleMessage({ type: 'openJobLogs', requestId: 'q3', jobId: '20990101-000000-ffffff' });
    assert.deepEqual(h.calls, []);
    const acks = h.acks();
    assert.deepEqual(
      acks.map((a) => [a.requestId, a.ok]),
      [
        ['q1', false],
        ['q2', false],
        ['q3', false],
      ],
    );
    assert.match(acks[0]?.message ?? '', /cifar-resnet is RUNNING/);
    assert.match(acks[1]?.message ?? '', /no checkpoint epoch-9/);
    assert.match(acks[2]?.message ?? '', /no job with id/);
  });

  test('reveal uses the local path from the job record; download needs a copy elsewhere', async () => {
    const h = harness();
    await h.c.handleMessage({ type: 'revealCheckpoint', requestId: 'a', jobId: RUNNING, checkpoint: 'ckpt-000300.pt' });
    await h.c.handleMessage({ type: 'revealCheckpoint', requestId: 'b', jobId: RUNNING, checkpoint: 'ckpt-000100.pt' });
    await h.c.handleMessage({ type: 'downloadCheckpoint', requestId: 'c', jobId: RUNNING, checkpoint: 'ckpt-000100.pt' });
    await h.c.handleMessage({ type: 'downloadCheckpoint', requestId: 'd', jobId: LOCAL, checkpoint: 'ckpt-000001.json' });
    await h.c.handleMessage({ type: 'openJobLogs', requestId: 'e', jobId: LOCAL });
    await h.c.handleMessage({ type: 'runLocally', requestId: 'f' });
    assert.deepEqual(h.calls, [`reveal /home/me/.ferry/jobs/x/checkpoints/ckpt-000300.pt`, `download ${RUNNING} ckpt-000100.pt`, `logs ${LOCAL}`, 'runLocally']);
    assert.deepEqual(
      h.acks().map((a) => [a.requestId, a.ok]),
      [
        ['a', true],
        ['b', false],
        ['c', true],
        ['d', false],
        ['e', true],
        ['f', true],
      ],
    );
  });

  test('a failing command acks with its message and is logged', async () => {
    const h = harness({ failResume: true });
    await h.c.handleMessage({ type: 'resumeFrom', requestId: 'z', jobId: FINISHED, checkpoint: 'epoch-2' });
    assert.deepEqual(h.acks(), [{ type: 'ack', requestId: 'z', ok: false, message: 'no target for this job' }]);
    assert.match(h.warnings[0] ?? '', /resumeFrom failed: no target/);
  });
});

describe('ferry.openDashboard arguments', () => {
  test('an id, a Jobs-tree node, something with job.id; anything else opens without a selection', () => {
    assert.equal(jobIdFromArg('20240515-075800-a1b2c3'), '20240515-075800-a1b2c3');
    assert.equal(jobIdFromArg({ kind: 'job', jobId: 'j1' }), 'j1');
    assert.equal(jobIdFromArg({ kind: 'checkpoint', jobId: 'j2', name: 'c' }), 'j2');
    assert.equal(jobIdFromArg({ job: { id: 'j3' } }), 'j3');
    for (const x of [undefined, null, 7, {}, { kind: 'message', id: 'no-providers' }, { job: null }]) assert.equal(jobIdFromArg(x), undefined);
  });
});

describe('dashboard html', () => {
  test('a strict CSP: nonce-only scripts, local styles, nothing inline, no network', () => {
    const html = dashboardHtml({ cspSource: 'https://file+.vscode-resource.vscode-cdn.net', scriptUri: 'https://x/dashboard.js', styleUri: 'https://x/dashboard.css', nonce: 'abc123==' });
    const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html)?.[1] ?? '';
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /script-src 'nonce-abc123=='(;|$)/);
    assert.match(csp, /style-src https:\/\/file\+\.vscode-resource\.vscode-cdn\.net(;|$)/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|\*/);
    assert.match(html, /<script nonce="abc123==" src="https:\/\/x\/dashboard.js"><\/script>/);
    assert.doesNotMatch(html, /<style|\sstyle="|\son\w+="/);
    assert.equal((html.match(/<script/g) ?? []).length, 1);
  });

  test('a new random nonce for every page', () => {
    const nonces = new Set(Array.from({ length: 20 }, () => /'nonce-([^']+)'/.exec(dashboardHtml({ cspSource: 'x', scriptUri: 's', styleUri: 'c' }))?.[1]));
    assert.equal(nonces.size, 20);
    for (const n of nonces) assert.ok(n && Buffer.from(n, 'base64').length === 16);
    assert.equal(contentSecurityPolicy('src', 'n').includes("connect-src 'none'"), true);
  });
});
