import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { initEngine } from '../engine/backend.js';
import { tf } from '../engine/tf.js';
import { loadFashionMnist } from '../data/datasets.js';
import { embeddedModelsDir } from '../data/locations.js';
import { readModelFolder } from '../models/model-files.js';
import { FASHION_MNIST_CNN_LAYERS, fashionMnistCnn } from './architectures.js';
import { evaluateAccuracy } from './train-classifier.js';

before(async () => {
  await initEngine();
});

function weightValues(model: tf.LayersModel): Float32Array[] {
  return model.getWeights().map((w) => w.dataSync() as Float32Array);
}

test('fashionMnistCnn takes [N,28,28,1] and returns 10 logits per image, with stable layer names', () => {
  const model = fashionMnistCnn(1);
  assert.deepEqual(
    model.layers.map((l) => l.name),
    [...FASHION_MNIST_CNN_LAYERS],
  );
  assert.deepEqual(model.inputs[0].shape, [null, 28, 28, 1]);
  const data = loadFashionMnist('test', 8);
  const logits = tf.tidy(() => model.predict(tf.tensor4d(data.images, [8, 28, 28, 1])) as tf.Tensor2D);
  assert.deepEqual(logits.shape, [8, 10]);
  const rows = logits.arraySync();
  logits.dispose();
  // Logits, not probabilities: some are negative and the rows do not sum to one.
  assert.ok(rows.flat().some((v) => v < 0));
  assert.ok(rows.some((r) => Math.abs(r.reduce((a, b) => a + b, 0) - 1) > 1e-3));
  model.dispose();
});

test('the same seed gives the same initial weights, another seed other weights', () => {
  const before = tf.memory().numTensors;
  const a = fashionMnistCnn(7);
  const b = fashionMnistCnn(7);
  const c = fashionMnistCnn(8);
  const [wa, wb, wc] = [a, b, c].map(weightValues);
  assert.equal(wa.length, 8);
  wa.forEach((w, i) => assert.deepEqual(w, wb[i], `weight ${i} differs for the same seed`));
  assert.notDeepEqual(wa[0], wc[0]);
  assert.notDeepEqual(wa[4], wc[4]);
  // Kernels are random, not zero; layers do not share one random stream.
  assert.ok(wa[0].some((v) => v !== 0));
  assert.notDeepEqual(wa[0].slice(0, 16), wa[2].slice(0, 16));
  [a, b, c].forEach((m) => m.dispose());
  assert.equal(tf.memory().numTensors, before);
});

test('the committed models/fashion-mnist-cnn reaches >= 90% on the first 2000 Fashion-MNIST test images', async () => {
  const dir = join(embeddedModelsDir(), 'fashion-mnist-cnn');
  assert.ok(statSync(join(dir, 'weights.bin')).size < 2e6, 'weights.bin should stay under 2 MB');
  const { json, artifacts } = readModelFolder(dir);
  const meta = json.advx as Record<string, unknown>;
  assert.deepEqual(meta.bounds, [0, 1]);
  assert.deepEqual(meta.inputShape, [28, 28, 1]);
  assert.equal(meta.preprocessing, 'none');
  assert.equal(meta.output, 'logits');
  assert.equal((meta.labels as string[]).length, 10);
  assert.ok((meta.testAccuracy as number) >= 0.9);
  assert.match(meta.trainingCommand as string, /^advx train /);
  const model = await tf.loadLayersModel(tf.io.fromMemory(artifacts));
  const before = tf.memory().numTensors;
  const test2000 = loadFashionMnist('test', 2000);
  const acc = evaluateAccuracy(model, test2000);
  assert.equal(tf.memory().numTensors, before);
  assert.ok(acc >= 0.9, `accuracy ${acc} on 2000 test images`);
  model.dispose();
});
