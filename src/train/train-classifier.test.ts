import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { initEngine, useBackend } from '../engine/backend.js';
import { tf, type Tensor4D } from '../engine/tf.js';
import { loadFashionMnist, type ImageDataset } from '../data/datasets.js';
import { fashionMnistCnn } from './architectures.js';
import {
  evaluateAccuracy,
  gatherImages,
  meanCrossEntropy,
  trainClassifier,
  weightGradients,
} from './train-classifier.js';

let train: ImageDataset;
let test512: ImageDataset;

before(async () => {
  await initEngine();
  train = loadFashionMnist('train', 512);
  test512 = loadFashionMnist('test', 512);
});

function datasetLoss(model: tf.LayersModel, data: ImageDataset): number {
  return tf.tidy(() => {
    const x = tf.tensor4d(data.images, [data.count, ...data.shape]);
    const y = tf.tensor1d(Int32Array.from(data.labels), 'int32');
    return meanCrossEntropy(model.predict(x) as tf.Tensor2D, y).dataSync()[0];
  });
}

test('a few training steps on 512 Fashion-MNIST images lower the loss, without leaking tensors', async () => {
  assert.equal(tf.getBackend(), 'wasm');
  const model = fashionMnistCnn(3);
  const lossBefore = datasetLoss(model, train);
  const start = tf.memory().numTensors;
  const counts: number[] = [];
  const progress: number[] = [];
  const epochs: number[] = [];
  const result = await trainClassifier(
    model,
    { train, test: test512 },
    {
      epochs: 2,
      batchSize: 64,
      learningRate: 0.002,
      seed: 1,
      onProgress: (p) => {
        counts.push(tf.memory().numTensors);
        progress.push(p.loss);
        assert.equal(p.batches, 8);
      },
      onEpochEnd: (e) => {
        epochs.push(e.epoch);
      },
    },
  );
  assert.equal(counts.length, 16);
  // Adam makes its moment variables in the first step; after that the count must not move.
  assert.ok(
    counts.slice(1).every((c) => c === counts[1]),
    `tensor count over steps: ${counts.join(',')}`,
  );
  assert.equal(tf.memory().numTensors, start, 'the optimizer and every batch are disposed at the end');
  assert.deepEqual(epochs, [1, 2]);
  const lossAfter = datasetLoss(model, train);
  assert.ok(lossAfter < 0.7 * lossBefore, `loss ${lossBefore} -> ${lossAfter}`);
  assert.ok(result.history[1].loss < result.history[0].loss);
  assert.ok(result.testAccuracy > 0.5, `test accuracy after 16 steps: ${result.testAccuracy}`);
  assert.equal(result.testAccuracy, evaluateAccuracy(model, test512, 100));
  model.dispose();
});

test('the same seed gives the same training run', async () => {
  const small = {
    ...train,
    count: 128,
    images: train.images.subarray(0, 128 * 784),
    labels: train.labels.subarray(0, 128),
  };
  const run = async () => {
    const model = fashionMnistCnn(5);
    await trainClassifier(
      model,
      { train: small, test: test512 },
      { epochs: 1, batchSize: 32, learningRate: 0.001, seed: 9 },
    );
    const w = model.getWeights()[0].dataSync().slice();
    model.dispose();
    return w;
  };
  assert.deepEqual(await run(), await run());
});

test('makeBatch replaces the inputs trained on, and its tensors are disposed', async () => {
  const model = fashionMnistCnn(4);
  const small = {
    ...train,
    count: 96,
    images: train.images.subarray(0, 96 * 784),
    labels: train.labels.subarray(0, 96),
  };
  const seen: number[][] = [];
  const counts: number[] = [];
  await trainClassifier(
    model,
    { train: small, test: test512 },
    {
      epochs: 2,
      batchSize: 32,
      learningRate: 0.001,
      seed: 2,
      makeBatch: (x, labels, m) => {
        assert.equal(m, model);
        seen.push([x.shape[0], labels.shape[0]]);
        return tf.tidy(() => tf.clipByValue(tf.add(x, 0.1), 0, 1) as Tensor4D);
      },
      onProgress: (p) => {
        counts.push(tf.memory().numTensors);
        assert.ok(p.trainAccuracy !== undefined && p.trainAccuracy >= 0 && p.trainAccuracy <= 1);
      },
    },
  );
  assert.deepEqual(seen, Array(6).fill([32, 32]));
  assert.ok(
    counts.slice(1).every((c) => c === counts[1]),
    counts.join(','),
  );
  model.dispose();
});

test('bad options and data are refused with a clear message', async () => {
  const model = fashionMnistCnn(1);
  const data = { train, test: test512 };
  const base = { epochs: 1, batchSize: 32, learningRate: 0.001, seed: 1 };
  await assert.rejects(
    trainClassifier(model, data, { ...base, epochs: 0 }),
    /epochs must be a positive integer/,
  );
  await assert.rejects(trainClassifier(model, data, { ...base, batchSize: 2.5 }), /batchSize/);
  await assert.rejects(trainClassifier(model, data, { ...base, learningRate: -1 }), /learningRate/);
  const wrongShape = { ...train, shape: [14, 56, 1] as [number, number, number] };
  await assert.rejects(
    trainClassifier(model, { train: wrongShape, test: test512 }, base),
    /14x56x1 but the model takes 28x28x1/,
  );
  const badLabels = { ...test512, labels: Uint8Array.from(test512.labels, (l, i) => (i === 3 ? 12 : l)) };
  await assert.rejects(trainClassifier(model, { train, test: badLabels }, base), /label 12 at 3/);
  model.dispose();
});

test('weight gradients on wasm equal the cpu backend for one batch of 32', async () => {
  const indices = Array.from({ length: 32 }, (_, i) => i);
  const gradientsOn = async (backend: 'cpu' | 'wasm') => {
    await useBackend(backend);
    const model = fashionMnistCnn(11);
    const x = gatherImages(train, indices);
    const y = tf.tensor1d(
      Int32Array.from(indices, (i) => train.labels[i]),
      'int32',
    );
    const { loss, grads } = weightGradients(model, x, y);
    const out = {
      loss: loss.dataSync()[0],
      grads: Object.fromEntries(Object.entries(grads).map(([k, g]) => [k, g.dataSync().slice()])),
    };
    tf.dispose([x, y, loss, ...Object.values(grads)]);
    model.dispose();
    return out;
  };
  try {
    const cpu = await gradientsOn('cpu');
    const wasm = await gradientsOn('wasm');
    assert.deepEqual(Object.keys(wasm.grads).sort(), Object.keys(cpu.grads).sort());
    assert.equal(Object.keys(wasm.grads).length, 8);
    assert.ok(Math.abs(wasm.loss - cpu.loss) < 1e-5, `loss ${wasm.loss} vs ${cpu.loss}`);
    for (const name of Object.keys(cpu.grads)) {
      const a = wasm.grads[name];
      const b = cpu.grads[name];
      let maxDiff = 0;
      let maxAbs = 0;
      for (let i = 0; i < a.length; i++) {
        maxDiff = Math.max(maxDiff, Math.abs(a[i] - b[i]));
        maxAbs = Math.max(maxAbs, Math.abs(b[i]));
      }
      assert.ok(maxAbs > 0, `${name}: zero gradient`);
      assert.ok(maxDiff <= 1e-4 * maxAbs + 1e-7, `${name}: max abs diff ${maxDiff} (max |grad| ${maxAbs})`);
    }
  } finally {
    await useBackend('wasm');
  }
});
