/**
 * A minimal tar (POSIX ustar + pax) writer for the upload stream. Ferry writes its own headers
 * instead of going through tar-stream's pack so that the stream is assembled into large
 * writes with backpressure from the SSH channel; reading tar (downloads) uses tar-stream,
 * which knows every dialect a remote `tar -c` may produce.
 */

const BLOCK = 512;
export const TAR_END = Buffer.alloc(BLOCK * 2);

function octal(buf: Buffer, value: number, offset: number, width: number): void {
  // width-1 octal digits then NUL, zero padded (the classic ustar layout).
  const s = Math.max(0, Math.floor(value)).toString(8).padStart(width - 1, '0');
  buf.write(`${s}\0`, offset, width, 'latin1');
}

function writeStr(buf: Buffer, value: string, offset: number, width: number): void {
  const b = Buffer.from(value, 'utf8');
  b.copy(buf, offset, 0, Math.min(b.length, width));
}

function ustar(name: string, type: '0' | '2' | '5' | 'x', size: number, mode: number, mtime: number, linkname = ''): Buffer {
  const h = Buffer.alloc(BLOCK);
  writeStr(h, name, 0, 100);
  octal(h, mode & 0o7777, 100, 8);
  octal(h, 0, 108, 8); // uid: extracted with -o, so the remote user owns every file
  octal(h, 0, 116, 8);
  octal(h, size, 124, 12);
  octal(h, mtime, 136, 12);
  h.write('        ', 148, 8, 'latin1');
  h.write(type, 156, 1, 'latin1');
  writeStr(h, linkname, 157, 100);
  h.write('ustar\u000000', 257, 8, 'latin1');
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += h[i] ?? 0;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8, 'latin1');
  return h;
}

function paxRecord(key: string, value: string): string {
  // "<len> key=value\n", where len counts itself.
  const body = ` ${key}=${value}\n`;
  let len = Buffer.byteLength(body) + 1;
  while (String(len).length + Buffer.byteLength(body) !== len) len = String(len).length + Buffer.byteLength(body);
  return `${len}${body}`;
}

function padding(size: number): number {
  return (BLOCK - (size % BLOCK)) % BLOCK;
}

export const MAX_USTAR_SIZE = 8 ** 11 - 1;

/**
 * Header block(s) for one entry. Names longer than ustar's 100 bytes, long link text and sizes
 * that do not fit ustar go through a pax extended header (UTF-8, as POSIX specifies).
 */
export function tarHeader(e: { name: string; type: 'file' | 'symlink' | 'dir'; size: number; mode: number; mtime: number; link?: string }): Buffer {
  const pax: string[] = [];
  const link = e.link ?? '';
  if (Buffer.byteLength(link) > 100) pax.push(paxRecord('linkpath', link));
  if (Buffer.byteLength(e.name) > 100) pax.push(paxRecord('path', e.name));
  if (e.size > MAX_USTAR_SIZE) pax.push(paxRecord('size', String(e.size)));
  const main = ustar(e.name, e.type === 'file' ? '0' : e.type === 'dir' ? '5' : '2', e.type === 'file' ? Math.min(e.size, MAX_USTAR_SIZE) : 0, e.mode, e.mtime, Buffer.byteLength(link) > 100 ? '' : link);
  if (pax.length === 0) return main;
  const body = Buffer.from(pax.join(''), 'utf8');
  return Buffer.concat([ustar('PaxHeader', 'x', body.length, 0o644, e.mtime), body, Buffer.alloc(padding(body.length)), main]);
}

/** Zero bytes after a file's data up to the next block. */
export function tarPadding(size: number): Buffer {
  return Buffer.alloc(padding(size));
}
