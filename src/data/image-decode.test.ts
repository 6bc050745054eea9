import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { PNG } from 'pngjs';
import { decodeImage, detectImageFormat, readImageFile, type DecodedImage } from './image-decode.js';
import { loadCifar10Batch } from './cifar.js';
import { loadFashionMnist } from './datasets.js';
import { sharedDataDir } from './locations.js';

const photos = join(sharedDataDir(), 'imagenet-sample-images');
const cifarDir = join(sharedDataDir(), 'cifar10-convnetjs');

/**
 * A 48x32 crop (x 180..227, y 140..171) of n01440764_tench.JPEG converted to real CMYK (K = 255 - max(R,G,B))
 * and saved by PIL/libjpeg as an Adobe CMYK JPEG (APP14 "Adobe", transform 0, inverted CMYK as Photoshop
 * writes it). None of the 1000 sample photos is CMYK (23 are grayscale), so this one is made from one.
 */
const CMYK_JPEG_BASE64 =
  '/9j/7gAOQWRvYmUAZAAAAAAA/9sAQwADAgICAgIDAgICAwMDAwQGBAQEBAQIBgYFBgkICgoJCAkJCgwPDAoLDgsJCQ0RDQ4PEBAR' +
  'EAoMEhMSEBMPEBAQ/8AAFAgAIAAwBEMRAE0RAFkRAEsRAP/EAB8AAAEFAQEBAQEBAAAAAAAAAAABAgMEBQYHCAkKC//EALUQAAIB' +
  'AwMCBAMFBQQEAAABfQECAwAEEQUSITFBBhNRYQcicRQygZGhCCNCscEVUtHwJDNicoIJChYXGBkaJSYnKCkqNDU2Nzg5OkNERUZH' +
  'SElKU1RVVldYWVpjZGVmZ2hpanN0dXZ3eHl6g4SFhoeIiYqSk5SVlpeYmZqio6Slpqeoqaqys7S1tre4ubrCw8TFxsfIycrS09TV' +
  '1tfY2drh4uPk5ebn6Onq8fLz9PX29/j5+v/aAA4EQwBNAFkASwAAPwD9Oh9mNqGaRWd8APIw3DJI4OOK/VLnNfpZIREVuI3U7AAT' +
  'Lhc59D2I5/Ouxt9Ltbize3nkMTqozJHFtDkqFVcnkMPmJI/ibjk8U9Xs1tjCLeNZ3J3EuA4ReMsM8DqO+TnjOKRWLc7SB7ioJfs8' +
  't2FZCxTDLLIi7Rng7WyRnp1HPFcL4rsDp0wgngSRGIkh8uXEZUcHa3Vc85yOpOecgaWiWnlwfaJPtXmPx/pKqrjHsvQexrlPEvjO' +
  '0sLk6TBPcJdFGYFLdmU8gAAsuCTk9Djg85xXhfxq+Odl4ZYeFNF1i6GsahCrkW6/a9u4gBGKjavBLE7lwB3PAXwFYxa9q01pb6Jf' +
  '33l25SWURmG1jZmIMfmk/MdmGZlGFHy5LZrTrEs9CjvfOvry5i88jy/tNwAJWHXB+UdPQEjmvONA8If8JPbXF9r3ijTrO9OyMXU/' +
  'EijliAZEIAzyVDEdK76Ox07wwzXJ0qJJNgja4stL+0FQOQvmsvI74yRSE4GTn8qdH4S1BY9tlqdldZOVXIB+mMYP4ir7fCbxbb2b' +
  '29h4mh8RQSMdqwrbssQPfbkKT7kHp2qVPGvg0SJ/wkmh6mtuxCtNb23knHPJAYc/lS1Fc+GpyCLuFo5ByWCnA+mMAfhWfe/BLUXM' +
  'EWq/2pp+oIMLIUQQxnuWVQFJPB4x+NdZ4d1DwzfAP4M8dSq45Wzvl7dgQ3P5E1neVNiOMw2xIGcFTxzx2/zzXpEbrIC6EkZI6+nF' +
  'fX8JleNUNushUkjzsFMk+wJ4x6Vw0cV7qFxYWMJtBqMrbnO4bFJZmVzhztO35AygcIrdSGL441EpaTCiL5yqcAnnGfpzj3+gqrqd' +
  'q9/bSWUdzLbtMjRtJGxVwpHO1v4T056jtg81heN7PVdU0w6NpV49m97uimeCULIqHtCVGUck4yQGHO0qeaXWPCkC3KR6qqR6XEqy' +
  'XDecW/vKPMZM+WZZBtAY5+WRVIwGqxFci4VmhQkDoW4DVhHwZptvGgkESYwZDFHtMmOMHBHr1rwjXvgf4c0wDR9Q1yG1MkKpK9vE' +
  'wmfHfEfIPYsST7isTUNdvrpxa2Vo0sKny7eEMFSIDGMKSMdgDjt7U9S/RlGfboPx71LNo+iw2CtcXUjJEuBmQk/QAngVqXXw58BW' +
  'HhWOzbxNqixWkOIwzqWOOuclj6YBx6dqv6bqPxA05m+xaRHGkgxtM6N/7Pinc5GAMd6y7O50MoVWaVS2dqnk5HuDx+RrB8H+LfBN' +
  'paPaWt9qz+TuULJaDf8Akp6HHX2q2fib8RdPjNrqfg201C1UkspRF69xhuencUYB61nXniyfTJtu+92qGBCo2wDtkkAev61zmofH' +
  'HxhpFzNcRaBrV/YwFpFtFg8t2ZejZfCnIPT/ABrLuvGPg3VH8zVvAtxplyCD5kEZjZSe4MZA/Sud0PU90YkkuUkEsjbdsjO2OuGL' +
  'Djrx06+1ekbQeD0xjFfW1skEqsbj7NNu3ZGGdXB9ckZ4/DB6Vzvgfx4qXHnXs/nfaV8u48zDEhsBvkPBJQlR1AAwB629SKi5SV9T' +
  'iiCKdqTLmNiex5Azx60LgKOMVLqht2sQsriGFsLtjB2+2MZYH6f/AK+3+I2pR6j4hYvqFubc28Mlp9n3S/utoAO5NxLbxLzJtIHJ' +
  'yXNZa6/MVeztLzRodSQZa3mn2GMEZVimdyhhk5x0HGary31qpnj8+EvCAHQt0JGQG4OO34EHuK4/U9O0aDXtN0y98K+K9Zj1RiBd' +
  'W9hJ5NsMZ3yShl2ggckkZwoCkkCvn3xx8cvBvhKZ44tT/tPUFO0wWTLKYzj+KQfIp/Fj7VZ8MnxnLGlx4lNkjur7orZ/Mi6/uysm' +
  'FPIyT8vcY6c4Wq6zDoemT6rrmmxWYjU8JEJgzZ4AYMN3HqF/Ssn4wv4A+FnhO98Qy6HYySQui27XPnSBzjkuq7BxkYzJyOc9q81l' +
  '/aF+Kfi+926Df/2ZbJwqRyvIR6FnIAz7ACuiXOBnr9a8V8ZfGPT45/t1tBcabER+5DRrDJPgDcRH83AOOjHrXxd41+O+ji/m8WR6' +
  'Hd2TAKLY21q8EMo/iyrSOWwQPuHjcc9q3tM8Y/EqchLr4h3kkzcFImL/AKUteN+NfiP4q8STvHaefZJLnY00pLEeiqp/n7V4F8R/' +
  'j34g1+ed0eTTUkJVt127Ng8DZGWbGe5G3qPTjsNI0fxpqxEmqa9fbWPzBgsbHP8AsoM15dreo+LtE1RoLXR/N01FSWbUWcm2txuY' +
  'SK+1CxdQueEKD+J0GTX1dpXxt0rxFcLZ6L4U8Q28t0khsTr9kdFNwVX5T9mu9l6ELh0yLZm+QsFKtGz/AK16N4t07UPsd5p8V9FL' +
  'qDzeTpup2c+nXbxxOUd1t7iNHjBZZApm8oPs3KShDnxC+/aLtNHuJR4Z0+5v3UkR3Fy/2eNj/e2fM5H1KnNYw8Qr8TZU1L4fX6+I' +
  'tEeyZ0ubaGO7025dJGikEbBltbhw6sjKbn5CuCmVcnj/ABn8f/DOj+IrfSNQ8WyaTqKRxNPp402+maB+GH7qOFJTvDY3XBhjwF2h' +
  'v3hqPVv2ivhF4NWKDxR4p0WxLR7rmKLWbO5urNsquJLaGVpjkuuDCsuBkuUAyeb1X4u/FT4mquhrd3b2bYT+zdHtykTH1k25eRj3' +
  'Lsc/pXT+F/AOrRQ241qOwtozaiPNvFsu4lzuWEvl8Kpd+BIyr0Tg5HH3f7SWgWt8UtPCtxqFrFEYYEeSO0WL18pYGcLkkliQCcKO' +
  'O3h/xF/4KQfA/wAHPcx+BLLXvEGoWz+VvIWG1ukBJBeaQST4BZto2L1IJXitnw3+z9471vy2urKPTYmwGF1IS4H/AFzTJ/DIrurG' +
  'xSwhES3FxOe7zyl2PXufr2rmPEHxt+JfjW3j0+FDp1r8wJUjzWJx0YZIxjrnPNfIXxq/4KH/ABL+LcD6TbaLpOg2afdNpG/2gt/t' +
  'OxYEcDkY+gr2nwn+zKVCLqd1eXEQCkRw/uELd+FySOn8X1qzXHN4W1bU7lpNTvJpQ53M8hLyMfQseTXzbrHiXxB4gvGl1S+Zg53O' +
  'VJ+Yn19c/h0r2zwn8EbHSlWO106GzjA+byY+W9OTkn8TRXQaT4KtLbDxWwBH8bHn9arWuls6mUEMqkluNp574PPb+teg6R8PrSzh' +
  'yId5JxkjB/z/APrr/9k=';

function pixel(img: DecodedImage, x: number, y: number): [number, number, number] {
  const i = (y * img.width + x) * 3;
  return [img.data[i], img.data[i + 1], img.data[i + 2]];
}

// A minimal PNG writer for colour types / bit depths that pngjs cannot write (palette) or that we want
// byte-exact control over (16-bit, alpha).
const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type: string, data: Uint8Array): Buffer {
  const body = Buffer.concat([Buffer.from(type, 'ascii'), Buffer.from(data)]);
  const out = Buffer.alloc(8 + data.length + 4);
  out.writeUInt32BE(data.length, 0);
  body.copy(out, 4);
  out.writeUInt32BE(crc32(body), 8 + data.length);
  return out;
}
/** rows: the raw scanline bytes of each row (without filter byte). */
function rawPng(
  width: number,
  height: number,
  colorType: number,
  bitDepth: number,
  rows: Uint8Array[],
  extra: Buffer[] = [],
): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = bitDepth;
  ihdr[9] = colorType;
  const raw = Buffer.concat(rows.map((r) => Buffer.concat([Buffer.from([0]), Buffer.from(r)])));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    ...extra,
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', new Uint8Array(0)),
  ]);
}

/** CIFAR-10 training image 0 (a frog) as 32x32 RGB bytes. */
function cifarFrog(): Uint8Array {
  const ds = loadCifar10Batch(
    join(cifarDir, 'cifar10_batch_0.png'),
    join(cifarDir, 'cifar10_batch_0.labels.u8'),
    1,
  );
  return Uint8Array.from(ds.images, (v) => Math.round(v * 255));
}

test('detects formats by magic bytes, not by name', () => {
  assert.equal(detectImageFormat(readFileSync(join(photos, 'n01440764_tench.JPEG'))), 'jpeg');
  assert.equal(detectImageFormat(readFileSync(join(cifarDir, 'cifar10_batch_0.png'))), 'png');
  assert.equal(detectImageFormat(readFileSync(join(photos, 'PROVENANCE.md'))), null);
  assert.equal(detectImageFormat(new Uint8Array(0)), null);
});

test('decodes a real colour JPEG photo to RGB in R, G, B order', () => {
  const img = readImageFile(join(photos, 'n07747607_orange.JPEG'));
  assert.equal(img.width, 332);
  assert.equal(img.height, 500);
  assert.equal(img.data.length, 332 * 500 * 3);
  const n = img.width * img.height;
  const mean = [0, 0, 0];
  let colourful = 0;
  for (let p = 0; p < n; p++) {
    const [r, g, b] = pixel(img, p % img.width, Math.floor(p / img.width));
    if (Math.max(r, g, b) - Math.min(r, g, b) > 20) colourful++;
    mean[0] += r / n;
    mean[1] += g / n;
    mean[2] += b / n;
  }
  assert.ok(colourful > 0.3 * n, `a colour photo: ${colourful} of ${n} pixels colourful`);
  // Oranges are orange: red well above blue (a BGR mix-up or a wrong colour transform would show here).
  assert.ok(
    mean[0] > mean[1] && mean[1] > mean[2] && mean[0] - mean[2] > 30,
    `mean RGB ${mean.map((v) => v.toFixed(1))}`,
  );
});

test('decodes a grayscale JPEG to RGB with R = G = B', () => {
  const img = readImageFile(join(photos, 'n02096051_Airedale.JPEG'));
  assert.equal(img.width, 500);
  assert.equal(img.height, 330);
  const distinct = new Set<number>();
  for (let p = 0; p < img.width * img.height; p++) {
    const [r, g, b] = [img.data[3 * p], img.data[3 * p + 1], img.data[3 * p + 2]];
    assert.ok(r === g && g === b, `pixel ${p} is not gray: ${r},${g},${b}`);
    distinct.add(r);
  }
  assert.ok(distinct.size > 100, `a real photo has many gray levels, got ${distinct.size}`);
});

test('decodes an Adobe CMYK JPEG to the right RGB (not inverted)', () => {
  const cmyk = decodeImage(Buffer.from(CMYK_JPEG_BASE64, 'base64'), 'cmyk.jpg');
  assert.equal(cmyk.width, 48);
  assert.equal(cmyk.height, 32);
  const photo = readImageFile(join(photos, 'n01440764_tench.JPEG'));
  let diff = 0;
  let inverted = 0;
  let max = 0;
  for (let y = 0; y < 32; y++) {
    for (let x = 0; x < 48; x++) {
      const a = pixel(photo, 180 + x, 140 + y);
      const b = pixel(cmyk, x, y);
      for (let c = 0; c < 3; c++) {
        diff += Math.abs(a[c] - b[c]);
        inverted += Math.abs(255 - a[c] - b[c]);
        max = Math.max(max, Math.abs(a[c] - b[c]));
      }
    }
  }
  const n = 32 * 48 * 3;
  assert.ok(diff / n < 4, `mean |RGB - CMYK decoded| = ${diff / n}`);
  assert.ok(max < 24, `max difference ${max}`);
  assert.ok(inverted / n > 40, 'an inverted decoding would be far off');
});

test('PNG colour types: gray 8/16-bit, palette, RGB 16-bit all decode to the same RGB', () => {
  const fm = loadFashionMnist('test', 1);
  const gray = Uint8Array.from(fm.images, (v) => Math.round(v * 255));
  const rows8 = Array.from({ length: 28 }, (_, y) => gray.subarray(y * 28, (y + 1) * 28));
  const rows16 = rows8.map((r) => {
    const out = Buffer.alloc(r.length * 2);
    r.forEach((v, i) => out.writeUInt16BE(v * 257, 2 * i));
    return new Uint8Array(out);
  });
  for (const [name, png] of [
    ['gray8', rawPng(28, 28, 0, 8, rows8)],
    ['gray16', rawPng(28, 28, 0, 16, rows16)],
  ] as const) {
    const img = decodeImage(png, name);
    assert.equal(img.width, 28);
    for (let p = 0; p < 28 * 28; p++)
      assert.deepEqual(pixel(img, p % 28, Math.floor(p / 28)), [gray[p], gray[p], gray[p]], name);
  }

  // Palette: a 16x16 crop of the CIFAR frog has at most 256 colours, so a palette stores it exactly.
  const frog = cifarFrog();
  const crop: number[][] = [];
  for (let y = 0; y < 16; y++)
    for (let x = 0; x < 16; x++) crop.push(Array.from(frog.subarray((y * 32 + x) * 3, (y * 32 + x) * 3 + 3)));
  const keys = [...new Set(crop.map((c) => c.join(',')))];
  const plte = Uint8Array.from(keys.flatMap((k) => k.split(',').map(Number)));
  const indexRows = Array.from({ length: 16 }, (_, y) =>
    Uint8Array.from(crop.slice(y * 16, y * 16 + 16), (c) => keys.indexOf(c.join(','))),
  );
  const pal = decodeImage(rawPng(16, 16, 3, 8, indexRows, [chunk('PLTE', plte)]), 'palette');
  for (let p = 0; p < 256; p++) assert.deepEqual(pixel(pal, p % 16, Math.floor(p / 16)), crop[p]);

  // RGB 16-bit: v*257 decodes back to v.
  const rgbRows = Array.from({ length: 32 }, (_, y) => {
    const out = Buffer.alloc(32 * 6);
    for (let i = 0; i < 32 * 3; i++) out.writeUInt16BE(frog[y * 96 + i] * 257, 2 * i);
    return new Uint8Array(out);
  });
  const rgb16 = decodeImage(rawPng(32, 32, 2, 16, rgbRows), 'rgb16');
  assert.deepEqual(Array.from(rgb16.data), Array.from(frog));
});

test('PNG alpha is composited on white', () => {
  const frog = cifarFrog();
  const png = new PNG({ width: 32, height: 32 });
  const alphas = [0, 64, 128, 255];
  for (let p = 0; p < 1024; p++) {
    png.data[4 * p] = frog[3 * p];
    png.data[4 * p + 1] = frog[3 * p + 1];
    png.data[4 * p + 2] = frog[3 * p + 2];
    png.data[4 * p + 3] = alphas[p % 4];
  }
  const img = decodeImage(PNG.sync.write(png), 'rgba');
  for (let p = 0; p < 1024; p++) {
    const a = alphas[p % 4] / 255;
    for (let c = 0; c < 3; c++) {
      const expected = frog[3 * p + c] * a + 255 * (1 - a);
      assert.ok(Math.abs(img.data[3 * p + c] - expected) <= 0.5 + 1e-9, `pixel ${p} channel ${c}`);
    }
    if (alphas[p % 4] === 0) assert.deepEqual(pixel(img, p % 32, Math.floor(p / 32)), [255, 255, 255]);
    if (alphas[p % 4] === 255)
      assert.deepEqual(pixel(img, p % 32, Math.floor(p / 32)), Array.from(frog.subarray(3 * p, 3 * p + 3)));
  }
});

test('a non-image file gives a clear error', () => {
  assert.throws(() => readImageFile(join(photos, 'PROVENANCE.md')), {
    message: `${join(photos, 'PROVENANCE.md')}: not a JPEG or PNG image`,
  });
  assert.throws(() => decodeImage(new Uint8Array([1, 2, 3]), 'bytes'), {
    message: 'bytes: not a JPEG or PNG image',
  });
});

test('a truncated JPEG or PNG gives a clear error naming the file', () => {
  const jpeg = readFileSync(join(photos, 'n01440764_tench.JPEG'));
  assert.throws(
    () => decodeImage(jpeg.subarray(0, 200), 'cut.jpg'),
    /^Error: cut\.jpg: cannot decode this JPEG/,
  );
  const png = readFileSync(join(cifarDir, 'cifar10_batch_0.png'));
  assert.throws(
    () => decodeImage(png.subarray(0, 100), 'cut.png'),
    /^Error: cut\.png: cannot decode this PNG/,
  );
});

test('a missing file gives a clear error', () => {
  const dir = mkdtempSync(join(tmpdir(), 'advx-decode-'));
  try {
    const missing = join(dir, 'nope.jpg');
    assert.throws(() => readImageFile(missing), { message: `${missing}: no such file` });
    writeFileSync(join(dir, 'empty.png'), '');
    assert.throws(() => readImageFile(join(dir, 'empty.png')), /not a JPEG or PNG image/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
