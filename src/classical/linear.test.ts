/**
 * Logistic regression and the one-vs-rest linear SVM on real Fashion-MNIST: clean accuracy, `Model`
 * compatibility, input gradients against finite differences, seeded determinism, no tensor leaks.
 */
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { initEngine } from '../engine/backend.js';
import { tf, type Tensor4D } from '../engine/tf.js';
import { loadFashionMnist, type ImageDataset } from '../data/datasets.js';
import { predictLabels } from '../models/model.js';
import { rowAccuracy } from './classifier.js';
import type { LinearClassifier } from './linear-model.js';
import { trainLinearSvm } from './linear-svm.js';
import { trainLogisticRegression } from './logistic-regression.js';
import { sliceRows, subsample } from './rows.js';

let train: ImageDataset;
let test_: ImageDataset;

before(async () => {
  await initEngine();
  train = subsample(loadFashionMnist('train'), 10000, 1);
  test_ = sliceRows(loadFashionMnist('test'), 0, 2000);
});

const trainers = {
  'logistic-regression': (data: ImageDataset, seed = 0) => trainLogisticRegression(data, { epochs: 5, seed }),
  'linear-svm': (data: ImageDataset, seed = 0) => trainLinearSvm(data, { epochs: 5, seed }),
};

/** d/dx of sum(logits * w) by tf.grad and by central differences at a few pixels of a batch of 4. */
function checkGradient(model: LinearClassifier, x: Tensor4D): void {
  const w = tf.randomUniform([x.shape[0], model.numClasses], -1, 1, 'float32', 7);
  const f = (input: tf.Tensor) => tf.sum(tf.mul(model.forward(input as Tensor4D), w));
  const grad = tf.grad(f)(x);
  const g = grad.dataSync();
  const base = x.dataSync();
  const h = 0.05;
  for (const i of [5, 400, 784 + 300, 3 * 784 + 600]) {
    const plus = Float32Array.from(base);
    const minus = Float32Array.from(base);
    plus[i] += h;
    minus[i] -= h;
    const [fp, fm] = [plus, minus].map((v) => tf.tidy(() => f(tf.tensor4d(v, x.shape)).dataSync()[0]));
    const numeric = (fp - fm) / (2 * h);
    assert.ok(
      Math.abs(numeric - g[i]) <= 1e-3 + 1e-3 * Math.abs(numeric),
      `pixel ${i}: tf.grad ${g[i]} vs finite difference ${numeric}`,
    );
  }
  tf.dispose([w, grad]);
}

for (const [kind, trainModel] of Object.entries(trainers)) {
  test(`${kind}: > 80% clean accuracy on Fashion-MNIST, a differentiable Model, exact input gradients`, async () => {
    const before = tf.memory().numTensors;
    const model = trainModel(train);
    assert.equal(model.kind, kind);
    assert.equal(model.differentiable, true);
    assert.deepEqual([...model.inputShape], [28, 28, 1]);
    assert.equal(model.numClasses, 10);
    const acc = rowAccuracy(model, test_.images, test_.labels);
    console.log(`${kind}: test accuracy ${acc.toFixed(4)} (train 10000, test 2000)`);
    assert.ok(acc > 0.8, `${kind} accuracy ${acc}`);

    // Model path (4D tensors) and plain-array path agree.
    const x = tf.tensor4d(test_.images.subarray(0, 200 * 784), [200, 28, 28, 1]);
    assert.deepEqual(
      await predictLabels(model, x),
      Array.from(model.predict(test_.images.subarray(0, 200 * 784))),
    );
    const probs = model.scores(test_.images.subarray(0, 784));
    assert.ok(Math.abs(probs.reduce((a, b) => a + b, 0) - 1) < 1e-5);

    const batch = tf.tensor4d(test_.images.subarray(0, 4 * 784), [4, 28, 28, 1]);
    checkGradient(model, batch);
    const wrong = tf.zeros([1, 8, 8, 1]) as Tensor4D;
    assert.throws(() => model.forward(wrong), /expected inputs of shape \[N,28,28,1\]/);
    assert.throws(() => model.predict(new Float32Array(100)), /not whole rows of 784 features/);
    tf.dispose([x, batch, wrong]);
    model.dispose();
    assert.equal(tf.memory().numTensors, before, 'tensors leaked');
  });

  test(`${kind}: the same seed gives the same model, another seed another`, () => {
    const small = sliceRows(train, 0, 1000);
    const [a, b, c] = [trainModel(small, 3), trainModel(small, 3), trainModel(small, 4)];
    const [pa, pb, pc] = [a, b, c].map((m) => m.parameters());
    assert.deepEqual(pa.weights, pb.weights);
    assert.deepEqual(pa.bias, pb.bias);
    assert.notDeepEqual(pa.weights, pc.weights);
    [a, b, c].forEach((m) => m.dispose());
  });
}

test('linear models reject bad training data and options with clear errors', () => {
  const bad = { ...sliceRows(train, 0, 10), labels: new Uint8Array(10).fill(12) };
  assert.throws(() => trainLogisticRegression(bad), /label 12 of example 0 is outside 0..9/);
  assert.throws(
    () => trainLinearSvm(sliceRows(train, 0, 10), { learningRate: -1 }),
    /learningRate must be positive/,
  );
  assert.throws(() => trainLinearSvm(sliceRows(train, 0, 10), { loss: 'log' as 'hinge' }), /loss must be/);
});
