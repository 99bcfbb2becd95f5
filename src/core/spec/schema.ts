/**
 * The zod schema of ferry.yaml. Two layers:
 *
 * - `specInputSchema` describes what a user may write (strict objects, so a typo is an
 *   error, not a silently ignored key). Field-level transforms parse durations, money and
 *   GPU queries, so their errors carry the field's path. It is also the source of the JSON
 *   Schema (io: 'input'), which is why it holds no context-dependent defaults.
 * - `specSchema({dir})` adds what needs the spec's folder (default name, absolute workdir)
 *   and cross-field checks, and outputs exactly `FerrySpec`.
 *
 * Messages for type errors, missing keys and enums are written by parse.ts from FIELD_DOCS;
 * the checks here that need a specific wording (patterns, grammars) carry their own.
 */
import { basename, isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import { DURATION_EXPECTED, DURATION_PATTERN, parseDuration } from './duration';
import { parseGpuQuery } from './gpuQuery';
import { MONEY_PATTERN, parseMoney } from './money';
import { closestMatch } from './suggest';
import type { DataMount, FerrySpec, GpuQuery, RetryEvent, SlurmSpec, SpotPolicy, TargetRef } from './types';

export const SPOT_POLICIES = ['on-demand', 'spot', 'auto'] as const satisfies readonly SpotPolicy[];
export const RETRY_EVENTS = ['preemption', 'no_capacity', 'error'] as const satisfies readonly RetryEvent[];
export const PROVIDERS = ['vast', 'runpod', 'lambda'] as const;
export const TARGET_KEYWORDS = ['local', 'cheapest', ...PROVIDERS] as const;

/** Environment-variable names: what a POSIX shell can export. */
export const ENV_NAME_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;
const TARGET_RE = /^(?:local|cheapest|vast|runpod|lambda|ssh:[^\s:]+|slurm:[^\s:]+)$/;
const S3_RE = /^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](?:\/\S*)?$/;

/** Defaults not tied to the spec's folder (name and target are decided in specSchema). */
export const SPEC_DEFAULTS = {
  workdir: '.',
  spot: 'auto',
  checkpointsPath: 'checkpoints',
  retryOn: ['preemption', 'no_capacity'],
  maxAttempts: 3,
  minGpuUtil: 5,
} as const satisfies Record<string, unknown>;

/**
 * What each field is, for error messages and the JSON Schema's descriptions. Keys are field
 * paths with list indices written `[]` and record keys `*` (`data[].to`, `env.*`).
 * - what: a noun phrase, used in `required (WHAT, e.g. EXAMPLE)`.
 * - expected: what a value must be, used in `expected EXPECTED, got a list (e.g. EXAMPLE)`.
 * - example: a line the user could paste.
 */
export interface FieldDoc {
  what: string;
  expected: string;
  example: string;
  /** Extra detail for the JSON Schema description only. */
  more?: string;
}

export const FIELD_DOCS: Record<string, FieldDoc> = {
  '': { what: 'a Ferry job spec', expected: 'a map of settings (key: value lines)', example: 'run: python train.py' },
  name: { what: 'the job name', expected: 'a name', example: 'name: cifar-resnet', more: 'Defaults to the name of the folder holding ferry.yaml.' },
  workdir: {
    what: 'the folder synced to the target',
    expected: 'a folder path',
    example: 'workdir: .',
    more: 'Relative to the folder of ferry.yaml; .gitignore and .ferryignore are honoured.',
  },
  exclude: { what: 'paths not to sync', expected: 'a list of glob patterns', example: 'exclude: [data/raw/**]' },
  'exclude[]': { what: 'a glob pattern', expected: 'a glob pattern', example: 'exclude: [data/raw/**]' },
  data: {
    what: 'extra inputs copied to the target',
    expected: 'a list of {from, to} entries',
    example: 'data: [{from: ./data/processed, to: data}]',
  },
  'data[]': { what: 'an extra input', expected: 'a {from, to} map', example: '- {from: ./data/processed, to: data}' },
  'data[].from': {
    what: 'a local path or s3:// prefix to copy',
    expected: 'a local path or s3:// prefix',
    example: '- {from: ./data/processed, to: data}',
  },
  'data[].to': {
    what: 'the path on the target, relative to the run folder',
    expected: 'a relative path',
    example: '- {from: ./data/processed, to: data}',
  },
  env: { what: 'environment variables for the job', expected: 'a map of NAME: value', example: 'env: {EPOCHS: "20"}' },
  'env.*': { what: 'an environment value', expected: 'a string, number or true/false', example: 'env: {EPOCHS: "20"}' },
  secrets: {
    what: 'names of secrets passed as environment variables',
    expected: 'a list of variable names',
    example: 'secrets: [WANDB_API_KEY]',
    more: 'Names only; the values come from the environment or VS Code SecretStorage.',
  },
  'secrets[]': { what: 'a secret name', expected: 'a variable name', example: 'secrets: [WANDB_API_KEY]' },
  resources: { what: 'what the job needs from a machine', expected: 'a map', example: 'resources: {gpu: A100:80GB:1}' },
  'resources.gpu': {
    what: 'the GPUs to rent',
    expected: 'a GPU query',
    example: 'gpu: A100:80GB:1..2',
    more: 'name[,name][:memory][:count], e.g. A100, A100:80GB, H100:1..8, 24GB.., RTX4090,L40S:1.',
  },
  'resources.max_price_per_hour': {
    what: 'the highest hourly price to pay, in USD',
    expected: 'an amount in USD',
    example: 'max_price_per_hour: 2.50',
  },
  'resources.spot': {
    what: 'whether to use spot (interruptible) instances',
    expected: 'on-demand, spot or auto',
    example: 'spot: auto',
    more: 'auto: the cheaper of the two, recovering from preemption.',
  },
  'resources.providers': { what: 'the clouds to search', expected: 'a list of providers', example: 'providers: [vast, runpod, lambda]' },
  'resources.providers[]': { what: 'a cloud provider', expected: 'vast, runpod or lambda', example: 'providers: [vast, runpod, lambda]' },
  'resources.nodes': {
    what: 'the number of nodes (Slurm targets)',
    expected: 'a whole number of 1 or more',
    example: 'nodes: 2',
    more: 'resources.gpu is then the GPUs of each node.',
  },
  slurm: {
    what: 'how the job is submitted to a Slurm cluster',
    expected: 'a map',
    example: 'slurm: {partition: gpu, time: 2h}',
    more: 'Used by target slurm:<alias>, where the alias is the login node in the ssh config.',
  },
  'slurm.partition': { what: 'the Slurm partition', expected: 'a partition name', example: 'partition: gpu' },
  'slurm.account': { what: 'the Slurm account charged', expected: 'an account name', example: 'account: my-lab' },
  'slurm.qos': { what: 'the Slurm quality of service', expected: 'a QOS name', example: 'qos: normal' },
  'slurm.constraint': { what: 'node features required (sbatch --constraint)', expected: 'a constraint expression', example: 'constraint: a100&ib' },
  'slurm.time': { what: 'the time limit of the Slurm job', expected: 'a duration', example: 'time: 2h' },
  'slurm.options': { what: 'extra sbatch options', expected: 'a list of sbatch options', example: 'options: [--exclusive]' },
  'slurm.options[]': { what: 'an sbatch option', expected: 'an option starting with -', example: 'options: [--exclusive]' },
  setup: {
    what: 'commands run once before the job',
    expected: 'a command or a list of commands',
    example: 'setup: pip install -r requirements.txt',
  },
  'setup[]': { what: 'a setup command', expected: 'a command', example: 'setup: pip install -r requirements.txt' },
  run: { what: 'the command to run', expected: 'a command or a list of commands', example: 'run: python train.py' },
  'run[]': { what: 'a command', expected: 'a command', example: 'run: python train.py' },
  checkpoints: {
    what: 'where the job writes checkpoints',
    expected: 'a map',
    example: 'checkpoints: {path: checkpoints, keep: 5}',
  },
  'checkpoints.path': { what: 'the checkpoint folder, relative to workdir', expected: 'a folder path', example: 'path: checkpoints' },
  'checkpoints.keep': { what: 'how many checkpoints to keep', expected: 'a whole number of 1 or more', example: 'keep: 5' },
  'checkpoints.mirror': { what: 'an S3 prefix that mirrors the checkpoints', expected: 'an s3:// location', example: 'mirror: s3://my-bucket/cifar' },
  outputs: { what: 'paths brought home when the job ends', expected: 'a list of paths', example: 'outputs: [results/]' },
  'outputs[]': { what: 'an output path', expected: 'a path', example: 'outputs: [results/]' },
  budget: { what: 'limits on the job', expected: 'a map', example: 'budget: {max_cost: 20, max_duration: 6h}' },
  'budget.max_cost': { what: 'the most the job may cost, in USD', expected: 'an amount in USD', example: 'max_cost: 20' },
  'budget.max_duration': { what: 'the longest the job may run', expected: 'a duration', example: 'max_duration: 6h' },
  autostop: {
    what: 'when to stop an idle instance',
    expected: 'a map',
    example: 'autostop: {idle_minutes: 10, min_gpu_util: 5}',
  },
  'autostop.idle_minutes': { what: 'minutes of idleness before stopping', expected: 'a number of minutes', example: 'idle_minutes: 10' },
  'autostop.min_gpu_util': {
    what: 'the GPU utilisation (%) below which the GPU counts as idle',
    expected: 'a percentage from 0 to 100',
    example: 'min_gpu_util: 5',
  },
  retry: { what: 'when to start the job again', expected: 'a map', example: 'retry: {on: [preemption, no_capacity], max_attempts: 3}' },
  'retry.on': { what: 'the events that trigger a retry', expected: 'a list of events', example: 'on: [preemption, no_capacity]' },
  'retry.on[]': { what: 'a retry event', expected: 'preemption, no_capacity or error', example: 'on: [preemption, no_capacity]' },
  'retry.max_attempts': { what: 'the most attempts, the first included', expected: 'a whole number of 1 or more', example: 'max_attempts: 3' },
  target: {
    what: 'where the job runs',
    expected: 'local, cheapest, vast, runpod, lambda, ssh:<alias> or slurm:<alias>',
    example: 'target: cheapest',
    more: 'Defaults to cheapest when resources.gpu is set, else local.',
  },
};

/** The JSON Schema description of a field, from FIELD_DOCS. */
function described<T extends z.ZodType>(path: string, schema: T): T {
  const doc = FIELD_DOCS[path];
  if (!doc) return schema;
  const what = doc.what.charAt(0).toUpperCase() + doc.what.slice(1);
  return schema.meta({ description: `${what}.${doc.more ? ` ${doc.more}` : ''} Example: ${doc.example}` });
}

/** Parses through a plain function whose Error message becomes the issue's message. */
function parsedBy<T>(fn: (v: string | number) => T): (v: string | number, ctx: z.core.$RefinementCtx) => T {
  return (v, ctx) => {
    try {
      return fn(v);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: err instanceof Error ? err.message : String(err), input: v });
      return z.NEVER;
    }
  };
}

// Messages for empty strings are written by parse.ts (too_small), which knows the path.
const nonEmpty = (path: string) => described(path, z.string().trim().min(1));

const stringList = (path: string) => described(path, z.array(nonEmpty(`${path}[]`)));

/** A command, or a list of commands run in order (one shell script, lines joined with \n). */
const commands = (path: string) =>
  described(
    path,
    z.union([z.string().trim().min(1), z.array(nonEmpty(`${path}[]`)).min(1)]).transform((v) => (Array.isArray(v) ? v.join('\n') : v)),
  );

const duration = (path: string) =>
  described(
    path,
    z
      // The patterns only inform editors; parseDuration decides, with a better message.
      .union([z.string().meta({ pattern: DURATION_PATTERN }), z.number().meta({ minimum: 0 })])
      .transform(parsedBy(parseDuration))
      .refine((s) => s > 0, { message: `must be longer than 0s (${DURATION_EXPECTED})` }),
  );

const money = (path: string) =>
  described(
    path,
    z.union([z.string().meta({ pattern: MONEY_PATTERN }), z.number().meta({ minimum: 0 })]).transform(parsedBy(parseMoney)),
  );

const gpuQuery = described(
  'resources.gpu',
  z.union([z.string(), z.number()]).transform(parsedBy((v): GpuQuery => parseGpuQuery(String(v)))),
);

const quoted = (v: unknown) => JSON.stringify(v);

const dataMount = described(
  'data[]',
  z.strictObject({
    from: nonEmpty('data[].from'),
    to: nonEmpty('data[].to').refine((p) => !isAbsolute(p) && !p.split(/[\\/]/).includes('..'), {
      error: (iss) => `${quoted(iss.input)} must be a path inside the run folder (no leading / and no ..; e.g. to: data)`,
    }),
  }),
);

const envName = z.string().regex(ENV_NAME_RE, {
  error: (iss) => `${quoted(iss.input)} is not an environment variable name (use letters, digits and _, not starting with a digit, e.g. EPOCHS)`,
});

export const resourcesShape = {
  gpu: gpuQuery.optional(),
  max_price_per_hour: money('resources.max_price_per_hour').optional(),
  spot: described('resources.spot', z.enum(SPOT_POLICIES)).default(SPEC_DEFAULTS.spot),
  providers: described('resources.providers', z.array(described('resources.providers[]', z.enum(PROVIDERS))).min(1)).optional(),
  nodes: described('resources.nodes', z.number().int().min(1)).optional(),
};

/** A Slurm name (partition, account, qos): no spaces or commas, as Slurm itself requires. */
const slurmName = (path: string, what: string) =>
  described(
    path,
    z
      .string()
      .trim()
      .min(1)
      .regex(/^[^\s,]+$/, { error: (iss) => `${quoted(iss.input)} is not a ${what} name (no spaces or commas)` }),
  );

export const slurmShape = {
  partition: slurmName('slurm.partition', 'partition').optional(),
  account: slurmName('slurm.account', 'account').optional(),
  qos: slurmName('slurm.qos', 'QOS').optional(),
  constraint: nonEmpty('slurm.constraint').optional(),
  time: duration('slurm.time').optional(),
  options: described(
    'slurm.options',
    z.array(
      described(
        'slurm.options[]',
        z.string().regex(/^--?[A-Za-z]/, {
          error: (iss) => `${quoted(iss.input)} is not an sbatch option (expected an option starting with -, e.g. --exclusive)`,
        }),
      ),
    ),
  ).default([]),
};

export const checkpointsShape = {
  path: nonEmpty('checkpoints.path').default(SPEC_DEFAULTS.checkpointsPath),
  keep: described('checkpoints.keep', z.number().int().min(1)).optional(),
  mirror: described(
    'checkpoints.mirror',
    z.string().regex(S3_RE, {
      error: (iss) => `${quoted(iss.input)} is not an S3 location (expected s3://bucket/prefix, e.g. mirror: s3://my-bucket/cifar)`,
    }),
  ).optional(),
};

export const budgetShape = {
  max_cost: money('budget.max_cost').optional(),
  max_duration: duration('budget.max_duration').optional(),
};

export const autostopShape = {
  idle_minutes: described('autostop.idle_minutes', z.number().positive()),
  min_gpu_util: described('autostop.min_gpu_util', z.number().min(0).max(100)).default(SPEC_DEFAULTS.minGpuUtil),
};

export const retryShape = {
  on: described('retry.on', z.array(described('retry.on[]', z.enum(RETRY_EVENTS)))).default([...SPEC_DEFAULTS.retryOn]),
  max_attempts: described('retry.max_attempts', z.number().int().min(1)).default(SPEC_DEFAULTS.maxAttempts),
};

export const topShape = {
  name: nonEmpty('name').optional(),
  workdir: nonEmpty('workdir').default(SPEC_DEFAULTS.workdir),
  exclude: stringList('exclude').default([]),
  data: described('data', z.array(dataMount)).default([]),
  env: described(
    'env',
    z.record(envName, described('env.*', z.union([z.string(), z.number(), z.boolean()]).transform(String))),
  ).default({}),
  secrets: described(
    'secrets',
    z.array(
      described(
        'secrets[]',
        z.string().regex(ENV_NAME_RE, {
          error: (iss) =>
            `${quoted(iss.input)} is not a secret name (use letters, digits and _, not starting with a digit, e.g. WANDB_API_KEY)`,
        }),
      ),
    ),
  ).default([]),
  resources: described('resources', z.strictObject(resourcesShape)).prefault({}),
  setup: commands('setup').optional(),
  run: commands('run'),
  checkpoints: described('checkpoints', z.strictObject(checkpointsShape)).prefault({}),
  outputs: stringList('outputs').default([]),
  budget: described('budget', z.strictObject(budgetShape)).prefault({}),
  autostop: described('autostop', z.strictObject(autostopShape)).optional(),
  retry: described('retry', z.strictObject(retryShape)).prefault({}),
  slurm: described('slurm', z.strictObject(slurmShape)).optional(),
  target: described(
    'target',
    z.string().regex(TARGET_RE, {
      error: (iss) => {
        const text = String(iss.input);
        const near = text.startsWith('ssh') || text.startsWith('slurm') ? undefined : closestMatch(text, TARGET_KEYWORDS);
        const fix = near ? `did you mean ${quoted(near)}? ` : '';
        return `${quoted(iss.input)} is not a target (${fix}expected local, cheapest, vast, runpod, lambda, ssh:<alias> or slurm:<alias>)`;
      },
    }),
  ).optional(),
};

/** What a user may write in ferry.yaml; the JSON Schema is generated from this. */
export const specInputSchema = z.strictObject(topShape).meta({
  title: 'ferry.yaml',
  description: 'A Ferry job spec: what to run, on which GPUs, within which budget. See DESIGN.md, section ferry.yaml.',
});

/** Every object's keys by path pattern, for "unknown key (did you mean ...)". */
export const KNOWN_KEYS: Record<string, readonly string[]> = {
  '': Object.keys(topShape),
  resources: Object.keys(resourcesShape),
  checkpoints: Object.keys(checkpointsShape),
  budget: Object.keys(budgetShape),
  autostop: Object.keys(autostopShape),
  retry: Object.keys(retryShape),
  slurm: Object.keys(slurmShape),
  'data[]': ['from', 'to'],
};

type SpecInput = z.output<typeof specInputSchema>;

function unique<T>(items: readonly T[]): T[] {
  return [...new Set(items)];
}

/** Context a spec is read in: the folder relative paths resolve against. */
export interface SpecContext {
  /** Absolute folder of the ferry.yaml (or of the script). */
  dir: string;
}

/** Builds the FerrySpec from validated input; optional keys are absent, never undefined. */
export function normalizeSpec(v: SpecInput, ctx: SpecContext): FerrySpec {
  const r = v.resources;
  const c = v.checkpoints;
  const b = v.budget;
  // Keys in DESIGN.md's order, so JSON snapshots of a job's spec read like the YAML.
  return {
    name: v.name ?? (basename(ctx.dir) || 'job'),
    workdir: resolve(ctx.dir, v.workdir),
    exclude: v.exclude,
    data: v.data.map((d): DataMount => ({ from: d.from, to: d.to })),
    env: v.env,
    secrets: unique(v.secrets),
    resources: {
      ...(r.gpu !== undefined && { gpu: r.gpu }),
      ...(r.max_price_per_hour !== undefined && { max_price_per_hour: r.max_price_per_hour }),
      spot: r.spot,
      ...(r.providers !== undefined && { providers: unique(r.providers) }),
      ...(r.nodes !== undefined && { nodes: r.nodes }),
    },
    ...(v.setup !== undefined && { setup: v.setup }),
    run: v.run,
    checkpoints: {
      path: c.path,
      ...(c.keep !== undefined && { keep: c.keep }),
      ...(c.mirror !== undefined && { mirror: c.mirror }),
    },
    outputs: v.outputs,
    budget: {
      ...(b.max_cost !== undefined && { max_cost: b.max_cost }),
      ...(b.max_duration !== undefined && { max_duration: b.max_duration }),
    },
    ...(v.autostop !== undefined && { autostop: { idle_minutes: v.autostop.idle_minutes, min_gpu_util: v.autostop.min_gpu_util } }),
    retry: { on: unique(v.retry.on), max_attempts: v.retry.max_attempts },
    ...(v.slurm !== undefined && { slurm: normalizeSlurm(v.slurm) }),
    // The regex in topShape admits only TargetRef strings.
    target: (v.target ?? (r.gpu ? 'cheapest' : 'local')) as TargetRef,
  };
}

function normalizeSlurm(s: NonNullable<SpecInput['slurm']>): SlurmSpec {
  return {
    ...(s.partition !== undefined && { partition: s.partition }),
    ...(s.account !== undefined && { account: s.account }),
    ...(s.qos !== undefined && { qos: s.qos }),
    ...(s.constraint !== undefined && { constraint: s.constraint }),
    ...(s.time !== undefined && { time: s.time }),
    options: s.options,
  };
}

/** The full schema for one spec folder: validates, cross-checks, outputs FerrySpec. */
export function specSchema(ctx: SpecContext): z.ZodType<FerrySpec, unknown> {
  return specInputSchema
    .superRefine((v, rc) => {
      const t = v.target;
      const providers = v.resources.providers;
      if (t && providers && (PROVIDERS as readonly string[]).includes(t) && !(providers as string[]).includes(t)) {
        rc.addIssue({
          code: 'custom',
          path: ['target'],
          input: t,
          message: `${t} is not in resources.providers (${providers.join(', ')}); add it there or choose another target`,
        });
      }
      if (v.resources.nodes !== undefined && v.resources.nodes > 1 && t && !t.startsWith('slurm:')) {
        rc.addIssue({
          code: 'custom',
          path: ['resources', 'nodes'],
          input: v.resources.nodes,
          message: `${v.resources.nodes} nodes need a Slurm target (target: slurm:<alias>); ${t} runs on one machine`,
        });
      }
    })
    .transform((v) => normalizeSpec(v, ctx));
}
