import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { join } from 'node:path';
import { initEngine } from '../engine/backend.js';
import { tf, type Tensor4D } from '../engine/tf.js';
import { loadFashionMnist } from '../data/datasets.js';
import { embeddedModelsDir } from '../data/locations.js';
import { lossGradient } from '../attacks/loss-gradient.js';
import { loadModel } from '../models/load.js';
import type { Model } from '../models/model.js';
import { loadGenerator } from '../train/gan.js';
import { gatherImages } from '../train/train-classifier.js';
import { expectationOverTransformation, offTape } from './bpda.js';
import { ganProjection, projectOntoGenerator } from './gan-projection.js';

let generator: tf.LayersModel;
let classifier: Model;
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

test('BPDA: gradients through the projection flow and equal the classifier gradient at G(z*)', async () => {
  const defended = ganProjection(generator, classifier, { steps: 30, restarts: 1, seed: 2 });
  assert.equal(defended.differentiable, true);
  assert.equal(defended.numClasses, 10);
  const goal = { labels, targeted: false };
  const start = tf.memory().numTensors;
  const through = await lossGradient(defended, x, goal);
  const xhat = defended.project(x);
  const direct = await lossGradient(classifier, xhat, goal);
  const defendedLogits = await defended.logits(x);
  const classifierLogits = await classifier.logits(xhat);
  const [norm, diff, logitDiff] = tf.tidy(() => [
    tf.norm(through).dataSync()[0],
    tf.norm(tf.sub(through, direct)).dataSync()[0],
    tf.max(tf.abs(tf.sub(defendedLogits, classifierLogits))).dataSync()[0],
  ]);
  tf.dispose([defendedLogits, classifierLogits]);
  assert.ok(norm > 1e-3, `gradient norm ${norm}`);
  assert.ok(diff < 1e-4 * norm, `|BPDA gradient - classifier gradient at G(z*)| = ${diff} (norm ${norm})`);
  assert.ok(logitDiff < 1e-4, `logits are the classifier's on G(z*) (max diff ${logitDiff})`);
  tf.dispose([through, xhat, direct]);
  assert.equal(tf.memory().numTensors, start, 'no tensor leaked');
});

test('offTape: a constant for tf.grad, and the tape is restored', () => {
  const v = tf.tensor2d([[1, 2, 3]]);
  const g = tf.grad((t: tf.Tensor) => tf.add(tf.sum(tf.square(offTape(() => tf.mul(t, 5)))), tf.sum(t)))(v);
  assert.deepEqual(Array.from(g.dataSync()), [1, 1, 1]);
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
  tf.dispose([v, g, k]);
});

test("EOT over a randomized projection: log-probabilities, batched, mean of the samples' gradients", async () => {
  const fresh = ganProjection(generator, classifier, { steps: 10, restarts: 1, seed: 3, fresh: true });
  const a = await fresh.logits(x);
  const b = await fresh.logits(x);
  assert.ok(
    tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]) > 0,
    'fresh restarts differ between calls',
  );
  const eot = expectationOverTransformation(fresh, 3);
  const logits = await eot.logits(x);
  assert.equal(logits.shape.join(), `${N},10`);
  const total = tf.tidy(() => tf.max(tf.abs(tf.logSumExp(logits, 1))).dataSync()[0]);
  assert.ok(total < 1e-4, `rows are log-probabilities (|logsumexp| ${total})`);
  const g = await lossGradient(eot, x, { labels, targeted: false });
  assert.ok(tf.tidy(() => tf.norm(g).dataSync()[0]) > 1e-3);
  // A deterministic model gives every sample the same gradient, so their mean is the model's own.
  const single = await lossGradient(classifier, x, { labels, targeted: false });
  const averaged = await lossGradient(expectationOverTransformation(classifier, 3), x, {
    labels,
    targeted: false,
  });
  const gap = tf.tidy(() => tf.max(tf.abs(tf.sub(single, averaged))).dataSync()[0]);
  assert.ok(gap < 1e-5, `mean of identical samples' gradients equals one (max diff ${gap})`);
  tf.dispose([a, b, logits, g, single, averaged]);
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
