/** The exit code of the command that ran; commands return it from their action. */
export const exitState = { code: 0 };

/** Wraps a command action so its returned number becomes the process exit code. */
export function act<A extends unknown[]>(fn: (...args: A) => Promise<number>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    exitState.code = await fn(...args);
  };
}
