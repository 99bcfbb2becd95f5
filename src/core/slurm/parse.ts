/**
 * Parsers for what the Slurm commands print, in the fixed formats Ferry asks for (the format
 * strings live here beside their parsers). Raw text is split, then checked with zod: a line
 * that does not fit is an error naming the command, never a half-read record.
 */
import { z } from 'zod';
import { InfraError } from '../util/errors';

/** `sbatch --parsable` prints `<jobid>` or `<jobid>;<cluster>`. */
export function parseSbatchParsable(stdout: string): { jobId: string; cluster?: string } {
  const line = stdout
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .pop();
  const m = /^(\d+)(?:;(\S+))?$/.exec(line ?? '');
  if (!m) throw new InfraError(`sbatch printed no job id (got ${JSON.stringify(stdout.trim().slice(0, 200))})`);
  return { jobId: m[1] as string, ...(m[2] ? { cluster: m[2] } : {}) };
}

/** squeue output format: `squeue -h -o SQUEUE_FORMAT`. */
export const SQUEUE_FORMAT = '%i|%T|%r|%D|%P|%Q|%N';
const squeueRow = z.object({
  jobId: z.string().regex(/^\d+(?:_\d+)?$/),
  state: z.string().min(1),
  reason: z.string(),
  nodes: z.coerce.number().int().min(0),
  partition: z.string(),
  priority: z.coerce.number(),
  nodeList: z.string(),
});
export type SqueueRow = z.infer<typeof squeueRow>;

export function parseSqueue(stdout: string): SqueueRow[] {
  const rows: SqueueRow[] = [];
  for (const line of stdout.split('\n')) {
    if (!line.trim()) continue;
    const [jobId, state, reason, nodes, partition, priority, ...rest] = line.trim().split('|');
    const r = squeueRow.safeParse({ jobId, state, reason, nodes, partition, priority, nodeList: rest.join('|') });
    if (!r.success) throw new InfraError(`cannot read squeue output line ${JSON.stringify(line)}`);
    rows.push(r.data);
  }
  return rows;
}

/** `sacct -n -X -P -j ID -o SACCT_FIELDS` (--parsable2: `|` separated, no trailing `|`). */
export const SACCT_FIELDS = 'JobID,State,ExitCode,Reason,NodeList,Elapsed';
const sacctRow = z.object({
  jobId: z.string().min(1),
  state: z.string().min(1),
  exitCode: z.number().int().nullable(),
  signal: z.number().int().nullable(),
  reason: z.string(),
  nodeList: z.string(),
  elapsed: z.string(),
});
export type SacctRow = z.infer<typeof sacctRow>;

export function parseSacct(stdout: string): SacctRow[] {
  const rows: SacctRow[] = [];
  for (const line of stdout.split('\n')) {
    if (!line.trim()) continue;
    const [jobId, state, exit, reason, nodeList, elapsed] = line.trim().split('|');
    const m = /^(\d+):(\d+)$/.exec(exit ?? '');
    const r = sacctRow.safeParse({
      jobId,
      state,
      exitCode: m ? Number(m[1]) : null,
      signal: m ? Number(m[2]) : null,
      reason: reason ?? '',
      nodeList: nodeList ?? '',
      elapsed: elapsed ?? '',
    });
    if (!r.success) throw new InfraError(`cannot read sacct output line ${JSON.stringify(line)}`);
    rows.push(r.data);
  }
  return rows;
}

/** `scontrol show job -o ID`: one line of Key=Value pairs. */
const scontrolJob = z.object({
  JobId: z.string().regex(/^\d+$/),
  JobState: z.string().min(1),
  Reason: z.string().default('None'),
  Restarts: z.coerce.number().int().min(0).default(0),
  ExitCode: z.string().default('0:0'),
  NumNodes: z.string().default(''),
  NodeList: z.string().default(''),
  Partition: z.string().default(''),
});
export interface ScontrolJob {
  jobId: string;
  state: string;
  reason: string;
  restarts: number;
  exitCode: number | null;
  signal: number | null;
  nodeList: string;
  partition: string;
}

/** undefined when Slurm no longer knows the job (`Invalid job id specified`). */
export function parseScontrolJob(stdout: string): ScontrolJob | undefined {
  const line = stdout.split('\n').find((l) => /\bJobId=\d+/.test(l));
  if (!line) return undefined;
  const kv: Record<string, string> = {};
  // Values have no spaces except a few free-text keys Ferry does not read; take the first
  // whitespace-free run after each key.
  for (const m of line.matchAll(/(?:^|\s)([A-Za-z:/_]+)=(\S*)/g)) if (!((m[1] as string) in kv)) kv[m[1] as string] = m[2] as string;
  const r = scontrolJob.safeParse(kv);
  if (!r.success) throw new InfraError(`cannot read scontrol output ${JSON.stringify(line.slice(0, 200))}`);
  const ec = /^(\d+):(\d+)$/.exec(r.data.ExitCode);
  return {
    jobId: r.data.JobId,
    state: r.data.JobState,
    reason: r.data.Reason,
    restarts: r.data.Restarts,
    exitCode: ec ? Number(ec[1]) : null,
    signal: ec ? Number(ec[2]) : null,
    nodeList: r.data.NodeList === '(null)' ? '' : r.data.NodeList,
    partition: r.data.Partition,
  };
}

/** `sinfo -h -o SINFO_FORMAT`: one line per partition (and node configuration). */
export const SINFO_FORMAT = '%P|%a|%F|%c|%m|%G|%l';
const sinfoRow = z.object({
  partition: z.string().min(1),
  isDefault: z.boolean(),
  up: z.boolean(),
  nodes: z.object({ allocated: z.number().int(), idle: z.number().int(), other: z.number().int(), total: z.number().int() }),
  cpusPerNode: z.number().int().min(0),
  memoryMbPerNode: z.number().min(0),
  gres: z.string(),
  timeLimit: z.string(),
});
export type SinfoRow = z.infer<typeof sinfoRow>;

export function parseSinfo(stdout: string): SinfoRow[] {
  const rows: SinfoRow[] = [];
  for (const line of stdout.split('\n')) {
    if (!line.trim()) continue;
    const [part = '', avail, nodes = '', cpus = '', mem = '', gres = '', limit = ''] = line.trim().split('|');
    const counts = nodes.split('/').map(Number);
    const r = sinfoRow.safeParse({
      partition: part.replace(/\*$/, ''),
      isDefault: part.endsWith('*'),
      up: avail === 'up',
      nodes: { allocated: counts[0], idle: counts[1], other: counts[2], total: counts[3] },
      cpusPerNode: Number(cpus.replace(/\+$/, '')),
      memoryMbPerNode: Number(mem.replace(/\+$/, '')),
      gres: gres === '(null)' ? '' : gres,
      timeLimit: limit,
    });
    if (!r.success) throw new InfraError(`cannot read sinfo output line ${JSON.stringify(line)}`);
    rows.push(r.data);
  }
  return rows;
}

/** GPUs per node from a gres string: `gpu:a100:4(S:0-1)`, `gpu:8`, `gpu:h100:4,shard:8`. */
export function gpusOfGres(gres: string): { name?: string; count: number } {
  let count = 0;
  let name: string | undefined;
  for (const part of gres.split(/,(?![^(]*\))/)) {
    const m = /^gpu(?::([A-Za-z][\w.-]*))?:(\d+)/.exec(part.trim());
    if (!m) continue;
    count += Number(m[2]);
    name ??= m[1];
  }
  return { ...(name ? { name } : {}), count };
}
