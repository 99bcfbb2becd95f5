import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseSpecText, SpecError } from '../../../src/core/spec/parse';
import type { FerrySpec } from '../../../src/core/spec/types';
import { UserError } from '../../../src/core/util/errors';

const DIR = '/work/projects/cifar';
const parse = (text: string) => parseSpecText(text, { file: 'ferry.yaml', dir: DIR });

/** The SpecError's message for a bad spec (fails the test when the spec parses). */
function errorOf(text: string): string {
  try {
    parse(text);
  } catch (err) {
    assert.ok(err instanceof SpecError, `expected a SpecError, got ${String(err)}`);
    return err.message;
  }
  assert.fail(`expected ${JSON.stringify(text)} to be refused`);
}

// DESIGN.md's example, verbatim.
const DESIGN_EXAMPLE = `name: cifar-resnet
workdir: .                       # synced to the remote; .gitignore and .ferryignore honoured
exclude: [data/raw/**]
data:                            # extra inputs: local paths or s3:// prefixes -> remote paths
  - {from: ./data/processed, to: data}
env: {EPOCHS: "20"}
secrets: [WANDB_API_KEY]         # names only; values from the environment or SecretStorage
resources:
  gpu: A100:80GB:1..2            # name[,name]:memory-range:count-range, as in \`ferry offers\`
  max_price_per_hour: 2.50
  spot: auto                     # on-demand | spot | auto
  providers: [vast, runpod, lambda]
setup: pip install -r requirements.txt
run: python train.py
checkpoints: {path: checkpoints, keep: 5, mirror: s3://my-bucket/cifar}
outputs: [results/]
budget: {max_cost: 20, max_duration: 6h}
autostop: {idle_minutes: 10, min_gpu_util: 5}
retry: {on: [preemption, no_capacity], max_attempts: 5}
target: cheapest                 # local | ssh:<alias> | vast | runpod | lambda | cheapest
`;

describe('parseSpecText: good specs', () => {
  it("normalizes DESIGN.md's example", () => {
    const expected: FerrySpec = {
      name: 'cifar-resnet',
      workdir: DIR,
      exclude: ['data/raw/**'],
      data: [{ from: './data/processed', to: 'data' }],
      env: { EPOCHS: '20' },
      secrets: ['WANDB_API_KEY'],
      resources: {
        gpu: { names: ['A100'], memoryGb: { min: 80, max: 80 }, count: { min: 1, max: 2 }, raw: 'A100:80GB:1..2' },
        max_price_per_hour: 2.5,
        spot: 'auto',
        providers: ['vast', 'runpod', 'lambda'],
      },
      setup: 'pip install -r requirements.txt',
      run: 'python train.py',
      checkpoints: { path: 'checkpoints', keep: 5, mirror: 's3://my-bucket/cifar' },
      outputs: ['results/'],
      budget: { max_cost: 20, max_duration: 21_600 },
      autostop: { idle_minutes: 10, min_gpu_util: 5 },
      retry: { on: ['preemption', 'no_capacity'], max_attempts: 5 },
      target: 'cheapest',
    };
    assert.deepStrictEqual(parse(DESIGN_EXAMPLE), expected);
  });

  it('fills every default for a bare run', () => {
    const expected: FerrySpec = {
      name: 'cifar',
      workdir: DIR,
      exclude: [],
      data: [],
      env: {},
      secrets: [],
      resources: { spot: 'auto' },
      run: 'python train.py',
      checkpoints: { path: 'checkpoints' },
      outputs: [],
      budget: {},
      retry: { on: ['preemption', 'no_capacity'], max_attempts: 3 },
      target: 'local',
    };
    assert.deepStrictEqual(parse('run: python train.py\n'), expected);
  });

  it('targets the cheapest offer when a GPU is asked for', () => {
    const spec = parse('run: x\nresources: {gpu: H100:8}\n');
    assert.equal(spec.target, 'cheapest');
    assert.deepEqual(spec.resources.gpu?.count, { min: 8, max: 8 });
    assert.equal(parse('run: x\nresources: {gpu: H100}\ntarget: local\n').target, 'local');
  });

  it('joins a list of commands with newlines', () => {
    const spec = parse('setup:\n  - pip install -U pip\n  - pip install -r requirements.txt\nrun: [python prep.py, python train.py]\n');
    assert.equal(spec.setup, 'pip install -U pip\npip install -r requirements.txt');
    assert.equal(spec.run, 'python prep.py\npython train.py');
  });

  it('turns env numbers and booleans into the text written', () => {
    const spec = parse('run: x\nenv: {EPOCHS: 20, LR: 3e-4, VERSION: 1.10, DEBUG: true, NAME: abc}\n');
    assert.deepStrictEqual(spec.env, { EPOCHS: '20', LR: '3e-4', VERSION: '1.10', DEBUG: 'true', NAME: 'abc' });
  });

  it('resolves workdir against the spec folder', () => {
    assert.equal(parse('run: x\nworkdir: src\n').workdir, `${DIR}/src`);
    assert.equal(parse('run: x\nworkdir: ../shared\n').workdir, '/work/projects/shared');
    assert.equal(parse('run: x\nworkdir: /abs/dir\n').workdir, '/abs/dir');
  });

  it('accepts the other spellings of money, durations and targets', () => {
    const spec = parse('run: x\nbudget: {max_cost: "$12.50", max_duration: 1h30m}\nresources: {max_price_per_hour: 3 USD}\ntarget: ssh:gpu-box\n');
    assert.deepStrictEqual(spec.budget, { max_cost: 12.5, max_duration: 5_400 });
    assert.equal(spec.resources.max_price_per_hour, 3);
    assert.equal(spec.target, 'ssh:gpu-box');
    assert.equal(parse('run: x\nbudget: {max_duration: 3600}\n').budget.max_duration, 3_600);
  });

  it('defaults min_gpu_util and drops repeated list entries', () => {
    const spec = parse('run: x\nautostop: {idle_minutes: 15}\nsecrets: [A, A]\nretry: {on: [error, error]}\nresources: {providers: [vast, vast]}\n');
    assert.deepStrictEqual(spec.autostop, { idle_minutes: 15, min_gpu_util: 5 });
    assert.deepStrictEqual(spec.secrets, ['A']);
    assert.deepStrictEqual(spec.retry, { on: ['error'], max_attempts: 3 });
    assert.deepStrictEqual(spec.resources.providers, ['vast']);
  });

  it('follows YAML anchors and aliases', () => {
    const spec = parse('name: &n demo\nrun: python train.py\noutputs: [*n]\n');
    assert.equal(spec.name, 'demo');
    assert.deepStrictEqual(spec.outputs, ['demo']);
  });
});

describe('parseSpecText: bad specs (exact messages)', () => {
  const table: [string, string, string][] = [
    ['unknown top-level key, with did-you-mean', 'name: a\nrun: x\nresourses: {gpu: A100}\n', 'ferry.yaml:3:1: resourses: unknown key (did you mean "resources"?)'],
    [
      'unknown top-level key, far from any',
      'run: x\nfoo: 1\n',
      'ferry.yaml:2:1: foo: unknown key (expected one of name, workdir, exclude, data, env, secrets, resources, setup, run, checkpoints, outputs, budget, autostop, retry, slurm or target)',
    ],
    [
      'a section key written at the top',
      'run: x\ngpu: A100\n',
      'ferry.yaml:2:1: gpu: unknown key (it belongs under resources:, e.g. resources: {gpu: A100:80GB:1..2})',
    ],
    ['unknown nested key', 'run: x\nresources:\n  gpus: A100\n', 'ferry.yaml:3:3: resources.gpus: unknown key (did you mean "gpu"?)'],
    [
      'bad GPU query',
      'name: a\nworkdir: .\nexclude: []\ndata: []\nenv: {}\nresources:\n  gpu: A100:80G\nrun: x\n',
      'ferry.yaml:7:8: resources.gpu: "A100:80G" is not a GPU query (expected name[:memory][:count], e.g. A100:80GB:1)',
    ],
    [
      'bad duration',
      'run: x\nbudget: {max_duration: 6 hours}\n',
      'ferry.yaml:2:24: budget.max_duration: "6 hours" is not a duration (expected a duration like 90m, 6h or 1h30m)',
    ],
    [
      'zero duration',
      'run: x\nbudget:\n  max_duration: 0\n',
      'ferry.yaml:3:17: budget.max_duration: must be longer than 0s (expected a duration like 90m, 6h or 1h30m)',
    ],
    [
      'negative money',
      'run: x\nbudget: {max_cost: -5}\n',
      'ferry.yaml:2:20: budget.max_cost: -5 is negative (expected an amount in USD of 0 or more, e.g. 20, 2.50 or $20)',
    ],
    [
      'money that is not money',
      'run: x\nresources:\n  max_price_per_hour: cheap\n',
      'ferry.yaml:3:23: resources.max_price_per_hour: "cheap" is not an amount of money (expected an amount in USD of 0 or more, e.g. 20, 2.50 or $20)',
    ],
    [
      'a list where a map belongs',
      'run: x\nresources: [A100]\n',
      'ferry.yaml:2:12: resources: expected a map, got a list (e.g. resources: {gpu: A100:80GB:1})',
    ],
    [
      'a string where a list belongs',
      'run: x\nexclude: data\n',
      'ferry.yaml:2:10: exclude: expected a list of glob patterns, got "data" (e.g. exclude: [data/raw/**])',
    ],
    ['an empty section', 'run: x\nbudget:\n', 'ferry.yaml:2:1: budget: expected a map, got nothing (e.g. budget: {max_cost: 20, max_duration: 6h})'],
    ['missing run', 'name: demo\nresources: {gpu: A100}\n', 'ferry.yaml:1:1: run: required (the command to run, e.g. run: python train.py)'],
    ['empty run', 'run: ""\n', 'ferry.yaml:1:6: run: must not be empty (e.g. run: python train.py)'],
    ['run with a non-string command', 'run: [python a.py, 3]\n', 'ferry.yaml:1:20: run[1]: expected a command, got 3 (e.g. run: python train.py)'],
    [
      'bad spot value',
      'run: x\nresources: {spot: sport}\n',
      'ferry.yaml:2:19: resources.spot: expected on-demand, spot or auto, got "sport" (did you mean "spot"?)',
    ],
    [
      'bad target',
      'run: x\ntarget: aws\n',
      'ferry.yaml:2:9: target: "aws" is not a target (expected local, cheapest, vast, runpod, lambda, ssh:<alias> or slurm:<alias>)',
    ],
    [
      'misspelt target',
      'run: x\ntarget: cheapst\n',
      'ferry.yaml:2:9: target: "cheapst" is not a target (did you mean "cheapest"? expected local, cheapest, vast, runpod, lambda, ssh:<alias> or slurm:<alias>)',
    ],
    [
      'ssh target without an alias',
      'run: x\ntarget: "ssh:"\n',
      'ferry.yaml:2:9: target: "ssh:" is not a target (expected local, cheapest, vast, runpod, lambda, ssh:<alias> or slurm:<alias>)',
    ],
    [
      'target outside the providers',
      'run: x\ntarget: vast\nresources: {providers: [runpod, lambda]}\n',
      'ferry.yaml:2:9: target: vast is not in resources.providers (runpod, lambda); add it there or choose another target',
    ],
    [
      'bad provider',
      'run: x\nresources:\n  providers: [vast, aws]\n',
      'ferry.yaml:3:21: resources.providers[1]: expected vast, runpod or lambda, got "aws" (e.g. providers: [vast, runpod, lambda])',
    ],
    [
      'empty providers',
      'run: x\nresources: {providers: []}\n',
      'ferry.yaml:2:24: resources.providers: must list at least 1 entry (e.g. providers: [vast, runpod, lambda])',
    ],
    ['keep 0', 'run: x\ncheckpoints: {keep: 0}\n', 'ferry.yaml:2:21: checkpoints.keep: must be at least 1, got 0 (e.g. keep: 5)'],
    ['keep 1.5', 'run: x\ncheckpoints: {keep: 1.5}\n', 'ferry.yaml:2:21: checkpoints.keep: expected a whole number of 1 or more, got 1.5 (e.g. keep: 5)'],
    [
      'min_gpu_util 150',
      'run: x\nautostop:\n  idle_minutes: 10\n  min_gpu_util: 150\n',
      'ferry.yaml:4:17: autostop.min_gpu_util: must be at most 100, got 150 (e.g. min_gpu_util: 5)',
    ],
    [
      'autostop without idle_minutes',
      'run: x\nautostop: {min_gpu_util: 5}\n',
      'ferry.yaml:2:11: autostop.idle_minutes: required (minutes of idleness before stopping, e.g. idle_minutes: 10)',
    ],
    [
      'bad secret name',
      'run: x\nsecrets: [WANDB_API_KEY, my-key]\n',
      'ferry.yaml:2:26: secrets[1]: "my-key" is not a secret name (use letters, digits and _, not starting with a digit, e.g. WANDB_API_KEY)',
    ],
    [
      'bad env name, bad env value',
      'run: x\nenv:\n  1ST: a\n  OK: [1]\n',
      [
        'ferry.yaml:3:3: env.1ST: "1ST" is not an environment variable name (use letters, digits and _, not starting with a digit, e.g. EPOCHS)',
        'ferry.yaml:4:7: env.OK: expected a string, number or true/false, got a list (e.g. env: {EPOCHS: "20"})',
      ].join('\n'),
    ],
    [
      'bad mirror',
      'run: x\ncheckpoints: {mirror: gs://bucket/cifar}\n',
      'ferry.yaml:2:23: checkpoints.mirror: "gs://bucket/cifar" is not an S3 location (expected s3://bucket/prefix, e.g. mirror: s3://my-bucket/cifar)',
    ],
    [
      'YAML syntax error',
      'run: x\nresources: {gpu: A100\n',
      'ferry.yaml:3:1: YAML syntax error: Flow map in block collection must be sufficiently indented and end with a } (check the indentation, colons and quotes here)',
    ],
    [
      'YAML: a key indented under a value',
      'run: python train.py\n  setup: pip install x\n',
      'ferry.yaml:1:6: YAML syntax error: a map cannot start here (a second "key:" on one line, or a line below indented too far; quote a value that holds ": ")',
    ],
    ['YAML: tab indentation', 'resources:\n\tgpu: A100\nrun: x\n', 'ferry.yaml:2:1: tabs are not allowed for indentation in YAML (indent with spaces)'],
    ['YAML: duplicate key', 'run: a\nname: b\nrun: c\n', 'ferry.yaml:3:1: duplicate key "run" (each key may appear once; merge the two entries)'],
    [
      'YAML: two documents',
      'run: a\n---\nrun: b\n',
      'ferry.yaml:2:1: more than one YAML document (a ferry.yaml holds one; remove the --- line and what follows it)',
    ],
    ['YAML: unknown alias', 'name: &n demo\nrun: *cmd\n', 'ferry.yaml:2:6: unknown alias *cmd (define the anchor &cmd above it)'],
    ['empty file', '', 'ferry.yaml:1:1: the spec is empty (write at least the command to run, e.g. run: python train.py)'],
    ['only comments', '# todo\n\n', 'ferry.yaml:1:1: the spec is empty (write at least the command to run, e.g. run: python train.py)'],
    [
      'top-level list',
      '- run: python train.py\n',
      'ferry.yaml:1:1: expected a map of settings (key: value lines), got a list (e.g. run: python train.py)',
    ],
    [
      'top-level text (a missing colon)',
      '# my job\nrun python train.py\n',
      'ferry.yaml:2:1: expected a map of settings (key: value lines), got "run python train.py" (e.g. run: python train.py)',
    ],
    [
      'data entry missing to',
      'run: x\ndata:\n  - {from: ./data/processed}\n',
      'ferry.yaml:3:5: data[0].to: required (the path on the target, relative to the run folder, e.g. - {from: ./data/processed, to: data})',
    ],
    [
      'data entry escaping the run folder',
      'run: x\ndata:\n  - from: ./d\n    to: ../outside\n',
      'ferry.yaml:4:9: data[0].to: "../outside" must be a path inside the run folder (no leading / and no ..; e.g. to: data)',
    ],
    ['data entry with an unknown key', 'run: x\ndata: [{from: a, to: b, mode: ro}]\n', 'ferry.yaml:2:25: data[0].mode: unknown key (expected one of from or to)'],
    [
      'retry.on bad value',
      'run: x\nretry: {on: [preemption, preemtion]}\n',
      'ferry.yaml:2:26: retry.on[1]: expected preemption, no_capacity or error, got "preemtion" (did you mean "preemption"?)',
    ],
    ['max_attempts 0', 'run: x\nretry: {max_attempts: 0}\n', 'ferry.yaml:2:23: retry.max_attempts: must be at least 1, got 0 (e.g. max_attempts: 3)'],
    [
      'several problems, in file order',
      'target: nowhere\nrun: x\nresources: {spot: never}\n',
      [
        'ferry.yaml:1:9: target: "nowhere" is not a target (expected local, cheapest, vast, runpod, lambda, ssh:<alias> or slurm:<alias>)',
        'ferry.yaml:3:19: resources.spot: expected on-demand, spot or auto, got "never" (e.g. spot: auto)',
      ].join('\n'),
    ],
  ];

  it('has no duplicate cases', () => {
    assert.equal(new Set(table.map(([, text]) => text)).size, table.length);
  });
  for (const [title, text, message] of table) {
    it(title, () => assert.equal(errorOf(text), message));
  }
});

describe('SpecError', () => {
  it('is a UserError (exit code 2) and carries structured diagnostics', () => {
    try {
      parseSpecText('run: x\nresources:\n  gpu: A100:80G\n', { file: 'jobs/ferry.yaml', dir: DIR });
      assert.fail('expected a SpecError');
    } catch (err) {
      assert.ok(err instanceof SpecError);
      assert.ok(err instanceof UserError);
      assert.equal(err.exitCode, 2);
      assert.equal(err.name, 'SpecError');
      assert.deepStrictEqual(err.diagnostics, [
        {
          file: 'jobs/ferry.yaml',
          line: 3,
          col: 8,
          path: 'resources.gpu',
          message: '"A100:80G" is not a GPU query (expected name[:memory][:count], e.g. A100:80GB:1)',
        },
      ]);
    }
  });
});
