import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { join } from 'node:path';
import { initEngine } from '../engine/backend.js';
import { tf, type Tensor2D, type Tensor4D } from '../engine/tf.js';
import { loadFashionMnist } from '../data/datasets.js';
import { embeddedModelsDir } from '../data/locations.js';
import { lossGradient } from '../attacks/loss-gradient.js';
import { loadModel } from '../models/load.js';
import type { TfjsModel } from '../models/tfjs-model.js';
import { loadGenerator } from '../train/gan.js';
import { gatherImages } from '../train/train-classifier.js';
import { expectationOverTransformation, offTape, straightThrough } from './bpda.js';
import { ganProjection, projectOntoGenerator } from './gan-projection.js';

let generator: tf.LayersModel;
let classifier: TfjsModel;
let x: Tensor4D;
let labels: number[];
const N = 24;

before(async () => {
  await initEngine();
  generator = await loadGenerator(join(embeddedModelsDir(), 'fashion-mnist-gan'));
  classifier = await loadModel('fashion-mnist-cnn');
  const data = loadFashionMnist('test', N);
  x = gatherImages(
    data,
    Array.from({ length: N }, (_, i) => i),
  );
  labels = Array.from(data.labels);
});

const mse = (a: Tensor4D, b: Tensor4D) => tf.tidy(() => tf.mean(tf.squaredDifference(a, b)).dataSync()[0]);

test('the projection reconstructs test images far better than random codes, and repeats with its seed', () => {
  const start = tf.memory().numTensors;
  const p = projectOntoGenerator(generator, x, { steps: 60, restarts: 2, lr: 0.05, seed: 1, batchSize: 16 });
  const again = projectOntoGenerator(generator, x, {
    steps: 60,
    restarts: 2,
    lr: 0.05,
    seed: 1,
    batchSize: 16,
  });
  const random = tf.tidy(() => generator.predict(tf.randomNormal([N, 32], 0, 1, 'float32', 7)) as Tensor4D);
  const projected = mse(p.reconstruction, x);
  const baseline = mse(random, x);
  assert.equal(p.reconstruction.shape.join(), x.shape.join());
  assert.equal(p.codes.shape.join(), `${N},32`);
  assert.equal(p.distances.length, N);
  assert.ok(
    Math.abs(p.distances.reduce((a, b) => a + b, 0) / N - projected) < 1e-5,
    'distances are the per-image MSE',
  );
  assert.ok(projected < 0.35 * baseline, `MSE of G(z*) ${projected} vs of G(random z) ${baseline}`);
  assert.equal(mse(p.reconstruction, again.reconstruction), 0, 'same seed, same projection');
  tf.dispose([p.reconstruction, p.codes, again.reconstruction, again.codes, random]);
  assert.equal(tf.memory().numTensors, start, 'no tensor leaked');
});

test('BPDA: gradients through the projection flow and equal the classifier gradient at G(z*)', () => {
  const defended = ganProjection(generator, classifier, { steps: 30, restarts: 1, seed: 2 });
  assert.equal(defended.differentiable, true);
  assert.equal(defended.numClasses, 10);
  const goal = { labels, targeted: false };
  const start = tf.memory().numTensors;
  const through = lossGradient(defended, x, goal);
  const xhat = defended.project(x);
  const direct = lossGradient(classifier, xhat, goal);
  const [norm, diff, logitDiff] = tf.tidy(() => [
    tf.norm(through).dataSync()[0],
    tf.norm(tf.sub(through, direct)).dataSync()[0],
    tf.max(tf.abs(tf.sub(defended.logits(x), classifier.logits(xhat)))).dataSync()[0],
  ]);
  assert.ok(norm > 1e-3, `gradient norm ${norm}`);
  assert.ok(diff < 1e-4 * norm, `|BPDA gradient - classifier gradient at G(z*)| = ${diff} (norm ${norm})`);
  assert.ok(logitDiff < 1e-4, `logits are the classifier's on G(z*) (max diff ${logitDiff})`);
  tf.dispose([through, xhat, direct]);
  assert.equal(tf.memory().numTensors, start, 'no tensor leaked');
});

test('offTape and straightThrough: a constant for tf.grad, identity gradient', () => {
  const v = tf.tensor2d([[1, 2, 3]]);
  const g = tf.grad((t: tf.Tensor) => tf.add(tf.sum(tf.square(offTape(() => tf.mul(t, 5)))), tf.sum(t)))(v);
  assert.deepEqual(Array.from(g.dataSync()), [1, 1, 1]);
  const y = tf.tensor2d([[7, 7, 7]]);
  const h = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(straightThrough(t, y), tf.tensor2d([[1, 2, 3]]))))(v);
  assert.deepEqual(Array.from(h.dataSync()), [1, 2, 3]);
  assert.deepEqual(Array.from(tf.tidy(() => straightThrough(v, y)).dataSync()), [7, 7, 7]);
  // the tape is back after offTape, even when f throws inside a gradient computation
  assert.throws(
    () =>
      tf.grad(
        (_t: tf.Tensor) =>
          offTape(() => {
            throw new Error('inside');
          }) as tf.Tensor,
      )(v),
    /inside/,
  );
  const k = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(t, t)))(v);
  assert.deepEqual(Array.from(k.dataSync()), [2, 4, 6]);
  tf.dispose([v, g, y, h, k]);
});

test('EOT over a randomized projection: log-probabilities, batched, and differentiable', () => {
  const fresh = ganProjection(generator, classifier, { steps: 10, restarts: 1, seed: 3, fresh: true });
  const a = tf.tidy(() => fresh.logits(x));
  const b = tf.tidy(() => fresh.logits(x));
  assert.ok(
    tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]) > 0,
    'fresh restarts differ between calls',
  );
  const eot = expectationOverTransformation(fresh, 3);
  const logits = tf.tidy(() => eot.logits(x) as Tensor2D);
  assert.equal(logits.shape.join(), `${N},10`);
  const total = tf.tidy(() => tf.max(tf.abs(tf.logSumExp(logits, 1))).dataSync()[0]);
  assert.ok(total < 1e-4, `rows are log-probabilities (|logsumexp| ${total})`);
  const g = lossGradient(eot, x, { labels, targeted: false });
  assert.ok(tf.tidy(() => tf.norm(g).dataSync()[0]) > 1e-3);
  tf.dispose([a, b, logits, g]);
  assert.throws(() => expectationOverTransformation(fresh, 0), /samples must be an integer >= 1/);
});

test('clear errors for mismatched inputs and options', () => {
  assert.throws(
    () => projectOntoGenerator(generator, tf.zeros([2, 14, 14, 1]) as Tensor4D),
    /do not match the generator's images/,
  );
  assert.throws(
    () => projectOntoGenerator(generator, x, { restarts: 0 }),
    /restarts must be an integer >= 1/,
  );
  assert.throws(() => projectOntoGenerator(generator, x, { lr: -1 }), /lr must be a positive number/);
});
