import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { batchJob, slurmTime, submitCommand } from '../../../src/core/slurm/script';
import { gpusOfGres, parseSacct, parseSbatchParsable, parseScontrolJob, parseSinfo, parseSqueue } from '../../../src/core/slurm/parse';
import { SLURM_SHORT_STATES, SLURM_STATES, mapSlurmState } from '../../../src/core/slurm/states';
import { slurmJobCost, slurmPricePerHour } from '../../../src/core/slurm/cost';
import { parseSpecText } from '../../../src/core/spec/parse';

const parse = (text: string) => parseSpecText(text, { file: 'ferry.yaml', dir: '/w/p' });
function errorOf(text: string): string {
  try {
    parse(text);
  } catch (err) {
    return (err as Error).message;
  }
  assert.fail(`expected ${JSON.stringify(text)} to be refused`);
}

const PATHS = { meta: "/scratch/it's here/meta", work: "/scratch/it's here/work" };

describe('slurm batch job', () => {
  it('passes every option as one quoted argument, nasty values included', () => {
    const spec = parse(
      `name: "x; rm -rf /"\nresources: {gpu: A100:2, nodes: 3}\nslurm:\n  partition: gpu\n  account: "lab$(id)"\n  qos: high\n  constraint: "a100&ib|h100"\n  time: 90m\n  options: ["--comment=it's \\"quoted\\" $HOME", --exclusive]\nrun: python train.py\ntarget: slurm:cluster\n`,
    );
    const b = batchJob(spec, 'abcdef1234', PATHS);
    assert.deepEqual(b.sbatchArgs.slice(0, 3), ['sbatch', '--parsable', '--job-name=ferry-x-rm--rf-abcdef1']);
    for (const a of ['--nodes=3', '--gpus-per-node=a100:2', '--partition=gpu', '--account=lab$(id)', '--qos=high', '--constraint=a100&ib|h100', '--time=01:30:00', '--exclusive', `--comment=it's "quoted" $HOME`]) {
      assert.ok(b.sbatchArgs.includes(a), `${a} in ${b.sbatchArgs.join(' ')}`);
    }
    // The shell sees exactly these words: echo them back through sh.
    const cmd = submitCommand(b, PATHS);
    const words = execFileSync('sh', ['-c', `for w in ${cmd.replace(/^sbatch /, '')}; do printf '%s\\n' "$w"; done`], { encoding: 'utf8' }).trimEnd().split('\n');
    assert.deepEqual(words, [...b.sbatchArgs.slice(1), `${PATHS.meta}/batch.sh`]);
  });

  it('runs setup once, then srun on every node with the FERRY_* rank variables and a torchrun prefix', () => {
    const spec = parse('resources: {gpu: H100:8, nodes: 2}\nrun: $FERRY_TORCHRUN train.py\ntarget: slurm:c\n');
    const s = batchJob(spec, 'j', PATHS).script;
    assert.match(s, /^meta='\/scratch\/it'\\''s here\/meta'$/m);
    assert.match(s, /sh "\$meta\/setup.sh"/);
    assert.match(s, /srun --nodes="\$FERRY_NUM_NODES" --ntasks="\$FERRY_NUM_NODES" --ntasks-per-node=1/);
    assert.match(s, /FERRY_TORCHRUN="torchrun --nnodes=\$FERRY_NUM_NODES --nproc-per-node=8 --rdzv-backend=c10d --rdzv-endpoint=\$FERRY_MASTER_ADDR:\$FERRY_MASTER_PORT"/);
    assert.match(s, /export FERRY_NUM_NODES FERRY_MASTER_ADDR FERRY_MASTER_PORT FERRY_TORCHRUN/);
    assert.match(batchJob(spec, 'j', PATHS).nodeScript, /FERRY_NODE_RANK=\$\{SLURM_NODEID:-0\}/);
    execFileSync('sh', ['-n', '-c', s]);
  });

  it('asks for no GPUs without resources.gpu and formats time limits', () => {
    const b = batchJob(parse('run: x\n'), 'j', PATHS);
    assert.ok(!b.sbatchArgs.some((a) => a.startsWith('--gpus')));
    assert.ok(b.sbatchArgs.includes('--nodes=1'));
    assert.equal(slurmTime(30), '1');
    assert.equal(slurmTime(59 * 60), '59');
    assert.equal(slurmTime(2 * 3600), '02:00:00');
    assert.equal(slurmTime(2 * 86400 + 61), '2-00:02:00');
  });
});

describe('slurm states', () => {
  const table: [string, string, string][] = [
    ['PENDING', 'queued', 'SETUP'],
    ['CONFIGURING', 'active', 'SETUP'],
    ['RUNNING', 'active', 'RUNNING'],
    ['COMPLETING', 'active', 'RUNNING'],
    ['COMPLETED', 'ended', 'SUCCEEDED'],
    ['FAILED', 'ended', 'FAILED'],
    ['CANCELLED', 'ended', 'CANCELLED'],
    ['TIMEOUT', 'ended', 'FAILED'],
    ['PREEMPTED', 'lost', 'RECOVERING'],
    ['NODE_FAIL', 'lost', 'RECOVERING'],
    ['OUT_OF_MEMORY', 'ended', 'FAILED'],
    ['BOOT_FAIL', 'ended', 'FAILED'],
    ['DEADLINE', 'ended', 'FAILED'],
    ['REQUEUED', 'lost', 'RECOVERING'],
    ['SUSPENDED', 'active', 'RUNNING'],
  ];
  for (const [slurm, phase, state] of table) {
    it(`${slurm} -> ${phase} / ${state}`, () => {
      const m = mapSlurmState(slurm, 'Resources');
      assert.equal(m.phase, phase);
      assert.equal(m.state, state);
      assert.match(m.reason, new RegExp(`Slurm: ${slurm} .*reason: Resources`));
    });
  }
  it('reads short codes, sacct suffixes and unknown states', () => {
    assert.equal(mapSlurmState('PD').slurm, 'PENDING');
    assert.equal(mapSlurmState('CANCELLED by 1000').state, 'CANCELLED');
    assert.equal(mapSlurmState('TO').reason, 'Slurm: TIMEOUT (reached its time limit)');
    assert.equal(mapSlurmState('WEIRD').phase, 'active');
    for (const long of Object.values(SLURM_SHORT_STATES)) assert.ok(SLURM_STATES[long], long);
  });
});

describe('slurm output parsers (recorded from slurm-wlm 22.05)', () => {
  it('sbatch --parsable', () => {
    assert.deepEqual(parseSbatchParsable('42\n'), { jobId: '42' });
    assert.deepEqual(parseSbatchParsable('43;cluster2\n'), { jobId: '43', cluster: 'cluster2' });
    assert.throws(() => parseSbatchParsable('sbatch: error: nope'), /no job id/);
  });
  it('squeue', () => {
    const rows = parseSqueue('12|PENDING|Priority|2|gpu|4294901757|\n11|RUNNING|None|2|gpu|4294901758|node[1-2]\n');
    assert.equal(rows.length, 2);
    assert.deepEqual(rows[0], { jobId: '12', state: 'PENDING', reason: 'Priority', nodes: 2, partition: 'gpu', priority: 4294901757, nodeList: '' });
    assert.throws(() => parseSqueue('x|y'), /squeue/);
  });
  it('sacct --parsable2', () => {
    const rows = parseSacct('7|CANCELLED by 0|0:15|None|node1|00:00:03\n8|TIMEOUT|0:0|TimeLimit|node[1-2]|00:01:00\n');
    assert.equal(rows[0]?.signal, 15);
    assert.equal(rows[1]?.state, 'TIMEOUT');
  });
  it('scontrol show job -o', () => {
    const text =
      'JobId=4 JobName=ferry-pre UserId=root(0) GroupId=root(0) MCS_label=N/A Priority=4294901757 Nice=0 Account=(null) QOS=(null) JobState=PENDING Reason=BeginTime Dependency=(null) Requeue=1 Restarts=1 BatchFlag=1 Reboot=0 ExitCode=0:0 RunTime=00:00:00 TimeLimit=UNLIMITED NodeList=(null) NumNodes=1 Partition=gpu\n';
    const j = parseScontrolJob(text);
    assert.deepEqual(j && { state: j.state, reason: j.reason, restarts: j.restarts, nodeList: j.nodeList, partition: j.partition, exitCode: j.exitCode }, {
      state: 'PENDING',
      reason: 'BeginTime',
      restarts: 1,
      nodeList: '',
      partition: 'gpu',
      exitCode: 0,
    });
    assert.equal(parseScontrolJob('slurm_load_jobs error: Invalid job id specified\n'), undefined);
  });
  it('sinfo partitions and gres', () => {
    const rows = parseSinfo('gpu*|up|0/2/0/2|2|2000|(null)|infinite\na100|up|3/1/0/4|64|512000|gpu:a100:8(S:0-1)|2-00:00:00\n');
    assert.equal(rows[0]?.isDefault, true);
    assert.deepEqual(rows[1]?.nodes, { allocated: 3, idle: 1, other: 0, total: 4 });
    assert.deepEqual(gpusOfGres(rows[1]?.gres ?? ''), { name: 'a100', count: 8 });
    assert.deepEqual(gpusOfGres(''), { count: 0 });
  });
});

describe('slurm cost', () => {
  it('is nodes x GPUs x hours x price per GPU-hour, 0 by default', () => {
    const spec = parse('resources: {gpu: A100:4, nodes: 2}\nrun: x\ntarget: slurm:c\n');
    assert.equal(slurmPricePerHour(spec, 0.5), 4);
    assert.equal(slurmJobCost(spec, 0.5, 1800), 2);
    assert.equal(slurmJobCost(spec, 0, 3600), 0);
  });
});

describe('spec: slurm block and resources.nodes', () => {
  it('normalizes the block', () => {
    const s = parse('resources: {nodes: 2}\nslurm: {partition: gpu, time: 2h, options: [--exclusive]}\nrun: x\ntarget: slurm:cluster\n');
    assert.deepEqual(s.slurm, { partition: 'gpu', time: 7200, options: ['--exclusive'] });
    assert.equal(s.resources.nodes, 2);
    assert.equal(s.target, 'slurm:cluster');
  });
  it('refuses bad values with precise errors', () => {
    assert.equal(errorOf('run: x\nslurm: {partiton: gpu}\n'), 'ferry.yaml:2:9: slurm.partiton: unknown key (did you mean "partition"?)');
    assert.match(errorOf('run: x\nslurm: {partition: "a b"}\n'), /^ferry\.yaml:2:20: slurm\.partition: "a b" is not a partition name \(no spaces or commas\)$/);
    assert.match(errorOf('run: x\nslurm: {time: soon}\n'), /^ferry\.yaml:2:15: slurm\.time: "soon" is not a duration/);
    assert.match(errorOf('run: x\nslurm: {options: [exclusive]}\n'), /slurm\.options\[0\]: "exclusive" is not an sbatch option/);
    assert.match(errorOf('run: x\nresources: {nodes: 0}\n'), /resources\.nodes: /);
    assert.match(errorOf('run: x\nresources: {nodes: 2}\ntarget: local\n'), /resources\.nodes: 2 nodes need a Slurm target/);
    assert.match(errorOf('run: x\ntarget: "slurm:"\n'), /is not a target .*slurm:<alias>/);
  });
});
