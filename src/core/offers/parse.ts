/**
 * zod at the provider boundary: a whole response that does not fit is an error that names
 * provider, endpoint and field; an item that does not fit is dropped and counted, and the
 * list logs one line about it (not one per item, which would flood the log on every refresh).
 */
import type { z } from 'zod';
import type { Logger } from '../util/logger';
import { ProviderError } from './errors';

/** `offers[3].dph_total: Invalid input: expected number, received string`. */
export function describeZodError(err: z.ZodError): string {
  const issue = err.issues[0];
  if (!issue) return 'invalid';
  const path = formatPath(issue.path);
  return path ? `${path}: ${issue.message}` : issue.message;
}

function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out === '' ? String(p) : `.${String(p)}`;
  }
  return out;
}

export interface Where {
  provider: string;
  endpoint: string;
}

/** Parses a whole response; a mismatch is a ProviderError naming provider, endpoint and field. */
export function parseResponse<T>(schema: z.ZodType<T>, data: unknown, where: Where): T {
  const r = schema.safeParse(data);
  if (r.success) return r.data;
  throw new ProviderError(
    where.provider,
    'bad-response',
    `${where.provider}: unexpected response from ${where.endpoint}: ${describeZodError(r.error)}`,
  );
}

/** What normalize returns to leave an item out (a parsed item with no price, say). */
export interface Dropped {
  dropped: string;
}

export function drop(why: string): Dropped {
  return { dropped: why };
}

function isDropped(v: unknown): v is Dropped {
  return typeof v === 'object' && v !== null && 'dropped' in v && typeof (v as Dropped).dropped === 'string';
}

export interface ItemsResult<T> {
  values: T[];
  dropped: number;
  /** The first reason, for the one log line. */
  firstProblem?: string;
}

/**
 * Parses each item with `schema` then `normalize`; an item failing either is dropped and
 * counted. `label(i)` names an item in the log (`offers[3]`).
 */
export function parseItems<R, T>(
  items: readonly unknown[],
  schema: z.ZodType<R>,
  normalize: (raw: R, index: number) => T | Dropped | T[],
  label: (index: number) => string,
): ItemsResult<T> {
  const values: T[] = [];
  let dropped = 0;
  let firstProblem: string | undefined;
  items.forEach((item, i) => {
    const r = schema.safeParse(item);
    if (!r.success) {
      dropped++;
      firstProblem ??= `${label(i)}: ${describeZodError(r.error)}`;
      return;
    }
    const v = normalize(r.data, i);
    if (isDropped(v)) {
      dropped++;
      firstProblem ??= `${label(i)}: ${v.dropped}`;
      return;
    }
    if (Array.isArray(v)) values.push(...(v as T[]));
    else values.push(v);
  });
  return { values, dropped, firstProblem };
}

/** One warning for a list with dropped items. */
export function logDropped(logger: Logger, where: Where, what: string, result: { dropped: number; firstProblem?: string }, total: number): void {
  if (result.dropped === 0) return;
  logger.warn(
    `${where.provider}: dropped ${result.dropped} of ${total} ${what} from ${where.endpoint} that did not parse` +
      (result.firstProblem ? ` (first: ${result.firstProblem})` : ''),
  );
}

/** A price Ferry may show: a finite, non-negative number. Anything else drops the item. */
export function validPrice(v: number | null | undefined): v is number {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0;
}

/** Labels travel as `name?k=v&k2=v2` where a provider has only one free-text field. */
export function encodeNameAndLabels(name: string, labels: Record<string, string>): string {
  const clean = name.replace(/\?/g, '-');
  const qs = new URLSearchParams(labels).toString();
  return qs ? `${clean}?${qs}` : clean;
}

export function decodeNameAndLabels(text: string | null | undefined): { name: string; labels: Record<string, string> } {
  const s = text ?? '';
  const q = s.indexOf('?');
  if (q < 0) return { name: s, labels: {} };
  const labels: Record<string, string> = {};
  for (const [k, v] of new URLSearchParams(s.slice(q + 1))) labels[k] = v;
  return { name: s.slice(0, q), labels };
}

/** Epoch seconds -> ISO, or undefined. */
export function isoFromEpochSeconds(v: number | null | undefined): string | undefined {
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) return undefined;
  return new Date(v * 1000).toISOString();
}

/** Compares public keys by type and base64 body: the comment may differ. */
export function samePublicKey(a: string, b: string): boolean {
  const core = (k: string): string => k.trim().split(/\s+/).slice(0, 2).join(' ');
  return core(a) === core(b);
}
