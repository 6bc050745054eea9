import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { join } from 'node:path';
import { initEngine } from '../engine/backend.js';
import { tf, type Tensor2D, type Tensor4D } from '../engine/tf.js';
import { loadFashionMnist, type ImageDataset } from '../data/datasets.js';
import { embeddedModelsDir } from '../data/locations.js';
import { loadNetwork } from '../models/model-files.js';
import { gatherImages } from '../train/train-classifier.js';
import { meanKl, trainVat, vatLoss, virtualAdversarialPerturbation } from './vat.js';

let train: ImageDataset;
let test200: ImageDataset;
const range = (a: number, b: number) => Array.from({ length: b - a }, (_, i) => a + i);

before(async () => {
  await initEngine();
  train = loadFashionMnist('train', 2048);
  test200 = loadFashionMnist('test', 200);
});

async function naturalNet(): Promise<tf.LayersModel> {
  const { net } = await loadNetwork(join(embeddedModelsDir(), 'fashion-mnist-cnn'));
  return net as tf.LayersModel;
}

const forwardOf = (net: tf.LayersModel) => (x: Tensor4D) => net.apply(x, { training: false }) as Tensor2D;

function subset(data: ImageDataset, from: number, to: number, name: string): ImageDataset {
  const size = data.shape[0] * data.shape[1] * data.shape[2];
  return {
    ...data,
    name,
    images: data.images.slice(from * size, to * size),
    labels: data.labels.slice(from, to),
    count: to - from,
  };
}

test('the virtual adversarial direction changes the prediction more than a random one of the same L2 norm', async () => {
  const net = await naturalNet();
  const forward = forwardOf(net);
  const x = gatherImages(train, range(0, 64));
  const start = tf.memory().numTensors;
  const r = virtualAdversarialPerturbation(forward, x, { eps: 1.5, seed: 3 });
  const [norm, kAdv, kRandom, lds, zero] = tf.tidy(() => {
    const logP = tf.logSoftmax(forward(x)) as Tensor2D;
    const random = tf.randomNormal(x.shape, 0, 1, 'float32', 5);
    const unit = tf.div(random, tf.reshape(tf.norm(tf.reshape(random, [64, -1]), 2, 1), [64, 1, 1, 1]));
    return [
      tf.max(tf.norm(tf.reshape(r, [64, -1]), 2, 1)).dataSync()[0],
      meanKl(logP, forward(tf.add(x, r) as Tensor4D)).dataSync()[0],
      meanKl(logP, forward(tf.add(x, tf.mul(unit, 1.5)) as Tensor4D)).dataSync()[0],
      vatLoss(forward, x, { eps: 1.5, seed: 3 }).dataSync()[0],
      vatLoss(forward, x, { eps: 0, seed: 3 }).dataSync()[0],
    ];
  });
  r.dispose();
  assert.equal(tf.memory().numTensors, start, 'no tensor leaked');
  assert.ok(Math.abs(norm - 1.5) < 1e-3, `|r|_2 = ${norm}`);
  assert.ok(kAdv > 3 * kRandom, `KL along r_vadv ${kAdv} vs along a random direction ${kRandom}`);
  assert.ok(Math.abs(lds - kAdv) < 1e-4 * Math.max(1, kAdv), `vatLoss ${lds} is the KL along r_vadv ${kAdv}`);
  assert.ok(Math.abs(zero) < 1e-6, `LDS at eps 0: ${zero}`);
  x.dispose();
  net.dispose();
});

test('VAT training on 100 labels + unlabelled images runs and lowers the LDS term', async () => {
  const net = await naturalNet();
  const unlabeled = subset(train, 1024, 2048, 'unlabeled');
  const probe = gatherImages(unlabeled, range(0, 256));
  const ldsOf = () => tf.tidy(() => vatLoss(forwardOf(net), probe, { eps: 2, seed: 11 }).dataSync()[0]);
  const before = ldsOf();
  const start = tf.memory().numTensors;
  const history = await trainVat(
    net,
    { labeled: subset(train, 0, 100, 'labeled'), unlabeled, test: test200 },
    { epochs: 2, stepsPerEpoch: 6, alpha: 3, eps: 2, learningRate: 5e-4, seed: 1 },
  );
  assert.equal(tf.memory().numTensors, start, 'the optimizer and every batch are disposed');
  const after = ldsOf();
  assert.equal(history.length, 2);
  for (const e of history) {
    assert.ok(Number.isFinite(e.crossEntropy) && e.crossEntropy >= 0, `CE ${e.crossEntropy}`);
    assert.ok(Number.isFinite(e.lds) && e.lds >= 0, `LDS ${e.lds}`);
    assert.ok(e.testAccuracy > 0.7, `test accuracy ${e.testAccuracy}`);
  }
  assert.ok(after < 0.8 * before, `LDS on held unlabelled images: ${before} -> ${after}`);
  probe.dispose();
  net.dispose();
});

test('trainVat: clear errors', async () => {
  const net = await naturalNet();
  const data = { labeled: subset(train, 0, 10, 'l'), unlabeled: subset(train, 10, 20, 'u'), test: test200 };
  await assert.rejects(trainVat(net, data, { epochs: 0 }), /epochs must be a positive integer/);
  await assert.rejects(trainVat(net, data, { epochs: 1, eps: -1 }), /eps must be a number >= 0/);
  await assert.rejects(
    trainVat(net, data, { epochs: 1, powerIterations: 0 }),
    /powerIterations must be an integer >= 1/,
  );
  net.dispose();
});
