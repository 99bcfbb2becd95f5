import { randomBytes } from 'node:crypto';

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

/**
 * A job id: `yyyymmdd-hhmmss-<6 hex>` in UTC. Ids sort by creation time as plain strings (the
 * store and `ferry jobs` rely on that), and the random tail keeps two jobs started in the
 * same second, from two processes, apart.
 */
export function newJobId(now: Date = new Date()): string {
  const date = `${pad(now.getUTCFullYear(), 4)}${pad(now.getUTCMonth() + 1)}${pad(now.getUTCDate())}`;
  const time = `${pad(now.getUTCHours())}${pad(now.getUTCMinutes())}${pad(now.getUTCSeconds())}`;
  return `${date}-${time}-${randomBytes(3).toString('hex')}`;
}

export const JOB_ID_PATTERN = /^\d{8}-\d{6}-[0-9a-f]{6}$/;
