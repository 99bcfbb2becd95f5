import { randomBytes } from 'node:crypto';
import { mkdirSync, watch as fsWatch, type FSWatcher } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, stat, unlink, utimes, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { lock as lockDir } from 'proper-lockfile';
import { errorMessage, FerryError, InfraError, UserError } from '../util/errors';
import { newJobId } from './ids';
import { isSafeJobId, jobDir, jobsDir } from './paths';
import { assertTransition, isActive, isTerminal } from './stateMachine';
import { JOB_STATES, type JobEvent, type JobRecord, type JobState } from './types';

/**
 * The job store: one folder per job under $FERRY_HOME/jobs, shared by every Ferry process on
 * the machine (VS Code windows and CLIs). Two rules keep it consistent without a daemon:
 *
 * - job.json is only ever replaced whole (temp file in the same folder, fsync, rename), so a
 *   reader sees the old record or the new one, never half of one;
 * - every read-modify-write and every event append holds the job's lock: a `.lock` folder
 *   inside the job folder, managed by proper-lockfile. Its holder refreshes the folder's mtime,
 *   so a lock left behind by a killed process goes stale and is taken over after `lockStaleMs`.
 *
 * A job is created in a hidden staging folder and renamed into place, so a job folder without
 * a complete job.json is never visible under its id.
 */

/** What `create` needs; everything else has a default (and may still be given). */
export type NewJob = Omit<
  JobRecord,
  'id' | 'createdAt' | 'updatedAt' | 'state' | 'attempts' | 'checkpoints' | 'outputs' | 'exitCode' | 'cost'
> &
  Partial<JobRecord>;

export interface JobStoreOptions {
  /** A lock whose mtime is older than this is considered abandoned. proper-lockfile's floor is 2000. */
  lockStaleMs?: number;
  /** How long to wait for a busy lock before giving up with an InfraError. */
  lockTimeoutMs?: number;
  /** Clock for timestamps (tests). */
  now?: () => Date;
}

export interface TransitionRequest {
  /** Stored on the 'state' event. */
  message?: string;
  /** Allows terminal -> PENDING (`ferry resume`). */
  resume?: boolean;
  /** Further changes written in the same locked write (an error text, an exit code). */
  patch?: (r: JobRecord) => void;
}

export interface ListResult {
  /** Newest first. */
  jobs: JobRecord[];
  /** Job folders that could not be read (no or corrupt job.json), by folder name. */
  skipped: string[];
}

export interface WatchOptions {
  /** Quiet time before onChange fires; bursts of writes become one call. */
  debounceMs?: number;
  /** Interval of the polling safety net (and the only mechanism when fs.watch fails). */
  pollMs?: number;
  /** Keep the Node process alive while watching (as fs.watch does by default). */
  persistent?: boolean;
  /** Poll only: for file systems where fs.watch reports nothing (network homes). */
  forcePolling?: boolean;
}

export interface Disposable {
  dispose(): void;
}

const LOCK_NAME = '.lock';
const JOB_FILE = 'job.json';
const EVENTS_FILE = 'events.jsonl';
/** Touched after every write so one watch on jobs/ sees changes inside any job folder. */
const STAMP_NAME = '.changed';
const STAGING_PREFIX = '.new-';
const TRASH_PREFIX = '.trash-';
const TEMP_SUFFIX = '.tmp';
/** Staging/trash folders older than this are leftovers of a crash. */
const LEFTOVER_AGE_MS = 60 * 60 * 1000;
const EVENT_TYPES: ReadonlySet<string> = new Set(['state', 'attempt', 'checkpoint', 'note']);
const STATE_SET: ReadonlySet<string> = new Set(JOB_STATES);

function errCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** job.json's text. Callers get back JSON.parse of the same text, so what they hold equals what get() returns (no `undefined` keys). */
function serializeRecord(r: JobRecord): string {
  return `${JSON.stringify(r, null, 2)}\n`;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function randomTag(): string {
  return randomBytes(4).toString('hex');
}

/**
 * Checks the shape every consumer relies on (ids, state, arrays, numbers). The spec snapshot is
 * only checked to be an object: it was validated when the job was created.
 */
export function isJobRecord(v: unknown): v is JobRecord {
  if (!isRecord(v)) return false;
  return (
    typeof v.id === 'string' &&
    typeof v.name === 'string' &&
    typeof v.state === 'string' &&
    STATE_SET.has(v.state) &&
    typeof v.target === 'string' &&
    isRecord(v.spec) &&
    typeof v.workdir === 'string' &&
    Array.isArray(v.attempts) &&
    Array.isArray(v.checkpoints) &&
    Array.isArray(v.outputs) &&
    (v.exitCode === null || typeof v.exitCode === 'number') &&
    typeof v.cost === 'number' &&
    typeof v.createdAt === 'string' &&
    typeof v.updatedAt === 'string'
  );
}

/** Parses a job.json text; undefined when it is not JSON or not a job record. */
export function parseJobRecord(text: string): JobRecord | undefined {
  try {
    const v: unknown = JSON.parse(text);
    return isJobRecord(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

function parseEventLine(line: string): JobEvent | undefined {
  try {
    const v: unknown = JSON.parse(line);
    if (!isRecord(v) || typeof v.ts !== 'string' || typeof v.type !== 'string' || !EVENT_TYPES.has(v.type)) return undefined;
    return v as unknown as JobEvent;
  } catch {
    return undefined;
  }
}

async function fsyncDir(dir: string): Promise<void> {
  // Makes a rename durable. Not every platform can open a folder for fsync (Windows): best effort.
  try {
    const fh = await open(dir, 'r');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  } catch {
    /* best effort */
  }
}

async function writeFileSynced(path: string, data: string, flag: 'wx' | 'w'): Promise<void> {
  const fh = await open(path, flag);
  try {
    await fh.writeFile(data, 'utf8');
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Replaces `path` whole: temp file beside it, fsync, rename, fsync the folder. */
async function writeAtomic(path: string, data: string): Promise<void> {
  const tmp = `${path}.${process.pid}-${randomTag()}${TEMP_SUFFIX}`;
  try {
    await writeFileSynced(tmp, data, 'wx');
    await renameWithRetry(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true }).catch(() => undefined);
    throw err;
  }
  await fsyncDir(dirname(path));
}

async function renameWithRetry(from: string, to: string): Promise<void> {
  // On Windows a rename over a file another process has open fails briefly with EPERM/EBUSY.
  for (let i = 0; ; i++) {
    try {
      await rename(from, to);
      return;
    } catch (err) {
      const code = errCode(err);
      if (i >= 5 || (code !== 'EPERM' && code !== 'EBUSY' && code !== 'EACCES')) throw err;
      await sleep(10 * (i + 1));
    }
  }
}

/**
 * In-process queue per lock path: operations of one process on one job wait their turn here
 * instead of spinning on the lock folder, and proper-lockfile (whose bookkeeping is per path
 * per process) never sees two holders from the same process.
 */
const queues = new Map<string, Promise<void>>();

async function serialized<T>(key: string, fn: () => Promise<T>): Promise<T> {
  const prev = queues.get(key) ?? Promise.resolve();
  let done!: () => void;
  const mine = new Promise<void>((r) => (done = r));
  const tail = prev.then(() => mine);
  queues.set(key, tail);
  await prev;
  try {
    return await fn();
  } finally {
    done();
    if (queues.get(key) === tail) queues.delete(key);
  }
}

interface HeldLock {
  /** Throws when the lock was lost (taken over as stale) before we could commit. */
  assertHeld(): void;
}

export class JobStore {
  readonly home: string;
  private readonly lockStaleMs: number;
  private readonly lockTimeoutMs: number;
  private readonly now: () => Date;
  private leftoversSwept = false;

  constructor(home: string, opts: JobStoreOptions = {}) {
    this.home = home;
    this.lockStaleMs = Math.max(opts.lockStaleMs ?? 10_000, 2000);
    this.lockTimeoutMs = opts.lockTimeoutMs ?? 30_000;
    this.now = opts.now ?? (() => new Date());
  }

  // ---- create / read -------------------------------------------------------------------------

  async create(init: NewJob): Promise<JobRecord> {
    const root = jobsDir(this.home);
    try {
      await mkdir(root, { recursive: true });
    } catch (err) {
      throw new InfraError(`cannot create the job store at ${root}: ${errorMessage(err)}`, { cause: err });
    }
    await this.sweepLeftovers();

    const explicitId = init.id;
    if (explicitId !== undefined && !isSafeJobId(explicitId)) throw new UserError(`"${explicitId}" is not a valid job id`);
    for (let tries = 0; ; tries++) {
      const at = this.now();
      const ts = at.toISOString();
      const id = explicitId ?? newJobId(at);
      const rec: JobRecord = {
        state: 'PENDING',
        attempts: [],
        checkpoints: [],
        outputs: [],
        exitCode: null,
        cost: 0,
        createdAt: ts,
        ...structuredClone(init),
        id,
        updatedAt: ts,
      };
      const stage = join(root, `${STAGING_PREFIX}${id}-${randomTag()}`);
      const text = serializeRecord(rec);
      const created: JobEvent = { ts, type: 'state', to: rec.state, message: 'created' };
      try {
        await mkdir(stage);
        await writeFileSynced(join(stage, JOB_FILE), text, 'wx');
        await writeFileSynced(join(stage, EVENTS_FILE), `${JSON.stringify(created)}\n`, 'wx');
        await fsyncDir(stage);
        // A directory rename is atomic and fails on an existing (non-empty) job folder, so the
        // job appears complete under its id or not at all, and two creators cannot share an id.
        await rename(stage, join(root, id));
      } catch (err) {
        await rm(stage, { recursive: true, force: true }).catch(() => undefined);
        const code = errCode(err);
        const exists = code === 'EEXIST' || code === 'ENOTEMPTY' || (code === 'EPERM' && (await pathExists(join(root, id))));
        if (exists && explicitId !== undefined) throw new UserError(`a job with id ${id} already exists`);
        if (exists && tries < 5) continue;
        throw new InfraError(`cannot create job ${id}: ${errorMessage(err)}`, { cause: err });
      }
      await fsyncDir(root);
      await this.touchStamp();
      return JSON.parse(text) as JobRecord;
    }
  }

  /** The job, or undefined when there is none with this exact id. Throws on a corrupt job.json. */
  async get(id: string): Promise<JobRecord | undefined> {
    if (!isSafeJobId(id)) return undefined;
    return this.readRecord(id);
  }

  /** Every readable job, newest first. Unreadable job folders are skipped (see listDetailed). */
  async list(): Promise<JobRecord[]> {
    return (await this.listDetailed()).jobs;
  }

  async listDetailed(): Promise<ListResult> {
    const root = jobsDir(this.home);
    let names: string[];
    try {
      names = await readdir(root);
    } catch (err) {
      const code = errCode(err);
      if (code === 'ENOENT' || code === 'ENOTDIR') return { jobs: [], skipped: [] };
      throw new InfraError(`cannot read the job store at ${root}: ${errorMessage(err)}`, { cause: err });
    }
    const candidates = names.filter((n) => !n.startsWith('.') && isSafeJobId(n)).sort();
    const jobs: JobRecord[] = [];
    const skipped: string[] = [];
    // A bounded pool: a store with thousands of jobs must not exhaust file descriptors.
    let next = 0;
    const worker = async (): Promise<void> => {
      for (;;) {
        const name = candidates[next++];
        if (name === undefined) return;
        const folder = join(root, name);
        let text: string;
        try {
          text = await readFile(join(folder, JOB_FILE), 'utf8');
        } catch (err) {
          const code = errCode(err);
          // ENOTDIR: a stray file in jobs/, not a job and not worth reporting.
          if (code === 'ENOTDIR') continue;
          if (code === 'ENOENT' && !(await isDirectory(folder))) continue;
          skipped.push(name);
          continue;
        }
        const rec = parseJobRecord(text);
        if (rec && rec.id === name) jobs.push(rec);
        else skipped.push(name);
      }
    };
    await Promise.all(Array.from({ length: Math.min(16, candidates.length) }, () => worker()));
    jobs.sort(newestFirst);
    skipped.sort();
    return { jobs, skipped };
  }

  /**
   * Finds a job the way a user names it: the exact id, a unique id prefix, or a job name (the
   * newest job with that name wins). Throws UserError listing the candidates otherwise.
   */
  async resolve(idOrPrefixOrName: string): Promise<JobRecord> {
    const q = idOrPrefixOrName.trim();
    if (q === '') throw new UserError('no job given', { hint: 'pass a job id, an id prefix or a job name (see `ferry jobs`)' });
    const exact = await this.get(q);
    if (exact) return exact;
    const { jobs } = await this.listDetailed();
    const byPrefix = jobs.filter((j) => j.id.startsWith(q));
    if (byPrefix.length === 1 && byPrefix[0]) return byPrefix[0];
    if (byPrefix.length > 1) {
      const shown = byPrefix.slice(0, 10).map((j) => `${j.id} (${j.name}, ${j.state})`);
      const more = byPrefix.length > shown.length ? `, and ${byPrefix.length - shown.length} more` : '';
      throw new UserError(`"${q}" matches ${byPrefix.length} jobs: ${shown.join(', ')}${more}`, {
        hint: 'give more characters of the id',
      });
    }
    const byName = jobs.find((j) => j.name === q);
    if (byName) return byName;
    throw new UserError(`no job matches "${q}" (by id, id prefix or name)`, { hint: '`ferry jobs --all` lists every job' });
  }

  // ---- locked writes -------------------------------------------------------------------------

  /**
   * Locked read-modify-write. `mutate` edits the record in place or returns a replacement; it
   * must not change the id or the state (state changes go through `transition`, which checks
   * them and logs them). Sets updatedAt. Returns the record as written.
   */
  async update(id: string, mutate: (r: JobRecord) => void | JobRecord): Promise<JobRecord> {
    return this.withLock(id, async (held) => {
      const current = await this.mustRead(id);
      const { state } = current;
      const returned = mutate(current);
      const next: JobRecord = returned === undefined ? current : (returned as JobRecord);
      if (next.id !== id) throw new FerryError(`update of job ${id} tried to change its id to ${next.id}`);
      if (next.state !== state) {
        throw new FerryError(`update of job ${id} tried to change its state ${state} -> ${next.state}; use transition()`);
      }
      next.updatedAt = this.now().toISOString();
      await this.sweepTemps(id);
      held.assertHeld();
      const text = serializeRecord(next);
      await writeAtomic(join(jobDir(this.home, id), JOB_FILE), text);
      return JSON.parse(text) as JobRecord;
    });
  }

  /**
   * Moves the job to `to`, checked against the state machine inside the lock (so two processes
   * racing to end a job cannot both win). Sets startedAt on the first PROVISIONING and endedAt
   * on a terminal state; a resume clears endedAt, error and exitCode. Appends a 'state' event.
   */
  async transition(id: string, to: JobState, opts: TransitionRequest = {}): Promise<JobRecord> {
    return this.withLock(id, async (held) => {
      const r = await this.mustRead(id);
      const from = r.state;
      assertTransition(from, to, id, { resume: opts.resume });
      const ts = this.now().toISOString();
      r.state = to;
      if (to === 'PROVISIONING' && r.startedAt === undefined) r.startedAt = ts;
      if (isTerminal(to)) r.endedAt = ts;
      if (opts.resume === true && isTerminal(from)) {
        delete r.endedAt;
        delete r.error;
        r.exitCode = null;
      }
      opts.patch?.(r);
      // The patch is for the fields around the transition, not for a second, unchecked one.
      r.id = id;
      r.state = to;
      r.updatedAt = ts;
      await this.sweepTemps(id);
      held.assertHeld();
      const dir = jobDir(this.home, id);
      const text = serializeRecord(r);
      await writeAtomic(join(dir, JOB_FILE), text);
      const ev: JobEvent = { ts, type: 'state', from, to };
      if (opts.message !== undefined) ev.message = opts.message;
      await appendLine(join(dir, EVENTS_FILE), JSON.stringify(ev));
      return JSON.parse(text) as JobRecord;
    });
  }

  async appendEvent(id: string, ev: Omit<JobEvent, 'ts'>): Promise<JobEvent> {
    return this.withLock(id, async (held) => {
      const full: JobEvent = { ts: this.now().toISOString(), ...ev };
      held.assertHeld();
      await appendLine(join(jobDir(this.home, id), EVENTS_FILE), JSON.stringify(full));
      return full;
    });
  }

  /** The job's events in order. Lines that do not parse (a torn last line after a crash) are skipped. */
  async events(id: string): Promise<JobEvent[]> {
    let text: string;
    try {
      text = await readFile(join(jobDir(this.home, id), EVENTS_FILE), 'utf8');
    } catch (err) {
      const code = errCode(err);
      if (code === 'ENOENT' || code === 'ENOTDIR') return [];
      throw new InfraError(`cannot read the events of job ${id}: ${errorMessage(err)}`, { cause: err });
    }
    const out: JobEvent[] = [];
    for (const line of text.split('\n')) {
      if (line.trim() === '') continue;
      const ev = parseEventLine(line);
      if (ev) out.push(ev);
    }
    return out;
  }

  /**
   * Removes the job folder (logs, local checkpoints and outputs included). Refuses a job that
   * is not finished unless `force`: deleting it would orphan whatever it is running on.
   */
  async delete(id: string, opts: { force?: boolean } = {}): Promise<void> {
    const root = jobsDir(this.home);
    const trash = join(root, `${TRASH_PREFIX}${id}-${randomTag()}`);
    await this.withLock(id, async () => {
      let rec: JobRecord | undefined;
      try {
        rec = await this.readRecord(id);
      } catch {
        rec = undefined; // a corrupt job can still be deleted
      }
      if (rec && isActive(rec.state) && opts.force !== true) {
        throw new UserError(`job ${id} is ${rec.state}; stop it before deleting it`, { hint: `ferry stop ${id}` });
      }
      // Renaming first makes the delete atomic for readers; the lock folder moves along with
      // it, so releasing afterwards finds nothing to remove, which proper-lockfile tolerates.
      await rename(jobDir(this.home, id), trash);
    });
    await rm(trash, { recursive: true, force: true }).catch(() => undefined);
    await this.touchStamp();
  }

  // ---- watching ------------------------------------------------------------------------------

  /**
   * Calls `onChange` (debounced) whenever a job is created, changed or deleted by any process
   * using this store. Uses fs.watch on the jobs folder (every write touches jobs/.changed, so
   * one watch covers all jobs) plus a cheap polling safety net, which carries on alone if
   * fs.watch is unavailable or fails.
   */
  watch(onChange: () => void, opts: WatchOptions = {}): Disposable {
    const root = jobsDir(this.home);
    const debounceMs = opts.debounceMs ?? 100;
    const pollMs = opts.pollMs ?? 2000;
    const persistent = opts.persistent ?? true;
    let disposed = false;
    let timer: NodeJS.Timeout | undefined;
    let watcher: FSWatcher | undefined;

    const fire = (): void => {
      if (disposed) return;
      if (timer) clearTimeout(timer);
      timer = setTimeout(() => {
        timer = undefined;
        if (disposed) return;
        try {
          onChange();
        } catch {
          /* a listener's failure must not stop the watch */
        }
      }, debounceMs);
      if (!persistent) timer.unref();
    };

    try {
      mkdirSync(root, { recursive: true });
    } catch {
      /* polling copes with a missing folder */
    }

    if (opts.forcePolling !== true) {
      try {
        watcher = fsWatch(root, { persistent }, (_event, filename) => {
          const name = filename === null ? null : String(filename);
          // Staging and trash folders, temp files and the lock are noise; the stamp and job
          // folders appearing or disappearing are the signal.
          if (name === null || name === STAMP_NAME || !name.startsWith('.')) fire();
        });
        watcher.on('error', () => {
          watcher?.close();
          watcher = undefined;
        });
      } catch {
        watcher = undefined;
      }
    }

    // Async and never overlapping: the extension host must not block on a slow disk.
    let last: string | undefined;
    let polling = false;
    const check = async (): Promise<void> => {
      if (disposed || polling) return;
      polling = true;
      try {
        const sig = await signature(root);
        if (last !== undefined && sig !== last && !disposed) fire();
        last = sig;
      } finally {
        polling = false;
      }
    };
    void check();
    const poll = setInterval(() => void check(), pollMs);
    if (!persistent) poll.unref();

    return {
      dispose: () => {
        disposed = true;
        if (timer) clearTimeout(timer);
        clearInterval(poll);
        watcher?.close();
        watcher = undefined;
      },
    };
  }

  // ---- internals -----------------------------------------------------------------------------

  private async readRecord(id: string): Promise<JobRecord | undefined> {
    const file = join(jobDir(this.home, id), JOB_FILE);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      const code = errCode(err);
      if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
      throw new InfraError(`cannot read job ${id}: ${errorMessage(err)}`, { cause: err });
    }
    const rec = parseJobRecord(text);
    if (!rec || rec.id !== id) throw new InfraError(`job ${id}: ${file} is not a valid job record`);
    return rec;
  }

  private async mustRead(id: string): Promise<JobRecord> {
    const rec = await this.readRecord(id);
    if (!rec) throw notFound(id);
    return rec;
  }

  private async withLock<T>(id: string, fn: (held: HeldLock) => Promise<T>): Promise<T> {
    if (!isSafeJobId(id)) throw notFound(id);
    const dir = jobDir(this.home, id);
    const result = await serialized(dir, async () => {
      let compromised: Error | undefined;
      const release = await this.acquire(id, dir, (err) => {
        compromised = err;
      });
      try {
        return await fn({
          assertHeld: () => {
            if (compromised) {
              throw new InfraError(`lost the lock on job ${id} (${compromised.message}); the change was not written`);
            }
          },
        });
      } finally {
        try {
          await release();
        } catch {
          // Already released: taken over as stale, or the folder was moved away by delete().
        }
      }
    });
    await this.touchStamp();
    return result;
  }

  private async acquire(id: string, dir: string, onCompromised: (err: Error) => void): Promise<() => Promise<void>> {
    const lockfilePath = join(dir, LOCK_NAME);
    const deadline = Date.now() + this.lockTimeoutMs;
    let delay = 2;
    for (;;) {
      try {
        // retries: 0 and our own loop: proper-lockfile's retry would also retry ENOENT (a
        // missing job) for the whole timeout; we only wait on a lock that is really held.
        return await lockDir(dir, { lockfilePath, realpath: false, stale: this.lockStaleMs, retries: 0, onCompromised });
      } catch (err) {
        const code = errCode(err);
        if (code === 'ENOENT' || code === 'ENOTDIR') throw notFound(id);
        if (code !== 'ELOCKED') throw new InfraError(`cannot lock job ${id}: ${errorMessage(err)}`, { cause: err });
        if (Date.now() >= deadline) {
          throw new InfraError(`job ${id} is locked by another Ferry process`, {
            hint: `if no Ferry process is running, remove ${lockfilePath}`,
          });
        }
        // Randomized backoff so two processes do not retry in lockstep.
        await sleep(delay * (0.5 + Math.random()));
        delay = Math.min(delay * 1.5, 50);
      }
    }
  }

  /** Under the lock nobody else writes job.json, so any temp file beside it is a crash leftover. */
  private async sweepTemps(id: string): Promise<void> {
    const dir = jobDir(this.home, id);
    let names: string[];
    try {
      names = await readdir(dir);
    } catch {
      return;
    }
    for (const n of names) {
      if (n.startsWith(`${JOB_FILE}.`) && n.endsWith(TEMP_SUFFIX)) await unlink(join(dir, n)).catch(() => undefined);
    }
  }

  /** Removes staging and trash folders left by a crashed create or delete (once per store). */
  private async sweepLeftovers(): Promise<void> {
    if (this.leftoversSwept) return;
    this.leftoversSwept = true;
    const root = jobsDir(this.home);
    let names: string[];
    try {
      names = await readdir(root);
    } catch {
      return;
    }
    const cutoff = Date.now() - LEFTOVER_AGE_MS;
    for (const n of names) {
      if (!n.startsWith(STAGING_PREFIX) && !n.startsWith(TRASH_PREFIX)) continue;
      const p = join(root, n);
      try {
        if ((await stat(p)).mtimeMs < cutoff) await rm(p, { recursive: true, force: true });
      } catch {
        /* someone else swept it */
      }
    }
  }

  private async touchStamp(): Promise<void> {
    const p = join(jobsDir(this.home), STAMP_NAME);
    const t = new Date();
    try {
      await utimes(p, t, t);
    } catch {
      await writeFile(p, '').catch(() => undefined);
    }
  }
}

function notFound(id: string): UserError {
  return new UserError(`no job with id ${id}`, { hint: '`ferry jobs --all` lists every job' });
}

function newestFirst(a: JobRecord, b: JobRecord): number {
  const ta = Date.parse(a.createdAt);
  const tb = Date.parse(b.createdAt);
  const d = (Number.isNaN(tb) ? 0 : tb) - (Number.isNaN(ta) ? 0 : ta);
  if (d !== 0) return d;
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}

async function pathExists(p: string): Promise<boolean> {
  try {
    await stat(p);
    return true;
  } catch {
    return false;
  }
}

async function isDirectory(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isDirectory();
  } catch {
    return false;
  }
}

/**
 * Appends one line. If the file does not end in a newline (a torn line from a crash mid-append)
 * a newline goes first, so the torn line stays one bad line and does not swallow this one.
 */
async function appendLine(file: string, line: string): Promise<void> {
  const fh = await open(file, 'a+');
  try {
    const { size } = await fh.stat();
    let prefix = '';
    if (size > 0) {
      const last = Buffer.alloc(1);
      await fh.read(last, 0, 1, size - 1);
      if (last[0] !== 0x0a) prefix = '\n';
    }
    await fh.write(`${prefix}${line}\n`);
    await fh.datasync();
  } finally {
    await fh.close();
  }
}

/** Cheap fingerprint of the store for polling: the stamp's mtime and the job folder names. */
async function signature(root: string): Promise<string> {
  let stampMtime = 0;
  try {
    stampMtime = (await stat(join(root, STAMP_NAME))).mtimeMs;
  } catch {
    /* no writes yet */
  }
  let names: string[] = [];
  try {
    names = (await readdir(root)).filter((n) => !n.startsWith('.'));
  } catch {
    /* no store yet */
  }
  names.sort();
  return `${stampMtime}|${names.length}|${names.join(',')}`;
}
