import Table from 'cli-table3';
import { FerryError, errorMessage, isCancelled } from '../core/util/errors';
import { scrubSecrets, type Logger } from '../core/util/logger';

/** stdout carries results (and nothing else under --json); stderr carries progress and errors. */
export const out = {
  isTTY: Boolean(process.stdout.isTTY),
  write(text: string): void {
    process.stdout.write(text);
  },
  line(text = ''): void {
    process.stdout.write(`${text}\n`);
  },
  json(value: unknown): void {
    process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  },
};

export const err = {
  isTTY: Boolean(process.stderr.isTTY),
  line(text: string): void {
    process.stderr.write(`${scrubSecrets(text)}\n`);
  },
};

/** Core's Logger port for the CLI: warnings and errors on stderr, debug with FERRY_DEBUG=1. */
export function stderrLogger(): Logger {
  const debug = process.env.FERRY_DEBUG === '1';
  return {
    debug: (m) => debug && err.line(`debug: ${m}`),
    info: (m) => debug && err.line(m),
    warn: (m) => err.line(`warning: ${m}`),
    error: (m) => err.line(`error: ${m}`),
  };
}

export function table(head: string[], rows: (string | number)[][]): string {
  const t = new Table({
    head,
    style: { head: out.isTTY ? ['bold'] : [], border: [], compact: true },
    chars: { top: '', 'top-mid': '', 'top-left': '', 'top-right': '', bottom: '', 'bottom-mid': '', 'bottom-left': '', 'bottom-right': '', left: '', 'left-mid': '', mid: '', 'mid-mid': '', right: '', 'right-mid': '', middle: '  ' },
  });
  for (const r of rows) t.push(r.map(String));
  return t
    .toString()
    .split('\n')
    .map((l) => l.replace(/^ /, '').trimEnd())
    .join('\n');
}

/** Maps an error to DESIGN.md's exit codes and prints it once. */
export function reportError(e: unknown): number {
  if (isCancelled(e)) {
    err.line('cancelled');
    return 130;
  }
  if (e instanceof FerryError) {
    err.line(`ferry: ${e.message}`);
    if (e.hint) err.line(`hint: ${e.hint}`);
    return e.exitCode;
  }
  err.line(`ferry: unexpected error: ${errorMessage(e)}`);
  if (process.env.FERRY_DEBUG === '1' && e instanceof Error && e.stack) err.line(e.stack);
  return 1;
}

export function formatAge(fromIso: string | undefined, to: Date = new Date()): string {
  if (!fromIso) return '-';
  const s = Math.max(0, Math.round((to.getTime() - Date.parse(fromIso)) / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  if (s < 86400) return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  return `${Math.floor(s / 86400)}d${Math.floor((s % 86400) / 3600)}h`;
}

export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(1)} ${units[i]}`;
}

/**
 * Asks a yes/no question on the terminal. Without a terminal (scripts, CI) it never guesses:
 * the caller must pass --yes.
 */
export async function confirm(question: string, yes: boolean | undefined): Promise<boolean> {
  if (yes) return true;
  if (!process.stdin.isTTY || !process.stderr.isTTY) return false;
  const { createInterface } = await import('node:readline/promises');
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await rl.question(`${question} [y/N] `);
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    rl.close();
  }
}
