import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { JobRecord } from '../../../src/core/jobs/types';
import { ferry, tempHome, waitFor } from '../../helpers/cli';
import { processesMentioning, startSshd, type Sshd } from '../../helpers/sshd';

// sshd is its own process, but keep the CLI asynchronous so the test can act while it runs.
const run = (args: string[], env: Record<string, string>) => ferry(args, env).done;

describe('ferry run --target ssh:<alias> against a real sshd', () => {
  const t = tempHome();
  let s: Sshd;
  let env: Record<string, string>;
  before(async () => {
    s = await startSshd();
    mkdirSync(path.join(t.home, 'remote'), { recursive: true });
    env = {
      FERRY_HOME: t.home,
      FERRY_SSH_CONFIG: s.configPath,
      FERRY_KNOWN_HOSTS: s.knownHostsPath,
      FERRY_SSH_REMOTE_BASE: path.join(t.home, 'remote'),
      SSH_AUTH_SOCK: '',
      STEP_SECONDS: '0',
    };
  });
  after(async () => {
    await s.stop();
    t.remove();
  });

  it('runs the quickstart on the host and brings its checkpoints and outputs home', async () => {
    const r = await run(['run', 'examples/quickstart', '--target', `ssh:${s.alias}`, '--json'], env);
    assert.equal(r.code, 0, r.stderr);
    const job = JSON.parse(r.stdout) as JobRecord;
    assert.equal(job.state, 'SUCCEEDED');
    assert.equal(job.target, `ssh:${s.alias}`);
    assert.equal(job.checkpoints.length, 6);
    for (const c of job.checkpoints) {
      const local = c.locations.find((l) => l.kind === 'local');
      assert.ok(local && existsSync(local.uri), c.name);
      assert.ok(c.locations.some((l) => l.kind === 'remote'));
    }
    assert.match(r.stderr, /final loss: \d/);
    assert.ok(existsSync(path.join(t.home, 'jobs', job.id, 'outputs', 'outputs', 'metrics.json')));
  });

  it('an unknown host key is refused without a terminal, and accepted with --accept-new-host-key', async () => {
    const empty = path.join(t.home, 'empty_known_hosts');
    writeFileSync(empty, '');
    const refused = await run(['run', 'examples/quickstart', '--target', `ssh:${s.alias}`, '--json'], { ...env, FERRY_KNOWN_HOSTS: empty });
    assert.equal(refused.code, 3, refused.stderr);
    assert.match(refused.stderr, /host key of testbox .* is unknown/);
    const ok = await run(['run', 'examples/quickstart', '--target', `ssh:${s.alias}`, '--accept-new-host-key', '--json'], { ...env, FERRY_KNOWN_HOSTS: empty });
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(readFileSync(empty, 'utf8'), /ssh-ed25519 /);
  });

  it('a killed controller leaves the job running on the host; a new one (logs -f) reattaches with no gap and no duplicate, and stop leaves nothing behind', async () => {
    const dir = path.join(t.home, 'ticks');
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'ferry.yaml'), `name: ticks\nrun: for i in $(seq 1 12); do echo "tick $i"; sleep 0.3; done\ntarget: ssh:${s.alias}\n`);
    const p = ferry(['run', dir], env);
    await waitFor(() => (/tick 3/.test(p.output()) ? true : undefined), 30_000, 'tick 3');
    p.child.kill('SIGKILL');
    await p.done;
    // Drop every SSH session too: the job must survive a killed connection as well.
    await s.killConnections();
    const follow = await run(['logs', '-f', 'ticks'], env);
    assert.equal(follow.code, 0, follow.stderr);
    assert.deepEqual(follow.stdout.match(/tick \d+/g), Array.from({ length: 12 }, (_, i) => `tick ${i + 1}`));
    const jobsDir = path.join(t.home, 'jobs');
    const id = readdirSync(jobsDir).find((n) => !n.startsWith('.') && (JSON.parse(readFileSync(path.join(jobsDir, n, 'job.json'), 'utf8')) as JobRecord).name === 'ticks')!;
    assert.equal((JSON.parse(readFileSync(path.join(jobsDir, id, 'job.json'), 'utf8')) as JobRecord).state, 'SUCCEEDED');

    // Stop: nothing of the job is left on the host.
    writeFileSync(path.join(dir, 'ferry.yaml'), `name: sleeper\nrun: echo started; sleep 300 # ferry-sleeper-marker\ntarget: ssh:${s.alias}\n`);
    const q = ferry(['run', dir], env);
    await waitFor(() => (/started/.test(q.output()) ? true : undefined), 30_000, 'the sleeper');
    const stop = await run(['stop', 'sleeper', '--grace', '2'], env);
    assert.equal(stop.code, 0, stop.stderr);
    assert.equal((await q.done).code, 130);
    assert.deepEqual(await processesMentioning('ferry-sleeper-marker', 3000), []);
  });
});
