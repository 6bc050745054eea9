/** `--resize crop|stretch|keras`: parsed by commander, passed to the image loader; a bad mode is a usage error. */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { Command } from 'commander';
import { loadImagesFor } from '../data/images.js';
import { sharedDataDir } from '../data/locations.js';
import { initEngine } from '../engine/backend.js';
import { tf } from '../engine/tf.js';
import type { Model } from '../models/model.js';
import { exitCodeOf, UsageError } from './errors.js';
import { addResizeOption, loadImagesFromFlags, type ResizeFlags } from './model-options.js';
import { parseResize } from './options.js';

const PHOTO = join(sharedDataDir(), 'imagenet-sample-images', 'n03792972_mountain_tent.JPEG');
const model = { inputShape: [224, 224, 3], bounds: [0, 1] } as unknown as Model;

test('--resize keras loads the photo as the keras fit does; no flag is the default fit', async () => {
  await initEngine();
  const command = addResizeOption(new Command('predict').exitOverride());
  command.parse(['--resize', 'keras'], { from: 'user' });
  const flags = command.opts<ResizeFlags>();
  assert.equal(flags.resize, 'keras');
  const before = tf.memory().numTensors;
  const viaFlags = await loadImagesFromFlags([PHOTO], model, flags);
  const keras = await loadImagesFor([PHOTO], model, { fit: 'keras' });
  const byDefault = await loadImagesFromFlags([PHOTO], model, {});
  const crop = await loadImagesFor([PHOTO], model, { fit: 'crop' });
  const maxDiff = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);
  assert.equal(maxDiff(viaFlags, keras), 0);
  assert.equal(maxDiff(byDefault, crop), 0);
  assert.ok(maxDiff(viaFlags, byDefault) > 0.1);
  tf.dispose([viaFlags, keras, byDefault, crop]);
  assert.equal(tf.memory().numTensors, before);
});

test('a bad --resize mode or image is a usage error (exit code 2)', async () => {
  assert.equal(parseResize('stretch'), 'stretch');
  assert.throws(
    () => parseResize('nearest'),
    (error: Error) =>
      error instanceof UsageError && error.message === '--resize: one of crop, stretch, keras (got nearest)',
  );
  await assert.rejects(loadImagesFromFlags([PHOTO], model, { resize: 'bilinear' }), (error: Error) => {
    assert.equal(exitCodeOf(error), 2);
    return /--resize: one of crop, stretch, keras \(got bilinear\)/.test(error.message);
  });
  await assert.rejects(loadImagesFromFlags(['/nowhere.jpg'], model, { resize: 'keras' }), (error: Error) => {
    assert.equal(exitCodeOf(error), 2);
    return /nowhere.jpg: no such file/.test(error.message);
  });
});
