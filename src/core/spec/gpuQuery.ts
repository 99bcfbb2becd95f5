/**
 * The GPU query grammar shared by `resources.gpu` and `ferry offers QUERY`:
 *
 *   name[,name][:memory][:count]      every part optional, but in that order
 *
 * - names: canonical GPU names (see canonicalGpuName), any of them; none = any GPU.
 * - memory: per-GPU memory, `80GB` (exactly), `24GB..` (at least), `..48GB` (at most),
 *   `40GB..80GB` (inclusive range). The unit GB is case-insensitive.
 * - count: `8` (exactly), `1..8`, `2..` (at least), `..4` (1 to 4). Default exactly 1.
 *
 * An open count is stored as Number.MAX_SAFE_INTEGER (UNBOUNDED_COUNT) rather than Infinity,
 * because the parsed spec is snapshotted into JSON job records and JSON has no Infinity.
 */
import { canonicalGpuName, gpuKey, knownGpuNames, lookupGpu } from '../util/gpuNames';
import { editDistance } from './suggest';
import type { GpuQuery } from './types';

/** The stored maximum of an open-ended count (`2..`); JSON-safe, unlike Infinity. */
export const UNBOUNDED_COUNT = Number.MAX_SAFE_INTEGER;

export const GPU_QUERY_EXPECTED = 'expected name[:memory][:count], e.g. A100:80GB:1';

/** Offers may report 79.6 GB for an "80GB" card, so memory bounds allow this much slack. */
const MEMORY_TOLERANCE = 0.05;

const GB = String.raw`(\d+(?:\.\d+)?)\s*(gb)?`;
const MEMORY_RE = new RegExp(String.raw`^(?:${GB})?\s*(\.\.)?\s*(?:${GB})?$`, 'i');
const COUNT_RE = /^(\d+)?\s*(\.\.)?\s*(\d+)?$/;
// A name starts with a letter: "A100", "RTX 4090", "RTX_6000_Ada", "MI300X".
const NAME_RE = /^[A-Za-z][A-Za-z0-9 _.-]*$/;

function fail(raw: string, detail?: string): never {
  const why = detail ? `${detail}; ` : '';
  throw new Error(`${JSON.stringify(raw)} is not a GPU query (${why}${GPU_QUERY_EXPECTED})`);
}

type Range = { min?: number; max?: number };

/** `80GB`, `24GB..`, `..48GB`, `40GB..80GB`; undefined when the token is not memory-shaped. */
function parseMemory(token: string, raw: string): Range | undefined {
  const m = MEMORY_RE.exec(token);
  if (!m) return undefined;
  const [, lo, loUnit, dots, hi, hiUnit] = m;
  // At least one bound must carry the unit, or `8` (a count) would read as memory.
  if (!loUnit && !hiUnit) return undefined;
  if (lo === undefined && hi === undefined) return undefined;
  if (!dots) {
    // A single value: `80GB` means exactly 80. (`80GB40GB` cannot match the regex.)
    if (lo === undefined || hi !== undefined) return undefined;
    return { min: Number(lo), max: Number(lo) };
  }
  const range: Range = {};
  if (lo !== undefined) range.min = Number(lo);
  if (hi !== undefined) range.max = Number(hi);
  if (range.min !== undefined && range.max !== undefined && range.min > range.max) {
    fail(raw, `memory ${token} is an empty range`);
  }
  return range;
}

/** `8`, `1..8`, `2..`, `..4`; undefined when the token is not count-shaped. */
function parseCount(token: string, raw: string): { min: number; max: number } | undefined {
  const m = COUNT_RE.exec(token);
  if (!m) return undefined;
  const [, lo, dots, hi] = m;
  if (lo === undefined && hi === undefined) return undefined;
  if (!dots && (lo === undefined || hi !== undefined)) return undefined;
  const min = lo === undefined ? 1 : Number(lo);
  const max = dots ? (hi === undefined ? UNBOUNDED_COUNT : Number(hi)) : min;
  if (min < 1) fail(raw, 'the GPU count must be at least 1');
  if (min > max) fail(raw, `count ${token} is an empty range`);
  return { min, max };
}

function parseNames(token: string, raw: string): string[] | undefined {
  const parts = token.split(',').map((p) => p.trim());
  if (!parts.every((p) => NAME_RE.test(p))) {
    // `A100,,H100` or a trailing comma: name-like, but broken.
    if (parts.some((p) => p === '') && parts.some((p) => NAME_RE.test(p))) fail(raw, 'empty GPU name between commas');
    return undefined;
  }
  const names: string[] = [];
  for (const p of parts) {
    const name = canonicalGpuName(p);
    if (!names.includes(name)) names.push(name);
  }
  return names;
}

/** Parses `A100:80GB:1..2` and friends; throws an Error explaining the grammar. */
export function parseGpuQuery(text: string): GpuQuery {
  const raw = text;
  const trimmed = text.trim();
  if (trimmed === '') fail(raw, 'it is empty');
  const tokens = trimmed.split(':').map((t) => t.trim());
  if (tokens.length > 3) fail(raw, 'at most three parts');
  const query: GpuQuery = { names: [], memoryGb: {}, count: { min: 1, max: 1 }, raw };
  // 0 = names may come next, 1 = memory, 2 = count, 3 = nothing more.
  let stage = 0;
  for (const token of tokens) {
    if (token === '') fail(raw, 'empty part between colons');
    const names = stage <= 0 ? parseNames(token, raw) : undefined;
    if (names) {
      query.names = names;
      stage = 1;
      continue;
    }
    const memory = stage <= 1 ? parseMemory(token, raw) : undefined;
    if (memory) {
      query.memoryGb = memory;
      stage = 2;
      continue;
    }
    const count = stage <= 2 ? parseCount(token, raw) : undefined;
    if (count) {
      query.count = count;
      stage = 3;
      continue;
    }
    fail(raw, explainToken(token, stage));
  }
  return query;
}

/** A hint for a token that fits nowhere; undefined keeps the message to the bare grammar. */
function explainToken(token: string, stage: number): string | undefined {
  if (stage >= 1 && NAME_RE.test(token)) return `the name ${JSON.stringify(token)} must come first`;
  if (stage >= 2 && parseMemory(token, token)) return `the memory ${token} must come before the count`;
  return undefined;
}

/** The canonical text of a query: names, memory, count (omitted when exactly 1). */
export function formatGpuQuery(q: GpuQuery): string {
  const parts: string[] = [];
  if (q.names.length > 0) parts.push(q.names.join(','));
  const { min, max } = q.memoryGb;
  if (min !== undefined && min === max) parts.push(`${min}GB`);
  else if (min !== undefined || max !== undefined) {
    parts.push(`${min === undefined ? '' : `${min}GB`}..${max === undefined ? '' : `${max}GB`}`);
  }
  const c = q.count;
  if (c.min !== 1 || c.max !== 1) {
    if (c.min === c.max) parts.push(String(c.min));
    else parts.push(`${c.min}..${c.max >= UNBOUNDED_COUNT ? '' : c.max}`);
  }
  // The query with no constraints at all means "one GPU of any kind".
  return parts.length > 0 ? parts.join(':') : '1';
}

/** What an offer says about its GPUs. memoryGb may be unknown (then the catalogue's is used). */
export interface GpuOfferShape {
  name: string;
  memoryGb?: number;
  count: number;
}

/** Whether an offer's GPUs satisfy the query (names canonicalised, memory with 5% slack). */
export function gpuQueryMatches(q: GpuQuery, gpu: GpuOfferShape): boolean {
  if (gpu.count < q.count.min || gpu.count > q.count.max) return false;
  if (q.names.length > 0) {
    const name = canonicalGpuName(gpu.name);
    if (!q.names.some((n) => n === name || gpuKey(n) === gpuKey(name))) return false;
  }
  const { min, max } = q.memoryGb;
  if (min !== undefined || max !== undefined) {
    const mem = gpu.memoryGb ?? lookupGpu(gpu.name)?.memoryGb[0];
    if (mem === undefined) return false;
    if (min !== undefined && mem < min * (1 - MEMORY_TOLERANCE)) return false;
    if (max !== undefined && mem > max * (1 + MEMORY_TOLERANCE)) return false;
  }
  return true;
}

/**
 * A known GPU name close to an unknown one ("A1000" -> "A100"), for a "did you mean" where a
 * query finds nothing. Unknown names stay legal in queries (new GPUs appear all the time),
 * so this is advice only; undefined when the name is known or nothing is close.
 */
export function suggestGpuName(name: string): string | undefined {
  if (lookupGpu(name)) return undefined;
  const key = gpuKey(name);
  if (key === '') return undefined;
  let best: { name: string; d: number } | undefined;
  for (const known of knownGpuNames()) {
    const d = editDistance(key, gpuKey(known));
    if (!best || d < best.d) best = { name: known, d };
  }
  return best && best.d <= Math.max(1, Math.floor(key.length / 3)) ? best.name : undefined;
}
