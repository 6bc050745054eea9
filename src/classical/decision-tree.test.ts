/**
 * The CART decision tree on real data: clean accuracy (MNIST, Fashion-MNIST, 8x8 digits), a consistent
 * structure, the `Model` view, JSON round trip, determinism.
 */
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { initEngine } from '../engine/backend.js';
import { tf } from '../engine/tf.js';
import { loadFashionMnist, loadMnistTest, type ImageDataset } from '../data/datasets.js';
import { predictLabels } from '../models/model.js';
import { rowAccuracy } from './classifier.js';
import { DecisionTree, trainDecisionTree } from './decision-tree.js';
import { loadDigits } from './digits.js';
import { sliceRows, subsample } from './rows.js';

let fashionTrain: ImageDataset;
let fashionTest: ImageDataset;

before(async () => {
  await initEngine();
  fashionTrain = subsample(loadFashionMnist('train'), 4000, 1);
  fashionTest = sliceRows(loadFashionMnist('test'), 0, 2000);
});

test('MNIST: a depth-14 tree on 8000 test-set images beats 80% on the other 2000', async () => {
  const mnist = loadMnistTest();
  const train = sliceRows(mnist, 0, 8000);
  const test_ = sliceRows(mnist, 8000, 2000);
  const tree = trainDecisionTree(train, { maxDepth: 14 });
  const acc = rowAccuracy(tree, test_.images, test_.labels);
  console.log(
    `mnist tree: ${tree.nodeCount} nodes, ${tree.leafCount} leaves, depth ${tree.maxDepth}, accuracy ${acc.toFixed(4)}`,
  );
  assert.ok(acc > 0.8, `accuracy ${acc}`);
  assert.ok(tree.maxDepth <= 14);
});

test('Fashion-MNIST: a depth-12 tree on 4000 images beats 70% (single trees top out near 79% even on all 60k)', async () => {
  const tree = trainDecisionTree(fashionTrain, { maxDepth: 12 });
  const acc = rowAccuracy(tree, fashionTest.images, fashionTest.labels);
  const trainAcc = rowAccuracy(tree, fashionTrain.images, fashionTrain.labels);
  console.log(
    `fashion tree: ${tree.leafCount} leaves, test accuracy ${acc.toFixed(4)}, train accuracy ${trainAcc.toFixed(4)}`,
  );
  assert.ok(acc > 0.7, `accuracy ${acc}`);
  assert.ok(trainAcc > 0.95, `train accuracy ${trainAcc}`);

  // Structure: children counts add up to the parent's, leaves predict their majority class.
  const { feature, threshold, left, right, classCounts, nodeClass } = tree.tree;
  const k = tree.numClasses;
  const total = (node: number) => classCounts.subarray(node * k, (node + 1) * k).reduce((a, b) => a + b, 0);
  assert.equal(total(0), fashionTrain.count);
  for (let i = 0; i < tree.nodeCount; i++) {
    if (feature[i] < 0) continue;
    assert.ok(threshold[i] >= 0 && threshold[i] <= 1);
    for (let c = 0; c < k; c++)
      assert.equal(classCounts[left[i] * k + c] + classCounts[right[i] * k + c], classCounts[i * k + c]);
  }
  // decisionPath follows the thresholds and ends at the leaf that predicts.
  const row = fashionTest.images.subarray(0, 784);
  const path = tree.decisionPath(row);
  for (let j = 0; j + 1 < path.length; j++) {
    const node = path[j];
    assert.equal(path[j + 1], row[feature[node]] <= threshold[node] ? left[node] : right[node]);
  }
  assert.equal(tree.predict(row)[0], nodeClass[path[path.length - 1]]);

  // The Model view: argmax of logits is the prediction, softmax of logits gives back the leaf distribution.
  const x = tf.tensor4d(fashionTest.images.subarray(0, 100 * 784), [100, 28, 28, 1]);
  assert.deepEqual(
    await predictLabels(tree, x),
    Array.from(tree.predict(fashionTest.images.subarray(0, 100 * 784))),
  );
  const probs = tf.tidy(() => tf.softmax(tree.forward(x)).dataSync());
  const scores = tree.scores(fashionTest.images.subarray(0, 100 * 784));
  for (let i = 0; i < scores.length; i++) assert.ok(Math.abs(probs[i] - scores[i]) < 1e-5);
  assert.equal(tree.differentiable, false);
  x.dispose();

  // JSON round trip.
  const copy = DecisionTree.fromJSON(JSON.parse(JSON.stringify(tree.toJSON())));
  assert.deepEqual(copy.predict(fashionTest.images), tree.predict(fashionTest.images));
});

test('8x8 digits: > 80% on a shuffled split; same data and options give the same tree', () => {
  const digits = subsample(loadDigits(), 1797, 5);
  const train = sliceRows(digits, 0, 1300);
  const test_ = sliceRows(digits, 1300, 497);
  const a = trainDecisionTree(train, { maxDepth: 12 });
  const acc = rowAccuracy(a, test_.images, test_.labels);
  console.log(`digits tree: ${a.leafCount} leaves, accuracy ${acc.toFixed(4)}`);
  assert.ok(acc > 0.8, `accuracy ${acc}`);
  const b = trainDecisionTree(train, { maxDepth: 12 });
  assert.deepEqual(b.toJSON(), a.toJSON());
  // Random feature subsets follow the seed.
  const c1 = trainDecisionTree(train, { maxDepth: 8, maxFeatures: 16, seed: 1 });
  const c2 = trainDecisionTree(train, { maxDepth: 8, maxFeatures: 16, seed: 1 });
  const c3 = trainDecisionTree(train, { maxDepth: 8, maxFeatures: 16, seed: 2 });
  assert.deepEqual(c1.toJSON(), c2.toJSON());
  assert.notDeepEqual(c1.toJSON(), c3.toJSON());
});

test('decision tree: clear errors for bad options and inputs', () => {
  const small = sliceRows(fashionTrain, 0, 50);
  assert.throws(() => trainDecisionTree(small, { maxDepth: -1 }), /maxDepth must be an integer >= 0/);
  assert.throws(
    () => trainDecisionTree(small, { minSamplesLeaf: 0 }),
    /minSamplesLeaf must be an integer >= 1/,
  );
  const tree = trainDecisionTree(small, { maxDepth: 3 });
  assert.throws(() => tree.predict(new Float32Array(10)), /not whole rows of 784 features/);
  assert.throws(() => DecisionTree.fromJSON({ kind: 'knn' } as never), /not a decision tree JSON/);
});
