/**
 * The batch job Ferry submits for a spec: the sbatch command line (every option one quoted
 * argument, so no value can break out) and a POSIX-sh batch script that runs setup once on the
 * first node, then `srun`s the run command on every node with the FERRY_* rank variables.
 *
 * Remote layout (the same as the SSH target's): <run>/work is the synced workdir and the job's
 * cwd; <run>/meta holds env.sh (0600), setup.sh, run.sh, node.sh, batch.sh, submit.sh and what
 * the job writes: step (setup|run|done), exit ("<code> <step>"), log (Slurm's output file, all
 * nodes), node-<rank>.log (one node's output).
 */
import type { FerrySpec } from '../spec/types';
import { shJoin, shQuote } from '../util/quote';
import { gpusPerNode, nodesOf } from './cost';

export interface BatchPaths {
  /** Absolute remote meta dir. */
  meta: string;
  /** Absolute remote workdir. */
  work: string;
}

export interface BatchJob {
  /** argv of the sbatch call (without the script path, which comes last). */
  sbatchArgs: string[];
  /** Contents of batch.sh. */
  script: string;
  /** Contents of node.sh (what srun runs on each node). */
  nodeScript: string;
}

/** Slurm's `--time` from seconds, rounded up to whole minutes: `D-HH:MM:00` or `MM`. */
export function slurmTime(seconds: number): string {
  const minutes = Math.max(1, Math.ceil(seconds / 60));
  const d = Math.floor(minutes / 1440);
  const h = Math.floor((minutes % 1440) / 60);
  const m = minutes % 60;
  if (d === 0 && h === 0) return String(m);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${d > 0 ? `${d}-` : ''}${two(h)}:${two(m)}:00`;
}

/** A Slurm job name: what squeue shows. Letters, digits, -_. only; at most 64 characters. */
export function slurmJobName(spec: Pick<FerrySpec, 'name'>, jobId: string): string {
  const base = spec.name.replace(/[^A-Za-z0-9_.-]+/g, '-').replace(/^-+|-+$/g, '') || 'job';
  return `ferry-${base}`.slice(0, 56) + `-${jobId.slice(0, 7)}`;
}

/** The sbatch options for a spec (partition, account, qos, constraint, time, GPUs, extras). */
export function sbatchArgs(spec: Pick<FerrySpec, 'name' | 'resources' | 'slurm'>, jobId: string, paths: BatchPaths): string[] {
  const nodes = nodesOf(spec);
  const gpus = gpusPerNode(spec);
  const s = spec.slurm;
  const gpuName = spec.resources.gpu?.names.length === 1 ? spec.resources.gpu.names[0] : undefined;
  const args = [
    'sbatch',
    '--parsable',
    `--job-name=${slurmJobName(spec, jobId)}`,
    `--nodes=${nodes}`,
    `--ntasks-per-node=1`,
    `--chdir=${paths.work}`,
    `--output=${paths.meta}/log`,
    `--error=${paths.meta}/log`,
    '--open-mode=append',
    // Requeues stay allowed (preemption with PreemptMode=REQUEUE, `scontrol requeue`): Ferry
    // sees the restart, cancels the requeued job and recovers with a new attempt from a checkpoint.
  ];
  if (gpus > 0) args.push(`--gpus-per-node=${gpuName ? `${gpuName.toLowerCase()}:` : ''}${gpus}`);
  if (s?.partition) args.push(`--partition=${s.partition}`);
  if (s?.account) args.push(`--account=${s.account}`);
  if (s?.qos) args.push(`--qos=${s.qos}`);
  if (s?.constraint) args.push(`--constraint=${s.constraint}`);
  if (s?.time) args.push(`--time=${slurmTime(s.time)}`);
  args.push(...(s?.options ?? []));
  return args;
}

/**
 * The batch script. Runs on the first node of the allocation: sources env.sh, runs setup.sh
 * once, then srun of node.sh on every node (one task per node). Exit and step files are written
 * by the script itself, so the result survives Slurm forgetting the job (no accounting).
 */
export function batchScript(spec: Pick<FerrySpec, 'resources'>, paths: BatchPaths): string {
  const nodes = nodesOf(spec);
  const procs = Math.max(1, gpusPerNode(spec));
  const m = shQuote(paths.meta);
  return `#!/bin/sh
# Ferry batch script (generated; submitted with sbatch, see submit.sh).
meta=${m}
put() { printf '%s\\n' "$2" > "$meta/$1.tmp" && mv -f "$meta/$1.tmp" "$meta/$1"; }
cd ${shQuote(paths.work)} || { put exit "97 setup"; exit 97; }
. "$meta/env.sh" || { put exit "98 setup"; exit 98; }
trap 'put step done; put exit "143 $(cat "$meta/step.now" 2>/dev/null || echo run)"; exit 143' TERM
put step.now setup
put step setup
if [ -s "$meta/setup.sh" ]; then
  sh "$meta/setup.sh"
  code=$?
  if [ "$code" -ne 0 ]; then put step done; put exit "$code setup"; exit "$code"; fi
fi
FERRY_NUM_NODES=\${SLURM_JOB_NUM_NODES:-${nodes}}
FERRY_MASTER_ADDR=$(scontrol show hostnames "$SLURM_JOB_NODELIST" 2>/dev/null | head -n 1)
[ -n "$FERRY_MASTER_ADDR" ] || FERRY_MASTER_ADDR=$(hostname)
FERRY_MASTER_PORT=\${FERRY_MASTER_PORT:-$((20000 + \${SLURM_JOB_ID:-0} % 20000))}
FERRY_TORCHRUN="torchrun --nnodes=$FERRY_NUM_NODES --nproc-per-node=${procs} --rdzv-backend=c10d --rdzv-endpoint=$FERRY_MASTER_ADDR:$FERRY_MASTER_PORT"
export FERRY_NUM_NODES FERRY_MASTER_ADDR FERRY_MASTER_PORT FERRY_TORCHRUN
put step.now run
put step run
srun --nodes="$FERRY_NUM_NODES" --ntasks="$FERRY_NUM_NODES" --ntasks-per-node=1 --kill-on-bad-exit=1 sh "$meta/node.sh" "$meta" &
wait $!
code=$?
put step done
put exit "$code run"
exit "$code"
`;
}

/**
 * What srun runs on each node: the run command with FERRY_NODE_RANK set; its output goes both
 * to the job's log and to node-<rank>.log (for per-node logs).
 */
export const NODE_SCRIPT = `#!/bin/sh
# Ferry node script: sh node.sh META
meta="$1"
FERRY_NODE_RANK=\${SLURM_NODEID:-0}
export FERRY_NODE_RANK
rm -f "$meta/rc-$FERRY_NODE_RANK"
{ sh "$meta/run.sh"; echo $? > "$meta/rc-$FERRY_NODE_RANK"; } 2>&1 | tee -a "$meta/node-$FERRY_NODE_RANK.log"
exit "$(cat "$meta/rc-$FERRY_NODE_RANK" 2>/dev/null || echo 1)"
`;

/** Everything to write for one submission. */
export function batchJob(spec: Pick<FerrySpec, 'name' | 'resources' | 'slurm'>, jobId: string, paths: BatchPaths): BatchJob {
  return { sbatchArgs: sbatchArgs(spec, jobId, paths), script: batchScript(spec, paths), nodeScript: NODE_SCRIPT };
}

/** The submit command line: sbatch with its options, then the batch script. */
export function submitCommand(job: BatchJob, paths: BatchPaths): string {
  return shJoin([...job.sbatchArgs, `${paths.meta}/batch.sh`]);
}
