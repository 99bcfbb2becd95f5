// Draws media/icon.png (128x128, the Marketplace icon): a GPU chip riding a ferry hull over
// waves on a blue rounded square. Plain Node: shapes are sampled 4x4 per pixel for smooth
// edges and written as an RGBA PNG with zlib. Run: node scripts/e2e-make-icon.mjs
import { writeFileSync } from 'node:fs';
import { deflateSync } from 'node:zlib';

const N = 128;
const SS = 4;

function inRoundRect(x, y, x0, y0, x1, y1, r) {
  if (x < x0 || x > x1 || y < y0 || y > y1) return false;
  const cx = Math.min(Math.max(x, x0 + r), x1 - r);
  const cy = Math.min(Math.max(y, y0 + r), y1 - r);
  return (x - cx) ** 2 + (y - cy) ** 2 <= r * r;
}
function inPolygon(x, y, pts) {
  let inside = false;
  for (let i = 0, j = pts.length - 1; i < pts.length; j = i++) {
    const [xi, yi] = pts[i];
    const [xj, yj] = pts[j];
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}
const hull = [[20, 70], [108, 70], [94, 94], [34, 94]];
function wave(x, y, base, amp) {
  const w = base + amp * Math.sin((x / 128) * Math.PI * 6);
  return Math.abs(y - w) <= 3;
}

/** Color of one sample point: [r, g, b, a] in 0..1, painter's order. */
function sample(x, y) {
  if (!inRoundRect(x, y, 2, 2, 126, 126, 24)) return [0, 0, 0, 0];
  const t = y / 128;
  let c = [0.06 + 0.05 * t, 0.27 + 0.1 * t, 0.62 - 0.1 * t, 1];
  if (wave(x, y, 106, 3)) c = [0.55, 0.8, 1, 1];
  if (wave(x, y, 117, 3)) c = [0.4, 0.68, 0.95, 1];
  if (inPolygon(x, y, hull)) c = [0.97, 0.97, 1, 1];
  // the chip (cabin) and its pins
  const pinsX = [48, 60, 72, 80];
  for (const px of pinsX) if (x >= px && x <= px + 4 && ((y >= 24 && y <= 32) || (y >= 58 && y <= 66))) c = [0.85, 0.9, 1, 1];
  for (const py of [38, 48]) if (y >= py && y <= py + 4 && ((x >= 34 && x <= 42) || (x >= 90 && x <= 98))) c = [0.85, 0.9, 1, 1];
  if (inRoundRect(x, y, 40, 30, 92, 62, 6)) c = [1, 0.72, 0.2, 1];
  if (inRoundRect(x, y, 52, 38, 80, 54, 3)) c = [0.1, 0.2, 0.45, 1];
  return c;
}

const raw = Buffer.alloc(N * (N * 4 + 1));
for (let y = 0; y < N; y++) {
  raw[y * (N * 4 + 1)] = 0; // filter: none
  for (let x = 0; x < N; x++) {
    let r = 0, g = 0, b = 0, a = 0;
    for (let sy = 0; sy < SS; sy++) {
      for (let sx = 0; sx < SS; sx++) {
        const [cr, cg, cb, ca] = sample(x + (sx + 0.5) / SS, y + (sy + 0.5) / SS);
        r += cr * ca; g += cg * ca; b += cb * ca; a += ca;
      }
    }
    const o = y * (N * 4 + 1) + 1 + x * 4;
    raw[o] = a ? Math.round((r / a) * 255) : 0;
    raw[o + 1] = a ? Math.round((g / a) * 255) : 0;
    raw[o + 2] = a ? Math.round((b / a) * 255) : 0;
    raw[o + 3] = Math.round((a / (SS * SS)) * 255);
  }
}

const crcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf) {
  let c = 0xffffffff;
  for (const byte of buf) c = crcTable[(c ^ byte) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
}
const ihdr = Buffer.alloc(13);
ihdr.writeUInt32BE(N, 0);
ihdr.writeUInt32BE(N, 4);
ihdr[8] = 8; // bit depth
ihdr[9] = 6; // RGBA
const png = Buffer.concat([
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  chunk('IHDR', ihdr),
  chunk('IDAT', deflateSync(raw, { level: 9 })),
  chunk('IEND', Buffer.alloc(0)),
]);
const out = new URL('../media/icon.png', import.meta.url);
writeFileSync(out, png);
console.log(`wrote media/icon.png (${png.length} bytes)`);
