import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initEngine } from '../engine/backend.js';
import { tf } from '../engine/tf.js';
import { loadFashionMnist } from '../data/datasets.js';
import { fashionMnistCnn } from '../train/architectures.js';
import { readModelFolder } from './model-files.js';
import { modelExistsIn, saveLayersModel } from './save-model.js';

let root: string;

before(async () => {
  await initEngine();
  root = mkdtempSync(join(tmpdir(), 'advx-save-model-'));
});

after(() => {
  rmSync(root, { recursive: true, force: true });
});

test('saveLayersModel writes model.json + weights.bin that load back to the same predictions', async () => {
  const model = fashionMnistCnn(2);
  const dir = join(root, 'round-trip', 'nested');
  const info = await saveLayersModel(model, dir, {
    metadata: {
      labels: ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j'],
      dataset: 'fashion-mnist',
      testAccuracy: 0.5,
    },
  });
  assert.equal(info.weightBytes, 206922 * 4);
  assert.equal(statSync(join(dir, 'weights.bin')).size, info.weightBytes);

  const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
  assert.equal(json.format, 'layers-model');
  assert.deepEqual(json.weightsManifest[0].paths, ['weights.bin']);
  assert.deepEqual(
    json.weightsManifest[0].weights.map((w: { name: string }) => w.name),
    [
      'conv1/kernel',
      'conv1/bias',
      'conv2/kernel',
      'conv2/bias',
      'dense1/kernel',
      'dense1/bias',
      'logits/kernel',
      'logits/bias',
    ],
  );
  assert.deepEqual(json.advx.bounds, [0, 1]);
  assert.deepEqual(json.advx.inputShape, [28, 28, 1]);
  assert.equal(json.advx.preprocessing, 'none');
  assert.equal(json.advx.output, 'logits');
  assert.equal(json.advx.labels[9], 'j');
  assert.equal(json.advx.testAccuracy, 0.5);

  const { json: read, artifacts } = readModelFolder(dir);
  assert.deepEqual(read.advx, json.advx);
  const loaded = await tf.loadLayersModel(tf.io.fromMemory(artifacts));
  const data = loadFashionMnist('test', 64);
  const [a, b] = tf.tidy(() => {
    const x = tf.tensor4d(data.images, [64, 28, 28, 1]);
    return [(model.predict(x) as tf.Tensor).dataSync(), (loaded.predict(x) as tf.Tensor).dataSync()];
  });
  assert.deepEqual(b, a);
  model.dispose();
  loaded.dispose();
});

test('saveLayersModel refuses to replace a model unless overwrite is set', async () => {
  const model = fashionMnistCnn(1);
  const other = fashionMnistCnn(9);
  const dir = join(root, 'refuse');
  // An existing folder without a model is fine (e.g. one holding only TRAINING.md).
  mkdirSync(dir);
  writeFileSync(join(dir, 'TRAINING.md'), 'notes\n');
  assert.equal(modelExistsIn(dir), false);
  await saveLayersModel(model, dir);
  assert.equal(modelExistsIn(dir), true);
  const first = readFileSync(join(dir, 'weights.bin'));
  await assert.rejects(saveLayersModel(other, dir), /already holds a model.*overwrite/);
  assert.deepEqual(readFileSync(join(dir, 'weights.bin')), first, 'a refused save leaves the files alone');
  await saveLayersModel(other, dir, { overwrite: true });
  assert.notDeepEqual(readFileSync(join(dir, 'weights.bin')), first);
  assert.equal(readFileSync(join(dir, 'TRAINING.md'), 'utf8'), 'notes\n');

  const file = join(root, 'a-file');
  writeFileSync(file, 'x');
  await assert.rejects(saveLayersModel(model, file), /is not a folder/);
  model.dispose();
  other.dispose();
});
