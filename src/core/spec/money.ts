/**
 * Money in ferry.yaml (`budget.max_cost`, `resources.max_price_per_hour`): USD, written as
 * `20`, `2.50`, `"$20"` or `"20 USD"`. Negative amounts make no sense for a cap, so they fail.
 */

export const MONEY_EXPECTED = 'expected an amount in USD of 0 or more, e.g. 20, 2.50 or $20';

const MONEY_RE = /^\$?\s*(\d+(?:\.\d+)?|\.\d+)\s*(?:[uU][sS][dD])?$/;

/** The same grammar as a JSON Schema pattern (no flags there; surrounding spaces allowed). */
export const MONEY_PATTERN = String.raw`^\s*\$?\s*(?:\d+(?:\.\d+)?|\.\d+)\s*(?:[uU][sS][dD])?\s*$`;

function fail(shown: string, why = 'is not an amount of money'): never {
  throw new Error(`${shown} ${why} (${MONEY_EXPECTED})`);
}

/** Parses an amount of USD; throws an Error saying what was expected. */
export function parseMoney(value: string | number): number {
  if (typeof value === 'number') {
    if (Number.isNaN(value) || !Number.isFinite(value)) fail(String(value));
    if (value < 0) fail(String(value), 'is negative');
    return value;
  }
  const text = value.trim();
  const shown = JSON.stringify(value);
  if (/^-|^\$\s*-/.test(text)) fail(shown, 'is negative');
  const m = MONEY_RE.exec(text);
  if (!m?.[1]) fail(shown);
  return Number(m[1]);
}

/** 2.5 -> "$2.50", 0.123 -> "$0.123" (sub-cent prices keep their digits). */
export function formatMoney(usd: number): string {
  const cents = usd.toFixed(2);
  return Number(cents) === usd ? `$${cents}` : `$${Number(usd.toPrecision(6))}`;
}
