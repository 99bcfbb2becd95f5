/**
 * Sync benchmark: Ferry's sync engine against rsync and scp, into the same loopback sshd.
 *
 *   npx tsx bench/sync-ssh.ts            (BENCH_RUNS=5 by default)
 *
 * Dataset (bench/.data, fixed seed, built once): 3,000 files of 1-64 KiB in 30 folders plus two
 * 256 MiB files. Scenarios: initial copy into an empty folder, no-op resync, one file changed.
 * Tools alternate run by run so drift in machine load hits all of them alike. Ferry's time
 * includes its SSH handshake (a fresh connection per run), as rsync's and scp's include theirs.
 * Prints medians and Ferry/rsync ratios, and writes them to bench/results/sync-ssh.json.
 */
import { spawnSync } from 'node:child_process';
import { createCipheriv, createHash } from 'node:crypto';
import { existsSync, mkdirSync, promises as fs, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { SshConnection } from '../src/core/remote/connection';
import { resolveHost } from '../src/core/remote/sshConfig';
import { syncTree } from '../src/core/sync/sync';
import { startSshd } from '../test/helpers/sshd';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const DATA = path.resolve(__dirname, '.data', 'sync-ssh');
const SRC = path.join(DATA, 'src');
const SEED = 'ferry-bench-sync-v1';

/** Deterministic bytes: AES-CTR keystream keyed by the seed and the file's name. */
function bytesFor(name: string, size: number): Buffer {
  const key = createHash('sha256').update(`${SEED}:${name}`).digest();
  const c = createCipheriv('aes-256-ctr', key, Buffer.alloc(16));
  return c.update(Buffer.alloc(size));
}

function rand(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function buildDataset(): Promise<{ files: number; bytes: number }> {
  const marker = path.join(DATA, '.built-v1');
  const r = rand(42);
  let files = 0;
  let bytes = 0;
  const plan: { rel: string; size: number }[] = [];
  for (let i = 0; i < 3000; i++) plan.push({ rel: `dir-${String(i % 30).padStart(2, '0')}/file-${String(i).padStart(4, '0')}.bin`, size: 1024 + Math.floor(r() * 63 * 1024) });
  plan.push({ rel: 'large-1.bin', size: 256 * 1024 * 1024 }, { rel: 'large-2.bin', size: 256 * 1024 * 1024 });
  for (const p of plan) {
    files++;
    bytes += p.size;
  }
  if (existsSync(marker)) return { files, bytes };
  rmSync(SRC, { recursive: true, force: true });
  for (const p of plan) {
    const abs = path.join(SRC, p.rel);
    mkdirSync(path.dirname(abs), { recursive: true });
    if (p.size > 1 << 20) {
      const fh = await fs.open(abs, 'w');
      for (let off = 0; off < p.size; off += 16 << 20) await fh.write(bytesFor(`${p.rel}:${off}`, Math.min(16 << 20, p.size - off)));
      await fh.close();
    } else writeFileSync(abs, bytesFor(p.rel, p.size));
    // Fixed mtimes: the dataset is the same on every machine and every run.
    await fs.utimes(abs, 1_700_000_000, 1_700_000_000);
  }
  writeFileSync(marker, '');
  return { files, bytes };
}

const TICK_MS = 10; // USER_HZ is 100 on Linux

/** user+system CPU of a process's reaped children (/proc/<pid>/stat cutime+cstime), ms. */
function childCpuMs(pid: number | 'self'): number | undefined {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return (Number(f[13]) + Number(f[14])) * TICK_MS;
  } catch {
    return undefined;
  }
}

/** This process and its reaped children (rsync, ssh, scp), ms. */
function clientCpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000 + (childCpuMs('self') ?? 0);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

async function main(): Promise<void> {
  for (const bin of ['rsync', 'scp', 'ssh']) if (spawnSync('sh', ['-c', `command -v ${bin}`]).status !== 0) throw new Error(`${bin} is not installed`);
  process.stderr.write('building dataset...\n');
  const ds = await buildDataset();
  const sshd = await startSshd();
  const destRoot = path.join(DATA, 'dest');
  const sshCmd = ['ssh', ...sshd.sshArgs()].join(' ');
  const times: Record<string, number[]> = {};
  const rec = (k: string, ms: number): void => {
    (times[k] ??= []).push(ms);
  };
  const cpu: Record<string, number[]> = {};
  /**
   * Wall time, plus the CPU time everything involved burned (client and server side): on a
   * shared machine wall times swing with other load; CPU time is the steadier comparison.
   */
  const timeIt = async (key: string, fn: () => Promise<void> | void): Promise<number> => {
    const c0 = clientCpuMs();
    const s0 = childCpuMs(sshd.pid());
    const t = process.hrtime.bigint();
    await fn();
    const ms = Number(process.hrtime.bigint() - t) / 1e6;
    await new Promise((r) => setTimeout(r, 150)); // let sshd reap its session processes
    const s1 = childCpuMs(sshd.pid());
    if (s0 !== undefined && s1 !== undefined) (cpu[key] ??= []).push(clientCpuMs() - c0 + (s1 - s0));
    return ms;
  };
  const sh = (argv: string[]): void => {
    const r = spawnSync(argv[0] as string, argv.slice(1), { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${argv.join(' ')}: ${r.stderr}`);
  };
  const ferry = async (dest: string): Promise<void> => {
    const conn = new SshConnection(resolveHost(sshd.alias, { configPath: sshd.configPath }), { knownHostsPath: sshd.knownHostsPath, agentSocket: null });
    try {
      await syncTree({ from: SRC, to: { conn, path: dest } });
    } finally {
      conn.close();
    }
  };
  const rsync = (dest: string): void => sh(['rsync', '-a', '-e', sshCmd, `${SRC}/`, `${sshd.alias}:${dest}/`]);
  const scp = (dest: string): void => sh(['scp', '-q', '-r', '-F', sshd.configPath, '-o', `UserKnownHostsFile=${sshd.knownHostsPath}`, SRC, `${sshd.alias}:${dest}`]);
  const changeOne = async (n: number): Promise<void> => {
    const f = path.join(SRC, 'dir-07', 'file-0007.bin');
    await fs.writeFile(f, bytesFor(`changed-${n}`, 40_000));
    await fs.utimes(f, 1_700_000_100 + n, 1_700_000_100 + n);
  };
  try {
    for (let run = 0; run < RUNS; run++) {
      process.stderr.write(`run ${run + 1}/${RUNS}\n`);
      const tools: [string, (d: string) => Promise<void> | void][] = [
        ['ferry', ferry],
        ['rsync', rsync],
      ];
      // Alternate who goes first.
      if (run % 2) tools.reverse();
      for (const [name, fn] of tools) {
        const dest = path.join(destRoot, name);
        rmSync(dest, { recursive: true, force: true });
        rec(`initial/${name}`, await timeIt(`initial/${name}`, () => fn(dest)));
        rec(`noop/${name}`, await timeIt(`noop/${name}`, () => fn(dest)));
        await changeOne(run * 2 + (name === 'ferry' ? 0 : 1));
        rec(`changed/${name}`, await timeIt(`changed/${name}`, () => fn(dest)));
      }
      const scpDest = path.join(destRoot, 'scp');
      rmSync(scpDest, { recursive: true, force: true });
      rec('initial/scp', await timeIt('initial/scp', () => scp(scpDest)));
    }
  } finally {
    await sshd.stop();
    rmSync(destRoot, { recursive: true, force: true });
    await fs.utimes(path.join(SRC, 'dir-07', 'file-0007.bin'), 1_700_000_000, 1_700_000_000).catch(() => undefined);
  }
  const med: Record<string, number> = {};
  for (const [k, v] of Object.entries(times)) med[k] = Math.round(median(v));
  const cpuMed: Record<string, number> = {};
  for (const [k, v] of Object.entries(cpu)) cpuMed[k] = Math.round(median(v));
  const cpuRatio = (sc: string): number => Math.round(((cpuMed[`${sc}/ferry`] ?? 0) / (cpuMed[`${sc}/rsync`] ?? 1)) * 100) / 100;
  const ratio = (s: string): number => Math.round(((med[`${s}/ferry`] ?? 0) / (med[`${s}/rsync`] ?? 1)) * 100) / 100;
  const result = {
    date: new Date().toISOString(),
    host: { cpus: os.cpus().length, platform: `${os.platform()} ${os.release()}`, node: process.version },
    dataset: ds,
    runs: RUNS,
    medianMs: med,
    ratios: { initial: ratio('initial'), noop: ratio('noop'), changed: ratio('changed'), scpInitialVsRsync: Math.round(((med['initial/scp'] ?? 0) / (med['initial/rsync'] ?? 1)) * 100) / 100 },
    cpuMedianMs: cpuMed,
    cpuRatios: { initial: cpuRatio('initial'), noop: cpuRatio('noop'), changed: cpuRatio('changed') },
    samplesMs: times,
    cpuSamplesMs: cpu,
    load: os.loadavg(),
  };
  const outDir = path.resolve(__dirname, 'results');
  mkdirSync(outDir, { recursive: true });
  writeFileSync(path.join(outDir, 'sync-ssh.json'), `${JSON.stringify(result, null, 2)}\n`);
  const line = (sc: string): string =>
    `${sc.padEnd(8)} ferry ${String(med[`${sc}/ferry`]).padStart(6)} ms   rsync ${String(med[`${sc}/rsync`]).padStart(6)} ms   ratio ${ratio(sc)}x   (cpu ${cpuMed[`${sc}/ferry`]} vs ${cpuMed[`${sc}/rsync`]} ms, ${cpuRatio(sc)}x)`;
  process.stdout.write(`${['initial', 'noop', 'changed'].map(line).join('\n')}\nscp -r initial ${med['initial/scp']} ms\nload average ${os.loadavg().map((x) => x.toFixed(1)).join(' ')} on ${os.cpus().length} cpus\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
