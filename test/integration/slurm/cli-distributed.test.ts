/**
 * `ferry run examples/distributed --target slurm:<alias>` through the built CLI, against a real
 * Slurm (slurmctld + two slurmd on this machine, munge auth) whose login node is a real sshd on
 * loopback. Skipped, with the reason, where slurm-wlm and munge are not installed or the tests
 * do not run as root.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { JobRecord } from '../../../src/core/jobs/types';
import type { Offer } from '../../../src/core/offers/types';
import { ferry, tempHome } from '../../helpers/cli';
import { slurmMissing, startSlurm, type Slurm } from '../../helpers/slurm';
import { startSshd, type Sshd } from '../../helpers/sshd';

// Slurm and sshd are children of this test process: the CLI must run asynchronously.
const run = (args: string[], env: Record<string, string>) => ferry(args, env).done;

describe('ferry run examples/distributed --target slurm:<alias> on a real Slurm', { skip: slurmMissing() }, () => {
  const t = tempHome('ferry-slurm-cli-');
  let slurm: Slurm | undefined;
  let sshd: Sshd | undefined;
  let env: Record<string, string>;

  before(async () => {
    slurm = await startSlurm({ nodes: 2 });
    sshd = await startSshd({ sshdConfig: slurm.sshdConfigLines() });
    const cluster = path.join(t.home, 'cluster');
    mkdirSync(cluster, { recursive: true });
    env = {
      FERRY_HOME: path.join(t.home, 'home'),
      FERRY_SSH_CONFIG: sshd.configPath,
      FERRY_KNOWN_HOSTS: sshd.knownHostsPath,
      FERRY_SSH_REMOTE_BASE: cluster,
      FERRY_SLURM_REMOTE_BASE: cluster,
      SSH_AUTH_SOCK: '',
      STEP_SECONDS: '0',
    };
  });

  after(async () => {
    await sshd?.stop();
    await slurm?.stop();
    t.remove();
  });

  it('runs on both nodes, both ranks report and agree on the master, the checkpoint comes home', async () => {
    assert.ok(slurm && sshd);
    const r = await run(['run', 'examples/distributed', '--target', `slurm:${sshd.alias}`, '--json'], env);
    assert.equal(r.code, 0, `${r.stderr}\n${slurm.log()}`);
    const job = JSON.parse(r.stdout) as JobRecord;
    assert.equal(job.state, 'SUCCEEDED', `${job.error ?? ''}\n${r.stderr}`);
    assert.equal(job.target, `slurm:${sshd.alias}`);
    assert.equal(job.attempts.length, 1);
    assert.match(String(job.attempts[0]?.instanceId), /^\d+$/, 'the Slurm job id is the attempt\'s instance');

    const logs = await run(['logs', job.id], env);
    assert.equal(logs.code, 0, logs.stderr);
    const ranks = [...logs.stdout.matchAll(/^rank (\d+) of (\d+) \(master (\S+):(\d+)\)/gm)];
    assert.deepEqual(ranks.map((m) => m[1]).sort(), ['0', '1'], logs.stdout);
    assert.ok(ranks.every((m) => m[2] === '2'), logs.stdout);
    assert.equal(new Set(ranks.map((m) => `${m[3]}:${m[4]}`)).size, 1, `ranks disagree on the master: ${logs.stdout}`);
    // Both ranks end with the same parameters (as after an all-reduce), each on its own line.
    const done = [...logs.stdout.matchAll(/^rank (\d) done: (w=\S+ b=\S+) \(world 2\)$/gm)];
    assert.deepEqual(done.map((m) => m[1]).sort(), ['0', '1'], logs.stdout);
    assert.equal(new Set(done.map((m) => m[2])).size, 1, logs.stdout);
    assert.match(logs.stdout, /rank 0 checkpoint saved: ckpt-000005\.json/);
    assert.doesNotMatch(logs.stdout, /rank 1 checkpoint saved/);

    // Only rank 0 checkpoints; it comes home.
    assert.deepEqual(job.checkpoints.map((c) => c.name), ['ckpt-000005.json']);
    const local = job.checkpoints[0]?.locations.find((l) => l.kind === 'local');
    assert.ok(local && existsSync(local.uri), JSON.stringify(job.checkpoints));
    const ckpt = JSON.parse(readFileSync(local.uri, 'utf8')) as { step: number; world: number };
    assert.equal(ckpt.step, 5);
    assert.equal(ckpt.world, 2);

    // Nothing of the job is left in the queue.
    assert.equal(slurm.cmd(['squeue', '-h', '-o', '%i']).trim(), '');
  });

  it('a cluster configured in slurm_prices is in `ferry offers`, its partition from sinfo over SSH', async () => {
    assert.ok(sshd);
    mkdirSync(env.FERRY_HOME as string, { recursive: true });
    writeFileSync(path.join(env.FERRY_HOME as string, 'config.yaml'), `slurm_prices: {${sshd.alias}: 0.5}\n`);
    const r = await run(['offers', '--provider', 'slurm', '--json'], env);
    assert.equal(r.code, 0, r.stderr);
    const offers = JSON.parse(r.stdout) as Offer[];
    assert.deepEqual(
      offers.map((o) => [o.provider, o.id, o.instanceType, o.cpus, o.available]),
      [['slurm', `slurm:${sshd.alias}:gpu`, 'gpu* (2/2 nodes idle)', 2, true]],
    );
  });

  it('a job over its Slurm time limit ends as a timeout with the reason kept (about 1-2 minutes: Slurm limits are whole minutes)', { timeout: 240_000 }, async () => {
    assert.ok(slurm && sshd);
    const dir = path.join(t.home, 'overtime');
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'ferry.yaml'), `name: overtime\nrun: echo started; sleep 600\nslurm: {partition: gpu, time: 1m}\ntarget: slurm:${sshd.alias}\n`);
    const r = await run(['run', dir, '--json'], env);
    const job = JSON.parse(r.stdout) as JobRecord;
    assert.equal(job.state, 'FAILED', r.stderr);
    assert.match(job.error ?? '', /time limit/i);
    assert.equal(slurm.cmd(['squeue', '-h', '-o', '%i']).trim(), '');
  });
});
