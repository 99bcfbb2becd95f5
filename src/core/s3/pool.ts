/** Runs at most `n` of the functions given to it at once, in the order they were given. */
export type Limiter = <T>(fn: () => Promise<T>) => Promise<T>;

export function createLimiter(n: number): Limiter {
  const max = Math.max(1, Math.floor(n));
  let active = 0;
  const waiting: (() => void)[] = [];
  const next = (): void => {
    active--;
    waiting.shift()?.();
  };
  return async <T>(fn: () => Promise<T>): Promise<T> => {
    if (active >= max) await new Promise<void>((resolve) => waiting.push(resolve));
    active++;
    try {
      return await fn();
    } finally {
      next();
    }
  };
}

/**
 * A budget of bytes held in memory at once (whole small files, parts): `take(n)` waits until
 * `n` more fit, except that one holder may always exceed the budget alone, so nothing waits forever.
 */
export interface ByteBudget {
  run<T>(bytes: number, fn: () => Promise<T>): Promise<T>;
}

export function createByteBudget(max: number): ByteBudget {
  let used = 0;
  const waiting: { n: number; go: () => void }[] = [];
  const pump = (): void => {
    while (waiting.length > 0) {
      const w = waiting[0];
      if (!w || (used > 0 && used + w.n > max)) return;
      waiting.shift();
      used += w.n;
      w.go();
    }
  };
  return {
    async run<T>(bytes: number, fn: () => Promise<T>): Promise<T> {
      const n = Math.max(0, bytes);
      if (waiting.length === 0 && (used === 0 || used + n <= max)) used += n;
      else await new Promise<void>((go) => waiting.push({ n, go }));
      try {
        return await fn();
      } finally {
        used -= n;
        pump();
      }
    },
  };
}
