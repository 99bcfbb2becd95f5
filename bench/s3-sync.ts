/**
 * S3 sync benchmark: `ferry sync` (local -> s3://) against `aws s3 sync` (Debian's awscli) and
 * `rclone sync` (Debian's rclone), all into the same loopback s3rver.
 *
 *   npm run bench:s3            (BENCH_RUNS=5 by default)
 *
 * Dataset (bench/.data/s3-sync, fixed seed, built once): 800 files of 1-64 KiB in 20 folders
 * plus two 32 MiB files. Smaller than the SSH benchmark's 3,000 files on purpose: s3rver 3.7.1
 * cannot page a ListObjectsV2 listing (its continuation tokens use DES, which Node 20's OpenSSL
 * refuses), so `aws s3 sync` and rclone fail on a prefix of more than 1,000 keys; and s3rver
 * takes ~6 ms a PUT, so thousands of files would mostly time the server.
 *
 * Scenarios: initial copy into a fresh prefix, then a no-op resync of it. Tools alternate run
 * by run (the first tool of a run rotates) so drift in machine load hits all of them alike.
 * Every tool runs as a child process with its defaults; Ferry's is the bundled, minified engine
 * with dist/s3.js beside it, as shipped. Ferry's hash cache lives in a FERRY_HOME kept across
 * runs, as a user's would be; "noop-cold" times a no-op resync with an empty FERRY_HOME too.
 * Prints medians and the ratios ferry/aws and ferry/rclone, and writes bench/results/s3-sync.json.
 */
import { execFile, spawnSync } from 'node:child_process';
import { createCipheriv, createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, promises as fs, readdirSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import * as esbuild from 'esbuild';
import { startS3rver, type S3rverHandle } from '../test/helpers/s3rver';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const ROOT = path.resolve(__dirname, '..');
const DATA = path.resolve(__dirname, '.data', 's3-sync');
const SRC = path.join(DATA, 'src');
const SEED = 'ferry-bench-s3-v1';
const MiB = 1024 * 1024;
const run = promisify(execFile);

function bytesFor(name: string, size: number): Buffer {
  const key = createHash('sha256').update(`${SEED}:${name}`).digest();
  return createCipheriv('aes-256-ctr', key, Buffer.alloc(16)).update(Buffer.alloc(size));
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
  const r = rand(7);
  const plan: { rel: string; size: number }[] = [];
  for (let i = 0; i < 800; i++) plan.push({ rel: `dir-${String(i % 20).padStart(2, '0')}/file-${String(i).padStart(3, '0')}.bin`, size: 1024 + Math.floor(r() * 63 * 1024) });
  plan.push({ rel: 'large-1.bin', size: 32 * MiB }, { rel: 'large-2.bin', size: 32 * MiB });
  const ds = { files: plan.length, bytes: plan.reduce((n, p) => n + p.size, 0) };
  const marker = path.join(DATA, '.built-v1');
  if (existsSync(marker)) return ds;
  rmSync(SRC, { recursive: true, force: true });
  for (const p of plan) {
    const abs = path.join(SRC, p.rel);
    mkdirSync(path.dirname(abs), { recursive: true });
    writeFileSync(abs, bytesFor(p.rel, p.size));
    await fs.utimes(abs, 1_700_000_000, 1_700_000_000);
  }
  writeFileSync(marker, '');
  return ds;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

/** Objects s3rver holds under bucket/prefix (its store is a folder tree, one `._S3rver_object` file per key). */
function countObjects(dir: string): number {
  let n = 0;
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(path.join(d, e.name));
      else if (e.name.endsWith('._S3rver_object')) n++;
    }
  };
  if (existsSync(dir)) walk(dir);
  return n;
}

function which(bin: string, preferred: string[]): string | undefined {
  for (const p of preferred) if (existsSync(p)) return p;
  const r = spawnSync('sh', ['-c', `command -v ${bin}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

async function buildFerry(outDir: string): Promise<string> {
  // The CLI has no `sync` command yet: bundle what it would run, with the SDK as dist/s3.js beside it.
  const common = { bundle: true, platform: 'node', target: 'node20', format: 'cjs', minify: true, logLevel: 'error' } as const;
  await esbuild.build({ ...common, entryPoints: [path.join(__dirname, 's3-sync-runner.ts')], outfile: path.join(outDir, 'ferry-sync.js') });
  await esbuild.build({ ...common, entryPoints: [path.join(ROOT, 'src/core/s3/impl.ts')], outfile: path.join(outDir, 's3.js') });
  return path.join(outDir, 'ferry-sync.js');
}

async function main(): Promise<void> {
  const aws = which('aws', ['/usr/bin/aws']);
  const rclone = which('rclone', ['/usr/bin/rclone']);
  if (!aws && !rclone) throw new Error('neither awscli nor rclone is installed (apt-get install -y awscli rclone)');
  process.stderr.write('building dataset...\n');
  const ds = await buildDataset();
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'ferry-bench-s3-'));
  const ferryJs = await buildFerry(path.join(tmp, 'dist'));
  const s3: S3rverHandle = await startS3rver({ bucket: 'bench' });
  const ferryHome = path.join(tmp, 'home');
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...s3.env,
    AWS_DEFAULT_REGION: 'us-east-1',
    AWS_PAGER: '',
    AWS_CONFIG_FILE: path.join(tmp, 'aws-config'),
    AWS_SHARED_CREDENTIALS_FILE: path.join(tmp, 'aws-credentials'),
    FERRY_HOME: ferryHome,
    RCLONE_CONFIG: path.join(tmp, 'rclone.conf'),
    RCLONE_CONFIG_BENCH_TYPE: 's3',
    RCLONE_CONFIG_BENCH_PROVIDER: 'Other',
    RCLONE_CONFIG_BENCH_ACCESS_KEY_ID: s3.env.AWS_ACCESS_KEY_ID ?? '',
    RCLONE_CONFIG_BENCH_SECRET_ACCESS_KEY: s3.env.AWS_SECRET_ACCESS_KEY ?? '',
    RCLONE_CONFIG_BENCH_ENDPOINT: s3.endpoint,
    RCLONE_CONFIG_BENCH_REGION: 'us-east-1',
    RCLONE_CONFIG_BENCH_FORCE_PATH_STYLE: 'true',
  };
  // A CA bundle from the host environment means nothing on http:// loopback, and rclone's SDK
  // refuses to start with one ("unsupported transport").
  delete env.AWS_CA_BUNDLE;
  writeFileSync(path.join(tmp, 'rclone.conf'), '');
  const versions: Record<string, string> = { node: process.version };
  if (aws) versions.aws = (await run(aws, ['--version'], { env })).stdout.trim();
  if (rclone) versions.rclone = (await run(rclone, ['version'], { env })).stdout.split('\n')[0]?.trim() ?? '';

  type Tool = [string, (prefix: string, home?: string) => Promise<void>];
  const tools: Tool[] = [['ferry', async (prefix, home) => void (await run(process.execPath, [ferryJs, SRC, `s3://${s3.bucket}/${prefix}`], { env: { ...env, FERRY_HOME: home ?? ferryHome }, maxBuffer: 1 << 24 }))]];
  if (aws) tools.push(['aws', async (prefix) => void (await run(aws, ['s3', 'sync', '--only-show-errors', '--endpoint-url', s3.endpoint, SRC, `s3://${s3.bucket}/${prefix}`], { env, maxBuffer: 1 << 24 }))]);
  if (rclone) tools.push(['rclone', async (prefix) => void (await run(rclone, ['sync', SRC, `bench:${s3.bucket}/${prefix}`], { env, maxBuffer: 1 << 24 }))]);

  const times: Record<string, number[]> = {};
  const timeIt = async (key: string, fn: () => Promise<void>): Promise<void> => {
    const t = process.hrtime.bigint();
    await fn();
    (times[key] ??= []).push(Number(process.hrtime.bigint() - t) / 1e6);
  };
  try {
    for (let r = 0; r < RUNS; r++) {
      process.stderr.write(`run ${r + 1}/${RUNS}\n`);
      const order = tools.map((_, i) => tools[(i + r) % tools.length] as Tool);
      for (const [name, fn] of order) {
        const prefix = `${name}-${r}`;
        await timeIt(`initial/${name}`, () => fn(prefix));
        const stored = countObjects(path.join(s3.dir, s3.bucket, prefix));
        if (stored !== ds.files) throw new Error(`${name} stored ${stored} of ${ds.files} objects`);
        await timeIt(`noop/${name}`, () => fn(prefix));
        if (name === 'ferry') {
          const cold = path.join(tmp, `home-cold-${r}`);
          await timeIt('noop-cold/ferry', () => fn(prefix, cold));
        }
        // Keep s3rver's store small: the next run copies into a fresh prefix anyway.
        rmSync(path.join(s3.dir, s3.bucket, prefix), { recursive: true, force: true });
      }
    }
  } finally {
    await s3.close();
    rmSync(tmp, { recursive: true, force: true });
  }

  const med: Record<string, number> = {};
  for (const [k, v] of Object.entries(times)) med[k] = Math.round(median(v));
  const ratio = (scenario: string, other: string): number | null => {
    const a = med[`${scenario}/ferry`];
    const b = med[`${scenario}/${other}`];
    return a === undefined || b === undefined ? null : Math.round((a / b) * 100) / 100;
  };
  const others = tools.map(([n]) => n).filter((n) => n !== 'ferry');
  const ratios: Record<string, Record<string, number | null>> = {};
  for (const s of ['initial', 'noop']) for (const o of others) (ratios[s] ??= {})[`ferry/${o}`] = ratio(s, o);
  const result = {
    date: new Date().toISOString(),
    host: { cpus: os.cpus().length, platform: `${os.platform()} ${os.release()}`, versions },
    server: 's3rver 3.7.1 on 127.0.0.1 (same process as the driver, which idles while a tool runs)',
    dataset: { ...ds, note: '800 files of 1-64 KiB + 2 x 32 MiB (fewer than 1,000 keys: s3rver listing limit)' },
    runs: RUNS,
    missing: [...(aws ? [] : ['aws']), ...(rclone ? [] : ['rclone'])],
    medianMs: med,
    ratios,
    samplesMs: times,
  };
  const outDir = path.resolve(__dirname, 'results');
  mkdirSync(outDir, { recursive: true });
  writeFileSync(path.join(outDir, 's3-sync.json'), `${JSON.stringify(result, null, 2)}\n`);
  const lines: string[] = [];
  for (const s of ['initial', 'noop']) {
    const cells = tools.map(([n]) => `${n} ${String(med[`${s}/${n}`]).padStart(6)} ms`).join('   ');
    const rs = others.map((o) => `ferry/${o} ${ratios[s]?.[`ferry/${o}`]}x`).join('   ');
    lines.push(`${s.padEnd(8)} ${cells}   ${rs}`);
  }
  lines.push(`noop with a cold hash cache: ferry ${med['noop-cold/ferry']} ms`);
  if (result.missing.length) lines.push(`not installed: ${result.missing.join(', ')}`);
  process.stdout.write(`${lines.join('\n')}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
