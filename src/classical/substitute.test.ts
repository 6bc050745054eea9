/**
 * Papernot et al.'s black-box substitute on real Fashion-MNIST: an MLP trained only on a kNN oracle's
 * labels (with Jacobian-based augmentation) agrees with the oracle on held-out test images; the MLP is a
 * differentiable Model (gradients = finite differences), seeded and leak-free.
 */
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { initEngine } from '../engine/backend.js';
import { tf, type Tensor4D } from '../engine/tf.js';
import { loadFashionMnist, type ImageDataset } from '../data/datasets.js';
import { trainKnn } from './knn.js';
import { trainMlp } from './mlp.js';
import { sliceRows, subsample } from './rows.js';
import { jacobianSigns, trainSubstitute } from './substitute.js';

const D = 784;
let train: ImageDataset;
let fashionTest: ImageDataset;

before(async () => {
  await initEngine();
  train = subsample(loadFashionMnist('train'), 10000, 1);
  fashionTest = loadFashionMnist('test');
});

test('substitute: trained on kNN labels of 300 points + 2 Jacobian rounds, agrees with the oracle on > 70% of held-out images', () => {
  const before = tf.memory().numTensors;
  const oracle = trainKnn(train, { k: 5 });
  const seedSet = sliceRows(fashionTest, 5000, 300);
  const holdout = sliceRows(fashionTest, 6000, 1000).images;
  const { model, history, queries } = trainSubstitute(oracle, seedSet, {
    rounds: 3,
    epochs: 10,
    lambda: 0.1,
    seed: 1,
    holdout,
  });
  console.log(`substitute history: ${JSON.stringify(history)}; oracle queries ${queries}`);
  assert.deepEqual(
    history.map((h) => h.size),
    [300, 600, 1200],
  );
  assert.equal(queries, 1200);
  const final = history[history.length - 1].agreement ?? 0;
  assert.ok(final > 0.7, `agreement ${final}`);
  assert.equal(model.differentiable, true);

  // The augmentation direction raises the substitute's logit for the oracle label (first order).
  const rows = seedSet.images.subarray(0, 100 * D);
  const labels = oracle.predict(rows);
  const signs = jacobianSigns(model, rows, labels);
  assert.ok(signs.every((s) => s === -1 || s === 0 || s === 1));
  const stepped = rows.map((v, i) => Math.min(1, Math.max(0, v + 0.01 * signs[i])));
  const logitOf = (r: Float32Array) => {
    const l = model.rawLogits(r);
    return Array.from(labels, (y, n) => l[n * 10 + y]);
  };
  const [l0, l1] = [logitOf(rows), logitOf(stepped)];
  const raised = l0.filter((v, n) => l1[n] > v).length;
  assert.ok(raised >= 95, `logit raised on ${raised}/100`);

  model.dispose();
  oracle.dispose();
  assert.equal(tf.memory().numTensors, before, 'tensors leaked');
});

test('mlp: input gradients equal finite differences; same seed gives the same network', () => {
  const small = sliceRows(train, 0, 500);
  const a = trainMlp(small, { hidden: [32], epochs: 2, seed: 5 });
  const b = trainMlp(small, { hidden: [32], epochs: 2, seed: 5 });
  const c = trainMlp(small, { hidden: [32], epochs: 2, seed: 6 });
  assert.deepEqual(a.rawLogits(small.images), b.rawLogits(small.images));
  assert.notDeepEqual(a.rawLogits(small.images), c.rawLogits(small.images));

  const x = tf.tensor4d(fashionTest.images.subarray(0, 4 * D), [4, 28, 28, 1]);
  const w = tf.randomUniform([4, 10], -1, 1, 'float32', 3);
  const f = (input: tf.Tensor) => tf.sum(tf.mul(a.forward(input as Tensor4D), w));
  const grad = tf.grad(f)(x);
  const g = grad.dataSync();
  const base = x.dataSync();
  const h = 1e-3;
  for (const i of [100, 406, 784 + 350, 3 * 784 + 500]) {
    const plus = Float32Array.from(base);
    const minus = Float32Array.from(base);
    plus[i] += h;
    minus[i] -= h;
    const [fp, fm] = [plus, minus].map((v) => tf.tidy(() => f(tf.tensor4d(v, [4, 28, 28, 1])).dataSync()[0]));
    const numeric = (fp - fm) / (2 * h);
    assert.ok(
      Math.abs(numeric - g[i]) <= 0.02 + 0.02 * Math.abs(numeric),
      `pixel ${i}: tf.grad ${g[i]} vs finite difference ${numeric}`,
    );
  }
  tf.dispose([x, w, grad]);
  [a, b, c].forEach((m) => m.dispose());
});

test('substitute: clear errors', () => {
  const oracle = trainKnn(sliceRows(train, 0, 100), { k: 1 });
  const digitsLike = {
    images: new Float32Array(64 * 3),
    count: 3,
    shape: [8, 8, 1] as [number, number, number],
    classNames: fashionTest.classNames,
  };
  assert.throws(
    () => trainSubstitute(oracle, digitsLike),
    /seed set has 64 features per row, the oracle takes 784/,
  );
  assert.throws(
    () => trainSubstitute(oracle, sliceRows(fashionTest, 0, 5), { rounds: 0 }),
    /rounds must be a positive integer/,
  );
  oracle.dispose();
});
