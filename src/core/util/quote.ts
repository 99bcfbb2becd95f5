/**
 * The one place remote command strings are built (STYLE.md habit 16). A remote command is a
 * single string that the remote user's login shell parses, so every variable part goes through
 * `shQuote`, and whole argv arrays through `shJoin`. Local processes never need this: they are
 * spawned with argv arrays.
 */

/** Characters that never need quoting in a POSIX shell word. */
const SAFE = /^[A-Za-z0-9_@%+=:,./-]+$/;

/**
 * Quotes one string as a POSIX shell word: single quotes, with each embedded `'` written as
 * `'\''`. Inside single quotes nothing is special (no `$`, backtick, backslash or newline
 * handling), so any string reaches the program unchanged. NUL cannot be passed in argv and
 * is refused rather than silently truncated.
 */
export function shQuote(s: string): string {
  if (s.includes('\0')) throw new TypeError('shQuote: a shell word cannot contain NUL');
  if (s !== '' && SAFE.test(s)) return s;
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** Quotes each word and joins them with spaces: the remote shell sees exactly `argv`. */
export function shJoin(argv: readonly string[]): string {
  return argv.map(shQuote).join(' ');
}

/**
 * A remote path word for a shell, keeping a leading `~/` unquoted so the remote shell expands
 * it to the remote home (a quoted `~` is literal). The rest is quoted as usual.
 */
export function shPath(p: string): string {
  if (p === '~') return '~';
  if (p.startsWith('~/')) return p.length === 2 ? '~/' : `~/${shQuote(p.slice(2))}`;
  return shQuote(p);
}
