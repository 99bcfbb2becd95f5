/** Progress of a sync, as reported to `onProgress` (the CLI's progress line, the extension's notification). */
export interface SyncProgress {
  phase: 'listing' | 'comparing' | 'transferring' | 'deleting' | 'done';
  /** Files transferred so far / to transfer. */
  filesDone: number;
  filesTotal: number;
  /** Bytes done (sent, received, or found already there on resume) / to transfer. */
  bytesDone: number;
  bytesTotal: number;
  /** Bytes actually moved per second since the transfer began. */
  bytesPerSecond: number;
  /** Seconds left at the current rate; undefined until there is a rate. */
  etaSeconds?: number;
}

/** Counts what a sync moved and reports it, at most every `interval` ms (phase changes always). */
export class ProgressMeter {
  private last = 0;
  private moved = 0;
  private started = 0;
  readonly p: SyncProgress = { phase: 'listing', filesDone: 0, filesTotal: 0, bytesDone: 0, bytesTotal: 0, bytesPerSecond: 0 };
  constructor(
    private readonly cb: ((p: SyncProgress) => void) | undefined,
    private readonly interval: number,
  ) {}
  phase(phase: SyncProgress['phase']): void {
    this.p.phase = phase;
    if (phase === 'transferring') this.started = Date.now();
    this.emit(true);
  }
  bytes(moved: number, reused: number): void {
    this.moved += moved;
    this.p.bytesDone += moved + reused;
    this.emit(false);
  }
  file(): void {
    this.p.filesDone++;
    this.emit(false);
  }
  emit(force: boolean): void {
    if (!this.cb) return;
    const now = Date.now();
    if (!force && now - this.last < this.interval) return;
    this.last = now;
    const secs = this.started ? (now - this.started) / 1000 : 0;
    this.p.bytesPerSecond = secs > 0 ? this.moved / secs : 0;
    if (this.p.bytesPerSecond > 0) this.p.etaSeconds = Math.max(0, (this.p.bytesTotal - this.p.bytesDone) / this.p.bytesPerSecond);
    else delete this.p.etaSeconds;
    this.cb({ ...this.p });
  }
}
