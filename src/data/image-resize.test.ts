import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { DecodedImage } from './image-decode.js';
import { readImageFile } from './image-decode.js';
import {
  centerCrop,
  resizeCoverAndCenterCrop,
  resizeRgb,
  resizeShorterSideAndCenterCrop,
} from './image-resize.js';
import { sharedDataDir } from './locations.js';

const photo = (): DecodedImage =>
  readImageFile(join(sharedDataDir(), 'imagenet-sample-images', 'n01440764_tench.JPEG'));

function make(width: number, height: number, f: (x: number, y: number, c: number) => number): DecodedImage {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) for (let c = 0; c < 3; c++) data[(y * width + x) * 3 + c] = f(x, y, c);
  return { width, height, data };
}

const at = (img: DecodedImage, x: number, y: number, c: number): number =>
  img.data[(y * img.width + x) * 3 + c];

test('a constant image stays constant at any size, down or up', () => {
  const img = make(97, 61, (_x, _y, c) => [200, 17, 99][c]);
  for (const [w, h] of [
    [10, 7],
    [1, 1],
    [97, 20],
    [300, 250],
    [33, 61],
  ]) {
    const out = resizeRgb(img, w, h);
    assert.equal(out.width, w);
    assert.equal(out.height, h);
    assert.equal(out.data.length, w * h * 3);
    for (let p = 0; p < w * h; p++)
      assert.deepEqual(Array.from(out.data.subarray(3 * p, 3 * p + 3)), [200, 17, 99], `${w}x${h}`);
  }
});

test('a horizontal gradient stays monotone and spans the same range', () => {
  const img = make(256, 40, (x) => x);
  for (const w of [37, 100, 256 + 143]) {
    const out = resizeRgb(img, w, 13);
    for (let y = 0; y < out.height; y++) {
      for (let x = 1; x < w; x++) {
        assert.ok(at(out, x, y, 0) >= at(out, x - 1, y, 0), `monotone at x=${x} (width ${w})`);
        assert.equal(at(out, x, y, 0), at(out, x, 0, 0), 'every row is the same');
        assert.equal(at(out, x, y, 1), at(out, x, y, 0), 'channels are the same');
      }
    }
    assert.ok(
      at(out, 0, 0, 0) <= 5 && at(out, w - 1, 0, 0) >= 250,
      `range ${at(out, 0, 0, 0)}..${at(out, w - 1, 0, 0)}`,
    );
  }
});

test('downscaling is antialiased: a 1-px checkerboard becomes flat grey, not a moire pattern', () => {
  const img = make(120, 120, (x, y) => ((x + y) % 2 === 0 ? 0 : 255));
  const out = resizeRgb(img, 17, 23);
  for (const v of out.data) assert.ok(Math.abs(v - 127.5) <= 12, `value ${v}`);
});

test('a real photo: same size is an exact copy; crop shapes are right', () => {
  const img = photo();
  assert.deepEqual(resizeRgb(img, img.width, img.height).data, img.data);
  const c = centerCrop(img, 100, 50);
  assert.equal(c.data.length, 100 * 50 * 3);
  assert.equal(at(c, 0, 0, 1), at(img, 200, 162, 1));
  const crop = resizeShorterSideAndCenterCrop(img, 224);
  assert.equal(crop.width, 224);
  assert.equal(crop.height, 224);
  assert.equal(crop.data.length, 224 * 224 * 3);
  // The centre of the crop is the centre of the photo (up to resampling).
  for (let c2 = 0; c2 < 3; c2++) {
    assert.ok(Math.abs(at(crop, 112, 112, c2) - at(img, 250, 187, c2)) < 40);
  }
  const wide = resizeCoverAndCenterCrop(img, 64, 32, 1);
  assert.equal(wide.width, 64);
  assert.equal(wide.height, 32);
  const tall = resizeShorterSideAndCenterCrop({ ...img, width: img.height, height: img.width }, 32, 40);
  assert.equal(tall.data.length, 32 * 32 * 3);
});

test('bad sizes give clear errors', () => {
  const img = make(8, 8, () => 0);
  assert.throws(() => resizeRgb(img, 0, 5), /width must be a positive integer, got 0/);
  assert.throws(() => resizeRgb(img, 5, 2.5), /height must be a positive integer, got 2.5/);
  assert.throws(() => centerCrop(img, 9, 4), /cannot crop 9x4 out of a 8x8 image/);
  assert.throws(
    () => resizeShorterSideAndCenterCrop(img, 224, 200),
    /shorter side \(200\) must be >= the crop size \(224\)/,
  );
});
