/**
 * Test harness: a real Slurm (Debian's slurm-wlm + munge) on this machine. One controller and
 * two compute daemons (node1, node2) that share this host, each on its own free port; a munge
 * daemon with its own key and socket; every state, spool, pid and log file in a temp folder.
 * Accounting is off (no slurmdbd), so `sacct` is unavailable, as on many small clusters.
 * All daemons run in the foreground as children of the test process and are killed by stop().
 *
 * Client commands need SLURM_CONF: `env` carries it; over SSH the test sshd sets it
 * (`SetEnv`, see sshdConfigLines()).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { freePort } from './sshd';

export interface Slurm {
  dir: string;
  /** Path of slurm.conf. */
  conf: string;
  /** Environment for client commands (SLURM_CONF). */
  env: NodeJS.ProcessEnv;
  /** The partition every node is in. */
  partition: string;
  /** Runs a Slurm client command here, returns stdout (throws on failure). */
  cmd(args: string[]): string;
  /** sshd_config lines that give SSH sessions this cluster's SLURM_CONF. */
  sshdConfigLines(): string[];
  /** What the daemons logged (for failing tests). */
  log(): string;
  stop(): Promise<void>;
}

const BINS = ['/usr/sbin/slurmctld', '/usr/sbin/slurmd', '/usr/sbin/munged', '/usr/sbin/mungekey', '/usr/bin/sbatch'];

/** Why a real Slurm cannot run here, or undefined when it can (tests skip with this reason). */
export function slurmMissing(): string | undefined {
  const missing = BINS.filter((b) => !existsSync(b));
  if (missing.length) return `no ${missing.join(', ')} (apt-get install slurm-wlm munge)`;
  if (process.getuid?.() !== 0) return 'the test Slurm runs its daemons as root';
  return undefined;
}

export async function startSlurm(opts: { nodes?: number } = {}): Promise<Slurm> {
  const why = slurmMissing();
  if (why) throw new Error(why);
  const nodes = opts.nodes ?? 2;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ferry-slurm-'));
  chmodSync(dir, 0o755);
  const host = os.hostname().split('.')[0] as string;
  const keyDir = path.join(dir, 'munge-key');
  const sockDir = path.join(dir, 'munge');
  mkdirSync(keyDir, { mode: 0o700 });
  mkdirSync(sockDir, { mode: 0o755 });
  for (const d of ['state', 'spool', 'log']) mkdirSync(path.join(dir, d));
  const key = path.join(keyDir, 'munge.key');
  const kr = spawnSync('/usr/sbin/mungekey', ['-c', '-f', '-k', key], { encoding: 'utf8' });
  if (kr.status !== 0) throw new Error(`mungekey failed: ${kr.stderr}`);
  chmodSync(key, 0o600);
  const sock = path.join(sockDir, 'munge.sock');

  const ctldPort = await freePort();
  const dPort = await freePort();
  const nodePorts: number[] = [];
  for (let i = 0; i < nodes; i++) nodePorts.push(await freePort());
  const conf = path.join(dir, 'slurm.conf');
  const partition = 'gpu';
  writeFileSync(
    conf,
    [
      'ClusterName=ferrytest',
      `SlurmctldHost=${host}`,
      `SlurmctldPort=${ctldPort}`,
      `SlurmdPort=${dPort}`,
      'SlurmUser=root',
      'SlurmdUser=root',
      'AuthType=auth/munge',
      'CredType=cred/munge',
      `AuthInfo=socket=${sock}`,
      `StateSaveLocation=${dir}/state`,
      `SlurmdSpoolDir=${dir}/spool/%n`,
      `SlurmctldPidFile=${dir}/slurmctld.pid`,
      `SlurmdPidFile=${dir}/slurmd-%n.pid`,
      `SlurmctldLogFile=${dir}/log/slurmctld.log`,
      `SlurmdLogFile=${dir}/log/slurmd-%n.log`,
      'ProctrackType=proctrack/linuxproc',
      'TaskPlugin=task/none',
      'SelectType=select/cons_tres',
      'SelectTypeParameters=CR_Core',
      'MpiDefault=none',
      'ReturnToService=2',
      'SchedulerType=sched/backfill',
      'JobAcctGatherType=jobacct_gather/none',
      'AccountingStorageType=accounting_storage/none',
      'JobRequeue=1',
      // Fast turnarounds for tests: short grace after scancel, quick scheduling.
      'KillWait=2',
      'MinJobAge=300',
      'SchedulerParameters=sched_interval=1,defer_batch=0',
      'MessageTimeout=5',
      ...nodePorts.map((p, i) => `NodeName=node${i + 1} NodeHostname=${host} NodeAddr=127.0.0.1 CPUs=2 RealMemory=2000 Port=${p} State=UNKNOWN`),
      `PartitionName=${partition} Nodes=${nodePorts.map((_, i) => `node${i + 1}`).join(',')} Default=YES MaxTime=INFINITE State=UP`,
      '',
    ].join('\n'),
  );
  const env: NodeJS.ProcessEnv = { ...process.env, SLURM_CONF: conf };
  const children: ChildProcess[] = [];
  const start = (bin: string, args: string[], logName: string): ChildProcess => {
    const out = openSync(path.join(dir, 'log', logName), 'a');
    const c = spawn(bin, args, { env, stdio: ['ignore', out, out] });
    c.on('error', () => undefined);
    children.push(c);
    return c;
  };
  const log = (): string =>
    ['munged.log', 'munged.out', 'slurmctld.log', 'slurmctld.out', ...nodePorts.flatMap((_, i) => [`slurmd-node${i + 1}.log`, `slurmd-node${i + 1}.out`])]
      .map((f) => {
        const p = path.join(dir, 'log', f);
        return existsSync(p) ? `== ${f}\n${readFileSync(p, 'utf8').split('\n').slice(-30).join('\n')}` : '';
      })
      .join('\n');
  const stop = async (): Promise<void> => {
    // Jobs first, while the daemons can still end them cleanly.
    spawnSync('scancel', ['--full', '--signal=KILL', '--partition=gpu'], { env, timeout: 5000 });
    for (let i = 0; i < 20; i++) {
      const q = spawnSync('squeue', ['-h', '-o', '%i'], { env, encoding: 'utf8', timeout: 5000 });
      if (q.status !== 0 || !q.stdout.trim()) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    for (const c of [...children].reverse()) {
      if (c.exitCode === null && c.signalCode === null) {
        const gone = new Promise((r) => c.once('exit', r));
        c.kill('SIGTERM');
        await Promise.race([gone, new Promise((r) => setTimeout(r, 5000))]);
        if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
      }
    }
    // Anything left of this cluster (slurmstepd, srun, job processes) carries its SLURM_CONF.
    for (const pid of readdirSync('/proc').filter((n) => /^\d+$/.test(n)).map(Number)) {
      if (pid === process.pid) continue;
      let environ = '';
      try {
        environ = readFileSync(`/proc/${pid}/environ`, 'latin1');
      } catch {
        continue;
      }
      if (environ.split('\0').includes(`SLURM_CONF=${conf}`)) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    start('/usr/sbin/munged', ['--foreground', '--force', '-S', sock, `--key-file=${key}`, `--pid-file=${dir}/munged.pid`, `--log-file=${dir}/log/munged.log`, `--seed-file=${dir}/munge-seed`], 'munged.out');
    await waitFor(() => existsSync(sock), 10_000, 'munged socket');
    start('/usr/sbin/slurmctld', ['-D', '-f', conf], 'slurmctld.out');
    for (let i = 0; i < nodes; i++) start('/usr/sbin/slurmd', ['-D', '-f', conf, '-N', `node${i + 1}`], `slurmd-node${i + 1}.out`);
    await waitFor(
      () => {
        const r = spawnSync('sinfo', ['-h', '-N', '-o', '%N %T'], { env, encoding: 'utf8' });
        const idle = (r.stdout ?? '').split('\n').filter((l) => /\bidle\b/.test(l)).length;
        return r.status === 0 && idle >= nodes;
      },
      30_000,
      'Slurm nodes idle',
    );
  } catch (err) {
    const text = log();
    await stop();
    throw new Error(`${(err as Error).message}\n${text}`);
  }

  return {
    dir,
    conf,
    env,
    partition,
    cmd(args: string[]): string {
      const [bin, ...rest] = args;
      const r = spawnSync(bin as string, rest, { env, encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`${args.join(' ')} failed: ${r.stderr}`);
      return r.stdout;
    },
    sshdConfigLines: () => [`SetEnv SLURM_CONF=${conf}`],
    log,
    stop,
  };
}

async function waitFor(ok: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
