/**
 * The committed adversarially trained model (models/fashion-mnist-cnn-robust) against the target
 * under the protocol: PGD-20, step 0.0125, eps 0.1, random start (inspire-group/privacy-vs-robustness),
 * on a fixed subset, the first 500 Fashion-MNIST test images. Target: >= 88 % clean, >= 65 % robust.
 * Also the contrast that makes the figures meaningful: the natural model falls to a few percent.
 */
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { initEngine } from '../engine/backend.js';
import { tf, type Tensor4D } from '../engine/tf.js';
import { loadFashionMnist } from '../data/datasets.js';
import { loadModel } from '../models/load.js';
import { gatherImages } from '../train/train-classifier.js';
import { pgdRobustness } from './evaluation.js';

const N = 500;
let x: Tensor4D;
let labels: number[];

before(async () => {
  await initEngine();
  const data = loadFashionMnist('test', N);
  x = gatherImages(
    data,
    Array.from({ length: N }, (_, i) => i),
  );
  labels = Array.from(data.labels);
});

test('fashion-mnist-cnn-robust: >= 88% clean and >= 65% robust under PGD-20 (step 0.0125, eps 0.1) on the first 500 test images', async () => {
  const model = await loadModel('fashion-mnist-cnn-robust');
  const start = tf.memory().numTensors;
  const r = await pgdRobustness(model, x, labels, { eps: 0.1, steps: 20, stepSize: 0.0125, seed: 0 });
  assert.equal(tf.memory().numTensors, start, 'no tensor leaked');
  assert.ok(r.clean >= 0.88, `clean accuracy ${r.clean}`);
  assert.ok(r.robust >= 0.65, `robust accuracy ${r.robust}`);
  model.dispose();
});

test('the natural fashion-mnist-cnn falls under the same attack (the published natural CNN: 4.14%)', async () => {
  const model = await loadModel('fashion-mnist-cnn');
  const r = await pgdRobustness(model, x, labels, { eps: 0.1, steps: 20, stepSize: 0.0125, seed: 0 });
  assert.ok(r.clean >= 0.88, `clean accuracy ${r.clean}`);
  assert.ok(r.robust <= 0.15, `robust accuracy ${r.robust}`);
  model.dispose();
});
