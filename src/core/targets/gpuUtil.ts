import { execFile } from 'node:child_process';

/**
 * Parses `nvidia-smi --query-gpu=utilization.gpu --format=csv,noheader,nounits`: one integer
 * percent per GPU per line. Returns the mean, or undefined when nothing parses.
 */
export function parseGpuUtilCsv(text: string): number | undefined {
  const values = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '')
    .map((l) => Number(l.replace(/%$/, '').trim()))
    .filter((n) => Number.isFinite(n) && n >= 0 && n <= 100);
  if (values.length === 0) return undefined;
  return values.reduce((a, b) => a + b, 0) / values.length;
}

export const NVIDIA_SMI_UTIL_ARGS = ['--query-gpu=utilization.gpu', '--format=csv,noheader,nounits'];

/** Samples this machine's GPUs; undefined when nvidia-smi is missing or fails. */
export function sampleLocalGpuUtil(env: NodeJS.ProcessEnv = process.env): Promise<number | undefined> {
  return new Promise((resolve) => {
    execFile('nvidia-smi', NVIDIA_SMI_UTIL_ARGS, { env, timeout: 10_000 }, (err, stdout) => {
      resolve(err ? undefined : parseGpuUtilCsv(String(stdout)));
    });
  });
}
