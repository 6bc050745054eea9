/**
 * `resizeNearest` is PIL's NEAREST resize (Keras' load_img): the source pixel of every output pixel is
 * pinned against PIL (scripts/pil-nearest-reference.py) for a real photo and more size pairs, and the
 * image loader's `keras` fit uses it on the whole photo.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { initEngine } from '../engine/backend.js';
import { tf } from '../engine/tf.js';
import { decodeImage } from './image-decode.js';
import { nearestSourceIndices, resizeNearest } from './image-resize-nearest.js';
import { loadImagesFor } from './images.js';
import { sharedDataDir } from './locations.js';
import { PIL_NEAREST_REFERENCE as REF } from './pil-nearest-reference.js';

const PHOTO = join(sharedDataDir(), 'imagenet-sample-images', REF.photo);

test('source indices equal PIL NEAREST for every size pair of the reference', () => {
  for (const { inSize, outSize, indices } of REF.pairs) {
    assert.deepEqual(Array.from(nearestSourceIndices(inSize, outSize)), indices, `${inSize} -> ${outSize}`);
  }
  assert.deepEqual(Array.from(nearestSourceIndices(REF.width, 224)), REF.columns);
  assert.deepEqual(Array.from(nearestSourceIndices(REF.height, 224)), REF.rows);
  // not the top-left convention floor(o * scale) of tf.image.resizeNearestNeighbor without half-pixel centres
  const scale = REF.width / 224;
  assert.notDeepEqual(
    REF.columns,
    Array.from({ length: 224 }, (_, o) => Math.floor(o * scale)),
  );
});

test('a real photo resized like PIL: each output pixel is the pinned source pixel, values match PIL', () => {
  const img = decodeImage(readFileSync(PHOTO), PHOTO);
  assert.deepEqual([img.width, img.height], [REF.width, REF.height]);
  const out = resizeNearest(img, 224, 224);
  assert.deepEqual([out.width, out.height, out.data.length], [224, 224, 224 * 224 * 3]);
  for (let y = 0; y < 224; y++) {
    for (let x = 0; x < 224; x++) {
      const s = (REF.rows[y] * img.width + REF.columns[x]) * 3;
      const d = (y * 224 + x) * 3;
      if (
        out.data[d] !== img.data[s] ||
        out.data[d + 1] !== img.data[s + 1] ||
        out.data[d + 2] !== img.data[s + 2]
      )
        assert.fail(`pixel (${x}, ${y}) is not source pixel (${REF.columns[x]}, ${REF.rows[y]})`);
    }
  }
  // PIL decodes the JPEG with libjpeg, advx with jpeg-js: the same pixels differ by a few levels at most
  let worst = 0;
  for (const { x, y, rgb } of REF.samples) {
    const d = (y * 224 + x) * 3;
    rgb.forEach((v, c) => (worst = Math.max(worst, Math.abs(out.data[d + c] - v))));
  }
  assert.ok(worst <= 4, `largest difference to PIL at the sampled pixels: ${worst}`);
});

test("images.load(files, model, { fit: 'keras' }) is the whole photo resized, not the centre crop", async () => {
  await initEngine();
  const model = { inputShape: [224, 224, 3] as const, bounds: [0, 1] as const };
  const before = tf.memory().numTensors;
  const keras = await loadImagesFor([PHOTO], model, { fit: 'keras' });
  const crop = await loadImagesFor([PHOTO], model);
  const expected = resizeNearest(decodeImage(readFileSync(PHOTO), PHOTO), 224, 224);
  const values = keras.dataSync();
  let worst = 0;
  for (let i = 0; i < values.length; i++)
    worst = Math.max(worst, Math.abs(values[i] - expected.data[i] / 255));
  assert.ok(worst < 1e-6, `keras fit differs from resizeNearest by ${worst}`);
  const differs = tf.tidy(() => tf.max(tf.abs(tf.sub(keras, crop))).dataSync()[0]);
  assert.ok(differs > 0.1, 'keras and crop fits give different pixels');
  tf.dispose([keras, crop]);
  assert.equal(tf.memory().numTensors, before);
  await assert.rejects(
    loadImagesFor([PHOTO], model, { fit: 'bilinear' as 'keras' }),
    /fit must be 'crop' or 'stretch' or 'keras', got 'bilinear'/,
  );
});

test('bad sizes get a clear message', () => {
  assert.throws(() => nearestSourceIndices(10, 0), /resize: output size must be a positive integer, got 0/);
  assert.throws(() => nearestSourceIndices(2.5, 4), /resize: input size must be a positive integer/);
});
