// Draws the extension's icon, images/icon.png: a 128x128 RGBA PNG of a blue shield with a white padlock. vsce
// rejects SVG icons, so the PNG is generated here, with no image library: each pixel is the coverage of the shapes
// below, sampled 4x4 times (anti-aliasing), and the PNG is written with node:zlib. The output is deterministic.
//   node scripts/make-icon.mjs [out.png]   (default images/icon.png)
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateSync } from 'node:zlib';

const SIZE = 128;
const SAMPLES = 4;
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const out = resolve(process.argv[2] ?? `${ROOT}/images/icon.png`);

// ------------------------------------------------------------------ shapes: (x, y) in pixels -> inside?

/** Half the shield's width at height y: straight sides, then curving into a point at the bottom. */
function shieldHalfWidth(y, top, bottom, half) {
  if (y < top || y > bottom) return -1;
  const v = (y - top) / (bottom - top);
  // A shallow dip in the top edge: the shoulders stand a little higher than the middle.
  if (v < 0.5) return half;
  const t = (v - 0.5) / 0.5;
  return half * Math.cos((t * Math.PI) / 2) ** 0.85;
}

function inShield(x, y, inset = 0) {
  const cx = SIZE / 2;
  const dip = 5 * Math.cos(((x - cx) / 52) * (Math.PI / 2)) ** 2; // the top edge sags towards the middle
  const top = 8 + inset + (Math.abs(x - cx) < 52 ? dip : 0);
  const w = shieldHalfWidth(y, top, 121 - inset * 1.6, 52 - inset);
  return w >= 0 && Math.abs(x - cx) <= w;
}

function inRoundedRect(x, y, x0, y0, x1, y1, r) {
  if (x < x0 || x > x1 || y < y0 || y > y1) return false;
  const cx = Math.min(Math.max(x, x0 + r), x1 - r);
  const cy = Math.min(Math.max(y, y0 + r), y1 - r);
  return (x - cx) ** 2 + (y - cy) ** 2 <= r * r;
}

/** The padlock: a body, and a shackle (a half ring with two legs) above it. */
function inLock(x, y) {
  const cx = SIZE / 2;
  if (inRoundedRect(x, y, cx - 25, 56, cx + 25, 96, 6)) return true;
  const outer = 19;
  const inner = 11;
  const shackleY = 46; // the centre of the ring
  if (y <= shackleY) {
    const d = Math.hypot(x - cx, y - shackleY);
    return d <= outer && d >= inner;
  }
  return y <= 58 && Math.abs(x - cx) <= outer && Math.abs(x - cx) >= inner;
}

/** The keyhole: a circle over a tapering slot, cut out of the lock's body. */
function inKeyhole(x, y) {
  const cx = SIZE / 2;
  if (Math.hypot(x - cx, y - 72) <= 6) return true;
  if (y < 72 || y > 87) return false;
  const half = 2.5 + ((y - 72) / 15) * 1.5;
  return Math.abs(x - cx) <= half;
}

// ------------------------------------------------------------------ colours

const mix = (a, b, t) => a.map((v, i) => v + (b[i] - v) * t);
const RIM = [191, 219, 254]; // the shield's light edge
const TOP = [37, 99, 235]; // its fill, top to bottom
const BOTTOM = [30, 58, 138];
const WHITE = [255, 255, 255];

/** The colour of one sample, or undefined where it is transparent. */
function sample(x, y) {
  if (!inShield(x, y)) return undefined;
  if (!inShield(x, y, 4)) return RIM;
  if (inLock(x, y) && !inKeyhole(x, y)) return WHITE;
  return mix(TOP, BOTTOM, Math.min(1, Math.max(0, (y - 8) / 113)));
}

// ------------------------------------------------------------------ pixels and PNG

const rows = [];
for (let py = 0; py < SIZE; py++) {
  const row = Buffer.alloc(1 + SIZE * 4); // filter byte 0 (none), then RGBA
  for (let px = 0; px < SIZE; px++) {
    let r = 0;
    let g = 0;
    let b = 0;
    let covered = 0;
    for (let sy = 0; sy < SAMPLES; sy++) {
      for (let sx = 0; sx < SAMPLES; sx++) {
        const c = sample(px + (sx + 0.5) / SAMPLES, py + (sy + 0.5) / SAMPLES);
        if (!c) continue;
        r += c[0];
        g += c[1];
        b += c[2];
        covered++;
      }
    }
    const o = 1 + px * 4;
    if (covered) {
      row[o] = Math.round(r / covered);
      row[o + 1] = Math.round(g / covered);
      row[o + 2] = Math.round(b / covered);
      row[o + 3] = Math.round((covered / (SAMPLES * SAMPLES)) * 255);
    }
  }
  rows.push(row);
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(buf) {
  let c = 0xffffffff;
  for (const byte of buf) c = CRC_TABLE[(c ^ byte) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

const ihdr = Buffer.alloc(13);
ihdr.writeUInt32BE(SIZE, 0);
ihdr.writeUInt32BE(SIZE, 4);
ihdr[8] = 8; // bit depth
ihdr[9] = 6; // colour type: RGBA
ihdr[10] = 0; // compression
ihdr[11] = 0; // filter
ihdr[12] = 0; // no interlace

const png = Buffer.concat([
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  chunk('IHDR', ihdr),
  chunk('IDAT', deflateSync(Buffer.concat(rows), { level: 9 })),
  chunk('IEND', Buffer.alloc(0)),
]);
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, png);
console.log(`wrote ${out} (${SIZE}x${SIZE}, ${png.length} bytes)`);
