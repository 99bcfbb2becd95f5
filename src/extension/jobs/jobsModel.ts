/**
 * The Jobs view's model: every job in the shared store, newest first, kept current by the
 * store's watch (a job written by `ferry run` in a terminal shows up here within a moment).
 * It fetches and caches; JobsTreeProvider maps it to nodes. No `vscode` here.
 */
import type { JobStore, Disposable } from '../../core/jobs/store';
import type { JobRecord } from '../../core/jobs/types';
import { errorMessage } from '../../core/util/errors';
import type { Logger } from '../../core/util/logger';

export interface JobsModelOptions {
  logger: Logger;
  /** Store watch debounce and polling safety net (tests shorten them). */
  debounceMs?: number;
  pollMs?: number;
}

export class JobsModel implements Disposable {
  private list: JobRecord[] = [];
  private loaded = false;
  private readonly listeners = new Set<() => void>();
  private watcher: Disposable | undefined;
  private pending: Promise<void> | undefined;
  private again = false;
  private disposed = false;
  /** Folders the store could not read, for the view's error node. */
  skipped: string[] = [];
  /** Why the last load failed, if it did. */
  error: string | undefined;

  constructor(
    readonly store: JobStore,
    private readonly opts: JobsModelOptions,
  ) {}

  get jobs(): readonly JobRecord[] {
    return this.list;
  }

  get isLoaded(): boolean {
    return this.loaded;
  }

  get(id: string): JobRecord | undefined {
    return this.list.find((j) => j.id === id);
  }

  onDidChange(listener: () => void): Disposable {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  /** Starts following the store; the first load happens at once. */
  start(): void {
    if (this.watcher || this.disposed) return;
    this.watcher = this.store.watch(() => void this.refresh(), {
      debounceMs: this.opts.debounceMs ?? 150,
      pollMs: this.opts.pollMs ?? 2000,
      persistent: false,
    });
    void this.refresh();
  }

  /** Reloads from disk. Calls made while a load runs are folded into one more load after it. */
  refresh(): Promise<void> {
    if (this.pending) {
      this.again = true;
      return this.pending;
    }
    this.pending = (async () => {
      try {
        do {
          this.again = false;
          await this.load();
        } while (this.again && !this.disposed);
      } finally {
        this.pending = undefined;
      }
    })();
    return this.pending;
  }

  /** Puts a record the caller already holds (a runner update) in place, without a disk read. */
  upsert(job: JobRecord): void {
    const i = this.list.findIndex((j) => j.id === job.id);
    if (i >= 0) {
      const cur = this.list[i];
      if (cur && Date.parse(cur.updatedAt) > Date.parse(job.updatedAt)) return;
      this.list[i] = job;
    } else {
      this.list = [job, ...this.list].sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : a.id < b.id ? 1 : -1));
    }
    this.fire();
  }

  private async load(): Promise<void> {
    try {
      const { jobs, skipped } = await this.store.listDetailed();
      if (this.disposed) return;
      this.list = jobs;
      this.skipped = skipped;
      this.error = undefined;
    } catch (err) {
      this.error = errorMessage(err);
      this.opts.logger.warn(`jobs: ${this.error}`);
    }
    this.loaded = true;
    this.fire();
  }

  private fire(): void {
    for (const l of [...this.listeners]) {
      try {
        l();
      } catch (err) {
        this.opts.logger.error(`jobs listener: ${errorMessage(err)}`);
      }
    }
  }

  dispose(): void {
    this.disposed = true;
    this.watcher?.dispose();
    this.watcher = undefined;
    this.listeners.clear();
  }
}
