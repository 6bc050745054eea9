import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initEngine } from '../engine/backend.js';
import { tf } from '../engine/tf.js';
import { loadFashionMnist } from './datasets.js';
import { examplesDir } from './export-examples.js';
import { readImageFile } from './image-decode.js';
import { resizeShorterSideAndCenterCrop } from './image-resize.js';
import { defaultFit, imageToPixels, load, loadImages, loadImagesFor, luminance } from './images.js';
import { sharedDataDir } from './locations.js';
import { encodePng, writePngFile } from './png.js';

const photos = join(sharedDataDir(), 'imagenet-sample-images');
const colour = join(photos, 'n07747607_orange.JPEG');
const gray = join(photos, 'n02096051_Airedale.JPEG');

function minMax(t: tf.Tensor): [number, number] {
  return tf.tidy(() => [tf.min(t).dataSync()[0], tf.max(t).dataSync()[0]]);
}

test('loadImages: 224x224x3 ImageNet target, bounds [-1,1], crop', async () => {
  await initEngine();
  const before = tf.memory().numTensors;
  const x = await loadImages([colour, gray], { height: 224, width: 224, channels: 3, bounds: [-1, 1] });
  assert.deepEqual(x.shape, [2, 224, 224, 3]);
  const [lo, hi] = minMax(x);
  assert.ok(lo >= -1 && hi <= 1, `values ${lo}..${hi}`);
  assert.ok(hi - lo > 1, 'a real photo uses much of the range');
  // Same pixels as decode -> shorter side 256 -> centre crop 224 -> linear map to [-1,1].
  const expected = resizeShorterSideAndCenterCrop(readImageFile(colour), 224);
  const first = tf.tidy(() => tf.slice(x, [0, 0, 0, 0], [1, -1, -1, -1]).dataSync());
  let maxErr = 0;
  for (let i = 0; i < expected.data.length; i++)
    maxErr = Math.max(maxErr, Math.abs(first[i] - (expected.data[i] / 255) * 2 + 1));
  assert.ok(maxErr < 1e-6, `max error ${maxErr}`);
  x.dispose();
  assert.equal(tf.memory().numTensors, before, 'no tensor leak');
});

test('loadImages: 28x28x1 target (Fashion-MNIST model) stretches a photo and keeps a 28x28 PNG exact', async () => {
  await initEngine();
  const examples = readdirSync(examplesDir())
    .filter((f) => f.endsWith('.png'))
    .sort((a, b) => parseInt(a) - parseInt(b));
  const files = [join(examplesDir(), examples[0]), colour];
  const model = { inputShape: [28, 28, 1] as const, bounds: [0, 1] as const };
  const x = await loadImagesFor(files, model);
  assert.deepEqual(x.shape, [2, 28, 28, 1]);
  const [lo, hi] = minMax(x);
  assert.ok(lo >= 0 && hi <= 1, `values ${lo}..${hi}`);
  const data = await x.data();
  const fm = loadFashionMnist('test', 1);
  for (let i = 0; i < 784; i++) assert.equal(data[i], fm.images[i], `pixel ${i} of ${examples[0]}`);
  x.dispose();
  assert.equal(load, loadImagesFor);
});

test('channels 1 is ITU-R 601 luminance; an image of the target size is not resampled', () => {
  const img = readImageFile(colour);
  const target = { height: img.height, width: img.width, channels: 1 as const, bounds: [0, 255] as const };
  const px = imageToPixels(img, target);
  for (const p of [0, 1000, 50_000, img.width * img.height - 1]) {
    const [r, g, b] = [img.data[3 * p], img.data[3 * p + 1], img.data[3 * p + 2]];
    assert.equal(px[p], Math.round(0.299 * r + 0.587 * g + 0.114 * b));
  }
  assert.equal(luminance(77, 77, 77), 77);
  assert.equal(defaultFit(224, 224), 'crop');
  assert.equal(defaultFit(28, 28), 'stretch');
  assert.equal(defaultFit(32, 32), 'stretch');
});

test('fit: stretch keeps the whole picture, crop keeps the aspect ratio and cuts the sides', () => {
  // A 60x30 black image with a white stripe in its 10 leftmost columns.
  const data = new Uint8Array(60 * 30 * 3);
  for (let y = 0; y < 30; y++) data.fill(255, y * 60 * 3, (y * 60 + 10) * 3);
  const img = { width: 60, height: 30, data };
  const stretch = imageToPixels(img, { height: 64, width: 64, channels: 1, bounds: [0, 1], fit: 'stretch' });
  const crop = imageToPixels(img, { height: 64, width: 64, channels: 1, bounds: [0, 1], fit: 'crop' });
  const middleRow = (px: Float32Array) => Array.from(px.subarray(32 * 64, 33 * 64));
  // Stretched: the stripe is still there, 10/60 of the width.
  const white = middleRow(stretch).filter((v) => v > 0.5).length;
  assert.ok(Math.abs(white - (10 / 60) * 64) <= 1, `stripe ${white} px wide`);
  // Cropped: scaled to cover 64*256/224 px high (x2.44) and centre-cut, the stripe is cut away.
  assert.ok(
    middleRow(crop).every((v) => v === 0),
    'the left edge is outside the centre crop',
  );
});

test('bad input gives clear errors', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'advx-images-'));
  try {
    const target = { height: 28, width: 28, channels: 1 as const, bounds: [0, 1] as const };
    await assert.rejects(loadImages([join(dir, 'missing.png')], target), {
      message: `${join(dir, 'missing.png')}: no such file`,
    });
    await assert.rejects(loadImages([join(photos, 'PROVENANCE.md')], target), {
      message: `${join(photos, 'PROVENANCE.md')}: not a JPEG or PNG image`,
    });
    await assert.rejects(loadImages([], target), /no image files given/);
    await assert.rejects(
      loadImages([colour], { ...target, channels: 2 as 1 }),
      /channels must be 1 or 3, got 2/,
    );
    await assert.rejects(
      loadImages([colour], { ...target, bounds: [1, 0] }),
      /bounds must be two finite numbers lo < hi/,
    );
    await assert.rejects(
      loadImages([colour], { ...target, fit: 'zoom' as 'crop' }),
      /fit must be 'crop' or 'stretch'/,
    );
    await assert.rejects(loadImages([dir], target), /cannot read/);
    await assert.rejects(
      loadImagesFor([colour], { inputShape: [8, 8, 4], bounds: [0, 1] }),
      /4 input channels/,
    );
    // Nothing leaks when a later file fails.
    await initEngine();
    const before = tf.memory().numTensors;
    writePngFile(join(dir, 'ok.png'), encodePng(new Float32Array(784), 28, 28, 1, [0, 1]));
    await assert.rejects(
      loadImages([join(dir, 'ok.png'), join(dir, 'nope.png')], target),
      /nope\.png: no such file/,
    );
    assert.equal(tf.memory().numTensors, before);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
