import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs, mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { checkpointsDir } from '../../../src/core/jobs/paths';
import { runJob } from '../../../src/core/jobs/runner';
import { JobStore } from '../../../src/core/jobs/store';
import { SshPool } from '../../../src/core/remote/pool';
import { loadSpec } from '../../../src/core/spec';
import { SshTarget } from '../../../src/core/targets/ssh';
import { nullLogger } from '../../../src/core/util/logger';
import { processesMentioning, startSshd, type Sshd } from '../../helpers/sshd';

let s: Sshd;
let tmp: string;
const pool = new SshPool({ agentSocket: null });

before(async () => {
  s = await startSshd();
  tmp = mkdtempSync(path.join(os.tmpdir(), 'ferry-runner-ssh-'));
});

after(async () => {
  pool.closeAll();
  await s?.stop();
  rmSync(tmp, { recursive: true, force: true });
});

test('examples/quickstart runs on ssh:<alias> through the job runner; checkpoints and outputs come home', async () => {
  const loaded = await loadSpec(path.resolve(__dirname, '../../../examples/quickstart'));
  const spec = { ...loaded.spec, target: `ssh:${s.alias}` as const, env: { ...loaded.spec.env, STEPS: '20', CHECKPOINT_EVERY: '5', STEP_SECONDS: '0.02' } };
  const home = path.join(tmp, 'home');
  const store = new JobStore(home);
  const job = await store.create({ name: spec.name, target: spec.target, spec, specFile: loaded.file, workdir: spec.workdir });
  const target = new SshTarget({ alias: s.alias, configPath: s.configPath, knownHostsPath: s.knownHostsPath, remoteBase: path.join(tmp, 'remote'), pool, pollMs: 100 });
  let logged = '';
  const final = await runJob(job.id, { store, home, target, logger: nullLogger, pollMs: 100, onLog: (b) => (logged += b.toString('utf8')) });
  assert.equal(final.state, 'SUCCEEDED', `${final.error ?? ''}\n${logged}`);
  assert.equal(final.exitCode, 0);
  const names = (await fs.readdir(checkpointsDir(home, job.id))).filter((n) => !n.startsWith('.')).sort();
  assert.ok(names.length >= 4, `checkpoints at home: ${names.join(', ')}`);
  assert.deepEqual(
    final.checkpoints.map((c) => c.name).sort(),
    names,
  );
  assert.ok(final.checkpoints.every((c) => c.locations.some((l) => l.kind === 'remote') && c.locations.some((l) => l.kind === 'local')));
  assert.match(logged, /step/i);
  assert.ok(final.outputs.length >= 1, `outputs: ${final.outputs.join(', ')}`);
  // quickstart sets budget.max_duration, so a watchdog ran beside it: it is gone too.
  assert.deepEqual(await processesMentioning(path.join(tmp, 'remote')), []);
});
