import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { Notice } from '../core/cost/budget';
import { formatUsd } from '../core/cost/meter';
import { jobDir } from '../core/jobs/paths';
import { followJob, runJob } from '../core/jobs/runner';
import { isTerminal } from '../core/jobs/stateMachine';
import type { JobRecord } from '../core/jobs/types';
import type { RunningJob } from '../core/targets/target';
import type { CliContext } from './context';
import { err, formatAge, out } from './io';

export interface ForegroundOptions {
  json?: boolean;
  resumeFrom?: string;
  /** Reattach to a started attempt instead of starting one. */
  running?: RunningJob;
  logOffset?: number;
}

/**
 * Runs (or follows) a job in the foreground. On a terminal: the log streams above a status line
 * with phase, elapsed time and cost. Piped: plain log lines and one line per phase. Under
 * --json the log goes to stderr and stdout gets only the final record.
 * Ctrl-C stops the job (exit 130); a second Ctrl-C leaves it running detached.
 */
export async function runForeground(ctx: CliContext, job: JobRecord, o: ForegroundOptions): Promise<JobRecord> {
  const target = await ctx.targetFor(job.target);
  const config = await ctx.config();
  const abort = new AbortController();
  let interrupts = 0;
  const onSigint = () => {
    interrupts++;
    if (interrupts === 1) {
      err.line(`\nstopping ${job.id}... (Ctrl-C again to leave it running; stop later with: ferry stop ${job.id})`);
      abort.abort();
    } else {
      err.line(`left running: ${job.id} (ferry logs -f ${job.id})`);
      process.exit(130);
    }
  };
  process.on('SIGINT', onSigint);
  const logStream = o.json ? process.stderr : process.stdout;
  const tty = Boolean(logStream.isTTY) && !o.json;
  let status = '';
  let lastState = '';
  let partial = '';
  const clearStatus = () => {
    if (tty && status) logStream.write('\r\x1b[2K');
  };
  const drawStatus = (j: JobRecord) => {
    if (!tty) return;
    status = `[ferry] ${j.state} · ${formatAge(j.startedAt)} · ${formatUsd(j.cost)} · ${j.id}`;
    logStream.write(`\r\x1b[2K\x1b[2m${status}\x1b[0m`);
  };
  let current = job;
  const ticker = tty ? setInterval(() => drawStatus(current), 1000) : undefined;
  const onUpdate = (j: JobRecord) => {
    current = j;
    if (j.state !== lastState) {
      lastState = j.state;
      clearStatus();
      if (!tty || j.state !== 'RUNNING') err.line(`[ferry] ${j.state}${j.state === 'PROVISIONING' ? ` on ${j.target}` : ''}`);
    }
    drawStatus(j);
  };
  const onLog = (chunk: Buffer) => {
    clearStatus();
    // Only whole lines go out while the status line is drawn, so the two never interleave.
    const text = partial + chunk.toString('utf8');
    const cut = text.lastIndexOf('\n');
    if (cut >= 0) {
      logStream.write(text.slice(0, cut + 1));
      partial = text.slice(cut + 1);
    } else partial = text;
    drawStatus(current);
  };
  try {
    const opts = {
      store: ctx.store,
      home: ctx.home,
      target,
      logger: ctx.logger,
      signal: abort.signal,
      onLog,
      onUpdate,
      resumeFrom: o.resumeFrom,
      logOffset: o.logOffset,
      monthlyBudget: config.monthlyBudget,
      warnFraction: config.budgetWarnFraction,
      onNotice: (n: Notice) => {
        clearStatus();
        err.line(`${n.level}: ${n.message}`);
        drawStatus(current);
      },
    };
    const final = o.running ? await followJob(job.id, o.running, opts) : await runJob(job.id, opts);
    if (partial) logStream.write(`${partial}\n`);
    clearStatus();
    return final;
  } finally {
    if (ticker) clearInterval(ticker);
    process.off('SIGINT', onSigint);
  }
}

/** Prints the summary of a finished job (human form). */
export function printSummary(job: JobRecord): void {
  const latest = [...job.checkpoints].sort((a, b) => (a.step ?? -1) - (b.step ?? -1)).pop();
  out.line('');
  out.line(`Job ${job.name} (${job.id}) ${job.state}${job.error && job.state !== 'SUCCEEDED' ? `: ${job.error}` : ''}`);
  out.line(`  target       ${job.target}`);
  out.line(`  attempts     ${job.attempts.length}`);
  out.line(`  duration     ${job.startedAt ? formatAge(job.startedAt, job.endedAt ? new Date(job.endedAt) : new Date()) : '-'}`);
  out.line(`  cost         ${formatUsd(job.cost)}`);
  out.line(`  exit code    ${job.exitCode ?? '-'}`);
  out.line(`  checkpoints  ${job.checkpoints.length}${latest ? ` (latest ${latest.name})` : ''}`);
  if (job.outputs.length) out.line(`  outputs      ${job.outputs.join(', ')}`);
}

/** Exit status of `ferry run`/`resume` for a finished job (DESIGN.md: the job's own code). */
export function exitCodeOf(job: JobRecord): number {
  if (job.state === 'SUCCEEDED') return 0;
  if (job.state === 'CANCELLED') return 130;
  if (job.exitCode !== null && job.exitCode !== 0) return job.exitCode;
  return 1;
}

/**
 * --detach: a background controller (`ferry _control`) follows the job so checkpoints come
 * home and the instance is released even after this shell is gone.
 */
export async function spawnController(ctx: CliContext, job: JobRecord, resumeFrom?: string): Promise<void> {
  const cli = process.argv[1];
  if (!cli) throw new Error('cannot locate the ferry CLI script');
  const logPath = path.join(jobDir(ctx.home, job.id), 'controller.log');
  const fh = await fs.open(logPath, 'a');
  const args = [...process.execArgv, cli, ...(ctx.acceptNewHostKeys ? ['--accept-new-host-key'] : []), '_control', job.id, ...(resumeFrom ? ['--resume-from', resumeFrom] : [])];
  const child = spawn(process.execPath, args, { detached: true, stdio: ['ignore', fh.fd, fh.fd], env: process.env });
  child.unref();
  await fh.close();
}

export function isActiveJob(job: JobRecord): boolean {
  return !isTerminal(job.state);
}
