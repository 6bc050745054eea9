import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { join } from 'node:path';
import { initEngine } from '../engine/backend.js';
import { tf, type Tensor1D, type Tensor4D } from '../engine/tf.js';
import { loadFashionMnist, type ImageDataset } from '../data/datasets.js';
import { embeddedModelsDir } from '../data/locations.js';
import { loadNetwork } from '../models/model-files.js';
import { fashionMnistCnn } from '../train/architectures.js';
import { gatherImages, trainStep } from '../train/train-classifier.js';
import {
  adversarialTraining,
  asAttackModel,
  linfAdversarialExamples,
  meanLoss,
  resolveAdversarialTraining,
} from './adversarial-training.js';

let train: ImageDataset;
const range = (a: number, b: number) => Array.from({ length: b - a }, (_, i) => a + i);

before(async () => {
  await initEngine();
  train = loadFashionMnist('train', 1024);
});

async function naturalNet(): Promise<tf.LayersModel> {
  const { net } = await loadNetwork(join(embeddedModelsDir(), 'fashion-mnist-cnn'));
  return net as tf.LayersModel;
}

async function pgdLoss(net: tf.LayersModel, x: Tensor4D, labels: number[]): Promise<number> {
  const model = asAttackModel(net);
  const adv = await linfAdversarialExamples(model, x, labels, {
    eps: 0.1,
    steps: 10,
    stepSize: 0.025,
    seed: 99,
  });
  const loss = await meanLoss(model, adv, labels);
  adv.dispose();
  return loss;
}

test('a few steps of PGD adversarial training lower the adversarial loss of the natural model (natural steps do not)', async () => {
  const heldX = gatherImages(train, range(768, 1024));
  const heldY = Array.from(train.labels.slice(768, 1024));
  const results: Record<string, { before: number; after: number }> = {};
  for (const mode of ['adversarial', 'natural'] as const) {
    const net = await naturalNet();
    const lossBefore = await pgdLoss(net, heldX, heldY);
    const optimizer = tf.train.adam(1e-3);
    const makeBatch = adversarialTraining({ method: 'pgd', eps: 0.1, steps: 5, stepSize: 0.03, seed: 1 });
    const counts: number[] = [];
    for (let step = 0; step < 12; step++) {
      const indices = range(step * 64, (step + 1) * 64).map((i) => i % 768);
      const x = gatherImages(train, indices);
      const y = tf.tensor1d(
        indices.map((i) => train.labels[i]),
        'int32',
      ) as Tensor1D;
      const inputs = mode === 'adversarial' ? await makeBatch(x, y, net) : x;
      trainStep(net, optimizer, inputs, y);
      tf.dispose([x, y, inputs]);
      counts.push(tf.memory().numTensors);
    }
    // Adam makes its moments in the first step; after that nothing may accumulate.
    assert.ok(
      counts.slice(1).every((c) => c === counts[1]),
      `tensor counts over steps: ${counts.join(',')}`,
    );
    results[mode] = { before: lossBefore, after: await pgdLoss(net, heldX, heldY) };
    optimizer.dispose();
    net.dispose();
  }
  heldX.dispose();
  const { adversarial, natural } = results;
  assert.ok(
    adversarial.after < 0.7 * adversarial.before,
    `adversarial training: PGD loss ${adversarial.before} -> ${adversarial.after}`,
  );
  assert.ok(
    adversarial.after < natural.after,
    `after adversarial steps ${adversarial.after} vs after natural steps ${natural.after}`,
  );
});

test('adversarial batches stay in the eps ball and the bounds, repeat with the seed, keep the clean share clean', async () => {
  const net = fashionMnistCnn(5);
  const x = gatherImages(train, range(0, 32));
  const y = tf.tensor1d(Array.from(train.labels.slice(0, 32)), 'int32') as Tensor1D;
  const start = tf.memory().numTensors;
  const a = await adversarialTraining({ method: 'pgd', eps: 0.1, steps: 3, seed: 4 })(x, y, net);
  const b = await adversarialTraining({ method: 'pgd', eps: 0.1, steps: 3, seed: 4 })(x, y, net);
  const c = await adversarialTraining({ method: 'fgsm', eps: 0.1, seed: 4, cleanFraction: 0.25 })(x, y, net);
  const stats = tf.tidy(() => ({
    linf: tf.max(tf.abs(tf.sub(a, x))).dataSync()[0],
    lo: tf.min(a).dataSync()[0],
    hi: tf.max(a).dataSync()[0],
    same: tf.max(tf.abs(tf.sub(a, b))).dataSync()[0],
    cleanPart: tf.max(tf.abs(tf.sub(tf.slice(c, 0, 8), tf.slice(x, 0, 8)))).dataSync()[0],
    advPart: tf.max(tf.abs(tf.sub(tf.slice(c, 8, 24), tf.slice(x, 8, 24)))).dataSync()[0],
  }));
  assert.ok(stats.linf <= 0.1 + 1e-6 && stats.linf > 0.05, `linf ${stats.linf}`);
  assert.ok(stats.lo >= 0 && stats.hi <= 1, `range [${stats.lo}, ${stats.hi}]`);
  assert.equal(stats.same, 0, 'same seed, same batch');
  assert.equal(stats.cleanPart, 0, 'the first quarter stays clean');
  assert.ok(stats.advPart > 0.05, 'the rest is perturbed');
  tf.dispose([a, b, c]);
  assert.equal(tf.memory().numTensors, start, 'no tensor leaked');
  tf.dispose([x, y]);
  net.dispose();
});

test('recipes: defaults and clear errors', () => {
  assert.deepEqual(resolveAdversarialTraining({ method: 'pgd' }), {
    method: 'pgd',
    eps: 0.1,
    steps: 8,
    stepSize: 0.02,
    cleanFraction: 0,
    seed: 0,
    bounds: [0, 1],
  });
  const fgsm = resolveAdversarialTraining({ method: 'fgsm', eps: 0.2 });
  assert.equal(fgsm.steps, 1);
  assert.ok(Math.abs(fgsm.stepSize - 0.25) < 1e-12);
  assert.throws(() => resolveAdversarialTraining({ method: 'cw' as 'pgd' }), /unknown method 'cw'/);
  assert.throws(
    () => resolveAdversarialTraining({ method: 'pgd', eps: -1 }),
    /eps must be a positive number/,
  );
  assert.throws(
    () => resolveAdversarialTraining({ method: 'pgd', steps: 0 }),
    /steps must be an integer >= 1/,
  );
  assert.throws(
    () => resolveAdversarialTraining({ method: 'fgsm', steps: 3 }),
    /fgsm takes exactly one step/,
  );
  assert.throws(
    () => resolveAdversarialTraining({ method: 'pgd', cleanFraction: 1 }),
    /cleanFraction must be in \[0, 1\)/,
  );
});
