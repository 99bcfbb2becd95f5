/**
 * Prints a job's log and follows it, the way `ferry logs -f` does: every attempt's log in
 * order, then the current attempt by byte offset (no gap, no duplicate), on into later
 * attempts, until the job ends. When nobody follows the job (its controller died) it asks the
 * caller to become the controller, so the log keeps coming. No `vscode` here: the Pseudoterminal
 * in logTerminal.ts feeds it to a terminal.
 */
import { promises as fs } from 'node:fs';
import { controllerAlive } from '../../core/jobs/reconcile';
import { attemptLogPath } from '../../core/jobs/runner';
import { isTerminal } from '../../core/jobs/stateMachine';
import type { JobStore } from '../../core/jobs/store';
import type { JobRecord } from '../../core/jobs/types';
import { errorMessage } from '../../core/util/errors';

export interface LogTailOptions {
  store: JobStore;
  home: string;
  jobId: string;
  onData(text: string): void;
  /** The job ended (or was deleted: job undefined); the tail has printed everything. */
  onEnd(job: JobRecord | undefined): void;
  /** Called once per attempt when the job is active and no controller is alive. */
  ensureController?(job: JobRecord): void;
  pollMs?: number;
}

/** Reads `file` from `offset` to its current end. */
async function readFrom(file: string, offset: number): Promise<{ text: string; next: number }> {
  const fh = await fs.open(file, 'r').catch(() => undefined);
  if (!fh) return { text: '', next: offset };
  try {
    const { size } = await fh.stat();
    if (size < offset) return { text: '', next: size }; // truncated: carry on from its end
    const chunks: Buffer[] = [];
    let pos = offset;
    const buf = Buffer.alloc(256 * 1024);
    while (pos < size) {
      const { bytesRead } = await fh.read(buf, 0, Math.min(buf.length, size - pos), pos);
      if (bytesRead === 0) break;
      chunks.push(Buffer.from(buf.subarray(0, bytesRead)));
      pos += bytesRead;
    }
    return { text: Buffer.concat(chunks).toString('utf8'), next: pos };
  } finally {
    await fh.close();
  }
}

export class JobLogTail {
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;
  private attemptN = 0;
  private file = '';
  private offset = 0;
  private controllerAsked = new Set<number>();
  /** Bytes of a UTF-8 sequence cut at a read boundary are re-read next time, never mangled. */
  private readonly pollMs: number;

  constructor(private readonly o: LogTailOptions) {
    this.pollMs = o.pollMs ?? 300;
  }

  async start(): Promise<void> {
    const job = await this.o.store.get(this.o.jobId);
    if (!job) {
      this.o.onData(`No job ${this.o.jobId} in the store.\n`);
      this.o.onEnd(undefined);
      return;
    }
    this.o.onData(`[ferry] ${job.name} (${job.id}) on ${job.target}: ${job.state}\n`);
    const attempts = job.attempts;
    for (const a of attempts.slice(0, -1)) {
      this.o.onData(`--- attempt ${a.n} (${a.target}) ---\n`);
      this.o.onData((await readFrom(attemptLogPath(this.o.home, job, a), 0)).text);
    }
    const last = attempts[attempts.length - 1];
    if (last) {
      if (attempts.length > 1) this.o.onData(`--- attempt ${last.n} (${last.target}) ---\n`);
      this.attemptN = last.n;
      this.file = attemptLogPath(this.o.home, job, last);
      const r = await readFrom(this.file, 0);
      this.o.onData(r.text);
      this.offset = r.next;
    }
    if (isTerminal(job.state)) {
      this.end(job);
      return;
    }
    this.schedule();
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.tick(), this.pollMs);
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    try {
      const job = await this.o.store.get(this.o.jobId);
      if (!job) {
        this.o.onData('\n[ferry] the job was deleted\n');
        this.end(undefined);
        return;
      }
      await this.pump(job);
      if (isTerminal(job.state)) {
        await this.pump(job); // the controller's last drain may land just after the state
        this.end(job);
        return;
      }
      const cur = job.attempts[job.attempts.length - 1];
      if (cur?.handle && !controllerAlive(job) && !this.controllerAsked.has(cur.n)) {
        this.controllerAsked.add(cur.n);
        this.o.ensureController?.(job);
      }
    } catch (err) {
      this.o.onData(`\n[ferry] ${errorMessage(err)}\n`);
    }
    this.schedule();
  }

  private async pump(job: JobRecord): Promise<void> {
    const cur = job.attempts[job.attempts.length - 1];
    if (!cur) return;
    if (cur.n !== this.attemptN) {
      this.o.onData(`\n--- attempt ${cur.n} (${cur.target}) ---\n`);
      this.attemptN = cur.n;
      this.file = '';
    }
    const file = attemptLogPath(this.o.home, job, cur);
    // The path moves once the attempt starts (the target's own log file): read it from 0.
    if (file !== this.file) {
      this.file = file;
      this.offset = 0;
    }
    const r = await readFrom(file, this.offset);
    this.offset = r.next;
    if (r.text) this.o.onData(r.text);
  }

  private end(job: JobRecord | undefined): void {
    if (this.stopped) return;
    this.stopped = true;
    if (job) this.o.onData(`\n[ferry] ${job.name} ${job.state}${job.error && job.state !== 'SUCCEEDED' ? `: ${job.error}` : ''}\n`);
    this.o.onEnd(job);
  }

  dispose(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }
}
