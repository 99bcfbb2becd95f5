/**
 * Error types shared by every layer. Each carries the CLI exit code it maps to
 * (DESIGN.md: 2 bad input, 3 infrastructure, 130 cancelled) so the CLI and the
 * extension can present them without guessing.
 */
export class FerryError extends Error {
  readonly exitCode: number;
  /** A short suggestion shown after the message. */
  readonly hint?: string;
  constructor(message: string, opts: { exitCode?: number; hint?: string; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'FerryError';
    this.exitCode = opts.exitCode ?? 1;
    this.hint = opts.hint;
  }
}

/** Bad input from the user: arguments, ferry.yaml, an unknown job id. Exit code 2. */
export class UserError extends FerryError {
  constructor(message: string, opts: { hint?: string; cause?: unknown } = {}) {
    super(message, { ...opts, exitCode: 2 });
    this.name = 'UserError';
  }
}

/** Infrastructure failed: auth, unreachable host, provider error, disk. Exit code 3. */
export class InfraError extends FerryError {
  constructor(message: string, opts: { hint?: string; cause?: unknown } = {}) {
    super(message, { ...opts, exitCode: 3 });
    this.name = 'InfraError';
  }
}

/** The one branded cancellation error: callers end quietly on it. Exit code 130. */
export class CancelledError extends FerryError {
  constructor(message = 'Cancelled') {
    super(message, { exitCode: 130 });
    this.name = 'CancelledError';
  }
}

export function isCancelled(err: unknown): boolean {
  return err instanceof CancelledError || (err instanceof Error && err.name === 'AbortError');
}

/** Throws CancelledError when the signal is aborted. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new CancelledError();
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** The machine a job ran on is gone (preempted, terminated by the provider). Recovery may retry. */
export class InstanceLostError extends InfraError {
  constructor(message: string, opts: { cause?: unknown } = {}) {
    super(message, opts);
    this.name = 'InstanceLostError';
  }
}
