/**
 * Durations in ferry.yaml (`budget.max_duration`): `6h`, `90m`, `45s`, `2d`, `1h30m`, `1.5h`,
 * or a plain number of seconds. Everything downstream works in seconds.
 */

const UNIT_SECONDS = { d: 86_400, h: 3_600, m: 60, s: 1 } as const;

const NUM = String.raw`(\d+(?:\.\d+)?|\.\d+)`;
// Units in descending order, each at most once, optional spaces between parts ("1h 30m").
// Written without regex flags so the same text serves as the JSON Schema pattern.
const UNITS = String.raw`(?:${NUM}\s*[dD])?\s*(?:${NUM}\s*[hH])?\s*(?:${NUM}\s*[mM])?\s*(?:${NUM}\s*[sS])?`;
const DURATION_RE = new RegExp(`^${UNITS}$`);
const PLAIN_RE = new RegExp(`^${NUM}$`);

/** A pattern for duration strings (JSON Schema); the empty string is refused separately. */
export const DURATION_PATTERN = String.raw`^\s*(?=\S)(?:${NUM}|${UNITS})\s*$`;

/** What every duration error says, so the fix is always in the message. */
export const DURATION_EXPECTED = 'expected a duration like 90m, 6h or 1h30m';

function fail(shown: string, why = 'is not a duration'): never {
  throw new Error(`${shown} ${why} (${DURATION_EXPECTED})`);
}

/** Parses a duration into seconds; throws an Error saying what was expected. */
export function parseDuration(value: string | number): number {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) fail(String(value));
    if (value < 0) fail(String(value), 'is negative');
    return value;
  }
  const text = value.trim();
  const shown = JSON.stringify(value);
  if (text.startsWith('-')) fail(shown, 'is negative');
  if (PLAIN_RE.test(text)) return Number(text);
  const m = DURATION_RE.exec(text);
  // The regex also matches "" (every part optional), so require at least one part.
  if (!m || text === '') fail(shown);
  const [, d, h, min, s] = m;
  let seconds = 0;
  if (d !== undefined) seconds += Number(d) * UNIT_SECONDS.d;
  if (h !== undefined) seconds += Number(h) * UNIT_SECONDS.h;
  if (min !== undefined) seconds += Number(min) * UNIT_SECONDS.m;
  if (s !== undefined) seconds += Number(s) * UNIT_SECONDS.s;
  // 1.5h is 5400 s exactly, but 0.1h is 360.00000000000006 in floating point.
  return Math.round(seconds * 1000) / 1000;
}

/** 5400 -> "1h30m", 0 -> "0s", 93784 -> "1d2h3m4s". Rounds to whole seconds. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return seconds > 0 ? 'unlimited' : String(seconds);
  if (seconds < 0) return `-${formatDuration(-seconds)}`;
  let rest = Math.round(seconds);
  if (rest === 0) return '0s';
  let out = '';
  for (const [unit, size] of Object.entries(UNIT_SECONDS)) {
    const n = Math.floor(rest / size);
    if (n > 0) {
      out += `${n}${unit}`;
      rest -= n * size;
    }
  }
  return out;
}
