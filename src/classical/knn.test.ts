/**
 * kNN (tfjs brute force) and the ensemble on real Fashion-MNIST: clean accuracy, neighbours equal to a
 * plain-JS brute-force search, vote fractions and tie-breaks, the `Model` view, no tensor leaks.
 */
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { initEngine } from '../engine/backend.js';
import { tf } from '../engine/tf.js';
import { loadFashionMnist, type ImageDataset } from '../data/datasets.js';
import { predictLabels } from '../models/model.js';
import { rowAccuracy } from './classifier.js';
import { trainDecisionTree } from './decision-tree.js';
import { Ensemble } from './ensemble.js';
import { trainKnn } from './knn.js';
import { trainLogisticRegression } from './logistic-regression.js';
import { sliceRows, subsample } from './rows.js';

const D = 784;
let train: ImageDataset;
let test_: ImageDataset;

before(async () => {
  await initEngine();
  train = subsample(loadFashionMnist('train'), 10000, 1);
  test_ = sliceRows(loadFashionMnist('test'), 0, 1000);
});

test('kNN: > 80% on Fashion-MNIST with 10000 training points; exact neighbours; Model view', async () => {
  const before = tf.memory().numTensors;
  const knn = trainKnn(train, { k: 5 });
  const acc = rowAccuracy(knn, test_.images, test_.labels);
  console.log(`knn k=5, 10000 train: accuracy ${acc.toFixed(4)}`);
  assert.ok(acc > 0.8, `accuracy ${acc}`);

  // The nearest neighbours of a few queries, by a plain JS scan (distances in float64).
  const queries = test_.images.subarray(0, 3 * D);
  const found = knn.neighbours(queries);
  for (let q = 0; q < 3; q++) {
    const dist = Array.from({ length: train.count }, (_, i) => {
      let s = 0;
      for (let f = 0; f < D; f++) {
        const diff = queries[q * D + f] - train.images[i * D + f];
        s += diff * diff;
      }
      return { i, s };
    }).sort((a, b) => a.s - b.s);
    const expected = new Set(dist.slice(0, 5).map((e) => e.i));
    const got = Array.from(found.subarray(q * 5, q * 5 + 5));
    // Allow float32 round-off only between (nearly) equidistant points.
    for (const i of got)
      assert.ok(
        expected.has(i) || Math.abs(dist.find((e) => e.i === i)!.s - dist[4].s) < 1e-3,
        `query ${q}: neighbour ${i}`,
      );
    assert.ok(dist.findIndex((e) => e.i === got[0]) <= 1, `query ${q}: nearest first`);
  }

  // Scores: vote fractions (+ tie-break bonus), argmax = prediction = argmax of the Model's logits.
  const scores = knn.scores(test_.images.subarray(0, 50 * D));
  for (let n = 0; n < 50; n++) {
    const row = scores.subarray(n * 10, n * 10 + 10);
    assert.ok(Math.abs(row.reduce((a, b) => a + b, 0) - 1) < 1e-5);
  }
  const x = tf.tensor4d(test_.images.subarray(0, 50 * D), [50, 28, 28, 1]);
  assert.deepEqual(await predictLabels(knn, x), Array.from(knn.predict(test_.images.subarray(0, 50 * D))));
  x.dispose();
  knn.dispose();
  assert.equal(tf.memory().numTensors, before, 'tensors leaked');
});

test('kNN: a seeded training subsample; k = 1 reproduces the training labels', () => {
  const a = trainKnn(train, { k: 1, maxTrain: 2000, seed: 4 });
  const b = trainKnn(train, { k: 1, maxTrain: 2000, seed: 4 });
  assert.equal(a.trainCount, 2000);
  assert.deepEqual(a.predict(test_.images), b.predict(test_.images));
  const small = sliceRows(train, 0, 300);
  const one = trainKnn(small, { k: 1 });
  assert.equal(rowAccuracy(one, small.images, small.labels), 1);
  assert.throws(() => trainKnn(small, { k: 301 }), /k = 301 exceeds the 300 training examples/);
  [a, b, one].forEach((m) => m.dispose());
});

test('ensemble: votes of LR, tree and kNN; averaged probabilities; differentiable only when all members are', () => {
  const before = tf.memory().numTensors;
  const lr = trainLogisticRegression(train, { epochs: 3 });
  const tree = trainDecisionTree(sliceRows(train, 0, 3000), { maxDepth: 12 });
  const knn = trainKnn(train, { k: 5, maxTrain: 5000 });
  const rows = test_.images.subarray(0, 500 * D);
  const labels = test_.labels.subarray(0, 500);
  const members = [lr, tree, knn];
  const vote = new Ensemble(members);
  const votes = members.map((m) => m.predict(rows));
  const predicted = vote.predict(rows);
  for (let n = 0; n < 500; n++) {
    const count = (c: number) => votes.filter((v) => v[n] === c).length;
    const top = Math.max(...votes.map((v) => count(v[n])));
    assert.equal(count(predicted[n]), top, `input ${n}: not a majority class`);
  }
  const accs = members.map((m) => rowAccuracy(m, rows, labels));
  const ensembleAcc = rowAccuracy(vote, rows, labels);
  console.log(`members ${accs.map((a) => a.toFixed(3)).join(', ')} -> vote ${ensembleAcc.toFixed(3)}`);
  assert.ok(ensembleAcc > Math.min(...accs));
  assert.equal(vote.differentiable, false);

  const average = new Ensemble(members, { mode: 'average' });
  const p = average.scores(rows.subarray(0, D));
  const expected = new Float32Array(10);
  for (const m of members) m.scores(rows.subarray(0, D)).forEach((s, c) => (expected[c] += s / 3));
  for (let c = 0; c < 10; c++) assert.ok(Math.abs(p[c] - expected[c]) < 1e-6);

  // All-linear average: differentiable, gradient flows to the input.
  const lr2 = trainLogisticRegression(train, { epochs: 1, seed: 2 });
  const smooth = new Ensemble([lr, lr2], { mode: 'average', ownsMembers: false });
  assert.equal(smooth.differentiable, true);
  const x = tf.tensor4d(rows.subarray(0, 4 * D), [4, 28, 28, 1]);
  const g = tf.grad((input: tf.Tensor) => tf.sum(smooth.forward(input as typeof x)))(x);
  assert.ok(tf.tidy(() => tf.max(tf.abs(g)).dataSync()[0]) > 0);
  const odd = trainKnn({ ...sliceRows(train, 0, 10), shape: [784, 1, 1] }, { k: 1 });
  assert.throws(() => new Ensemble([lr, odd]), /member 'knn' takes \[784,1,1\]/);
  tf.dispose([x, g]);
  [lr, lr2, knn, odd].forEach((m) => m.dispose());
  assert.equal(tf.memory().numTensors, before, 'tensors leaked');
});
