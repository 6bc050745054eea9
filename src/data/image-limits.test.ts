import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { packageRoot, sharedDataDir } from './locations.js';
import { checkImageFile, decodeImage, maxImageFileBytes, readImageFile } from './image-decode.js';
import { readImageHeader } from './image-header.js';
import { resolveImageLimits } from './image-limits.js';
import { craftPng, interlacedPng, withJpegSize, zeroPng } from './image-testing.js';
import { loadImagesFor } from './images.js';

const PHOTO = join(sharedDataDir(), 'imagenet-sample-images', 'n07747607_orange.JPEG');
const EXAMPLE = join(packageRoot, 'examples', 'fashion-mnist', '0-ankle-boot.png');

/** Runs `f` and returns how long it took and how much the process' buffers grew meanwhile. */
function measure(f: () => void): { ms: number; grewMB: number } {
  const before = process.memoryUsage().arrayBuffers;
  const started = performance.now();
  f();
  return {
    ms: performance.now() - started,
    grewMB: (process.memoryUsage().arrayBuffers - before) / 2 ** 20,
  };
}

test('headers give the size of real files without decoding them', () => {
  const png = readImageHeader(readFileSync(EXAMPLE), EXAMPLE);
  assert.equal(png.format, 'png');
  assert.deepEqual([png.width, png.height], [28, 28]);
  const photo = readFileSync(PHOTO);
  const jpeg = readImageHeader(photo, PHOTO);
  const decoded = decodeImage(photo, PHOTO);
  assert.equal(jpeg.format, 'jpeg');
  assert.deepEqual([jpeg.width, jpeg.height, jpeg.channels], [decoded.width, decoded.height, 3]);
  assert.throws(
    () => readImageHeader(Buffer.from('hello'), 'notes.jpg'),
    /^Error: notes.jpg: not a JPEG or PNG image$/,
  );
  assert.throws(
    () => readImageHeader(Buffer.from([0xff, 0xd8, 0xff, 0xd9]), 'x.jpg'),
    /x.jpg: cannot decode this JPEG/,
  );
});

test('a 65-byte PNG declaring 30000x30000 pixels is refused at once, nothing allocated', () => {
  const bomb = craftPng({ width: 30000, height: 30000 });
  assert.ok(bomb.length < 80);
  const { ms, grewMB } = measure(() =>
    assert.throws(
      () => decodeImage(bomb, 'bomb.png'),
      /^Error: bomb.png: 30000x30000 image \(900000000 pixels\) is above the limit of 50000000 pixels \(--max-pixels\)$/,
    ),
  );
  assert.ok(ms < 500, `took ${ms} ms`);
  assert.ok(grewMB < 16, `buffers grew by ${grewMB} MB`);
});

test('a real, valid 10000x10000 PNG of zeros is refused by default and decodes under a raised limit of its size', () => {
  const big = zeroPng(10000, 10000);
  assert.ok(big.length < 1_000_000, `${big.length} bytes on disk`);
  assert.throws(() => decodeImage(big, 'zeros.png'), /zeros.png: 10000x10000 image .* above the limit/);
  const small = zeroPng(600, 500);
  assert.throws(
    () => decodeImage(small, 'z.png', { maxPixels: 299_999 }),
    /above the limit of 299999 pixels/,
  );
  const img = decodeImage(small, 'z.png', { maxPixels: 300_000 });
  assert.deepEqual([img.width, img.height], [600, 500]);
  assert.ok(img.data.every((v) => v === 0));
});

test('a real JPEG whose frame header declares a huge size is refused before decoding', () => {
  const photo = readFileSync(PHOTO);
  const huge = withJpegSize(photo, 65000, 60000);
  const { ms, grewMB } = measure(() =>
    assert.throws(
      () => decodeImage(huge, 'huge.jpg'),
      /^Error: huge.jpg: 65000x60000 image .*above the limit/,
    ),
  );
  assert.ok(ms < 500 && grewMB < 16, `${ms} ms, ${grewMB} MB`);
  assert.throws(
    () => decodeImage(withJpegSize(photo, 4000, 3000), 'big.jpg', { maxPixels: 10_000_000 }),
    /^Error: big.jpg: 4000x3000 image \(12000000 pixels\) is above the limit of 10000000 pixels/,
  );
  // Within the limits, but far too few bytes for an 8000x6000 baseline JPEG: refused before jpeg-js allocates.
  const { ms: forgedMs, grewMB: forgedMB } = measure(() =>
    assert.throws(
      () => decodeImage(withJpegSize(photo, 8000, 6000), 'forged.jpg'),
      /forged.jpg: cannot decode this JPEG: \d+ bytes cannot hold 8000x6000 pixels \(truncated or corrupt\)/,
    ),
  );
  assert.ok(forgedMs < 500 && forgedMB < 16, `${forgedMs} ms, ${forgedMB} MB`);
});

test('16-bit images count their decoded bytes: half the pixels of an 8-bit one', () => {
  const limits = { maxPixels: 1000 };
  const rgba16 = craftPng({
    width: 25,
    height: 30,
    bitDepth: 16,
    colorType: 6,
    idat: deflateSync(Buffer.alloc(30 * 201)),
  });
  assert.throws(
    () => decodeImage(rgba16, 'deep.png', limits),
    /deep.png: 25x30 16-bit image decodes to .*maxDecodedBytes/,
  );
  const rgba8 = craftPng({
    width: 25,
    height: 30,
    bitDepth: 8,
    colorType: 6,
    idat: deflateSync(Buffer.alloc(30 * 101)),
  });
  assert.equal(decodeImage(rgba8, 'shallow.png', limits).width, 25);
  assert.equal(decodeImage(rgba16, 'deep.png', { maxPixels: 1000, maxDecodedBytes: 6000 }).width, 25);
});

test('image data too short for the declared size, or inflating past it, is refused before pngjs allocates', () => {
  const short = craftPng({ width: 4000, height: 4000, idat: deflateSync(Buffer.alloc(100)) });
  assert.throws(
    () => decodeImage(short, 'short.png'),
    /short.png: cannot decode this PNG: \d+ bytes of image data cannot hold 4000x4000 pixels/,
  );
  // Interlaced: pngjs inflates without a bound; 16 MB of zeros behind a 100x100 header.
  const inflating = craftPng({
    width: 100,
    height: 100,
    interlaced: true,
    idat: deflateSync(Buffer.alloc(16 << 20)),
  });
  const { grewMB } = measure(() =>
    assert.throws(
      () => decodeImage(inflating, 'bomb.png'),
      /bomb.png: cannot decode this PNG: its image data inflates to more than \d+ bytes/,
    ),
  );
  assert.ok(grewMB < 32, `buffers grew by ${grewMB} MB`);
  // A real interlaced PNG (of a photo) still decodes, to the same pixels as the photo.
  const photo = decodeImage(readFileSync(PHOTO), PHOTO);
  const interlaced = decodeImage(interlacedPng(photo.width, photo.height, photo.data), 'interlaced.png');
  assert.deepEqual(interlaced.data, photo.data);
});

test('limits must be positive integers; the error names the option', () => {
  assert.throws(
    () => resolveImageLimits({ maxPixels: 0 }),
    /^Error: image limits: maxPixels must be a positive integer \(got 0\)$/,
  );
  assert.throws(
    () => resolveImageLimits({ maxDecodedBytes: NaN }),
    /maxDecodedBytes must be a positive integer/,
  );
  assert.deepEqual(resolveImageLimits({ maxPixels: 10 }), { maxPixels: 10, maxDecodedBytes: 40 });
});

test('image files: folders, devices and files too large to be an image within the limits are refused unread', () => {
  const work = mkdtempSync(join(tmpdir(), 'advx-limits-'));
  try {
    assert.throws(() => readImageFile(work), /cannot read: it is a directory, not an image file/);
    assert.throws(() => readImageFile('/dev/zero'), /^Error: \/dev\/zero: not a regular file/);
    const sparse = join(work, 'sparse.png');
    writeFileSync(sparse, craftPng({ width: 10, height: 10 }));
    truncateSync(sparse, maxImageFileBytes() + 1); // sparse: no disk, no memory
    assert.throws(
      () => checkImageFile(sparse),
      /sparse.png: \d+ MB is more than an image within the limits can take/,
    );
    assert.throws(() => readImageFile(join(work, 'none.png')), /none.png: no such file/);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});

test('loadImagesFor passes maxPixels on: a real photo is refused under a small limit, loaded under the default', async () => {
  const model = { inputShape: [32, 32, 3] as const, bounds: [0, 1] as const };
  await assert.rejects(
    loadImagesFor([PHOTO], model, { maxPixels: 1000 }),
    /n07747607_orange.JPEG: 332x500 image .*above the limit of 1000 pixels/,
  );
  const x = await loadImagesFor([PHOTO], model);
  assert.deepEqual(x.shape, [1, 32, 32, 3]);
  x.dispose();
});
