/**
 * models/fashion-mnist-torch: a CNN trained in PyTorch (scripts/train_torch_twin.py), shipped as ONNX and as
 * a TensorFlow.js twin with the same weights (transposed to Keras layouts, the first dense layer's rows
 * permuted from torch's CHW flatten order to Keras' HWC order). The twin, loaded like any user model,
 * must give torch's logits (golden values the script committed, test-logits.json), its recorded accuracy,
 * and the same input gradients as PyTorch differentiating model.onnx (scripts/torch_reference.py).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { tf } from '../engine/tf.js';
import { FASHION_MNIST_CLASSES, loadFashionMnist, type ImageDataset } from '../data/datasets.js';
import { embeddedModelsDir } from '../data/locations.js';
import { loadTfjsModel } from '../models/load.js';
import { crossEntropyLoss } from '../models/loss.js';
import { disposeLossGradient, predictLabels } from '../models/model.js';
import type { TfjsModel } from '../models/tfjs-model.js';
import { maxRelativeError } from './relative-error.js';
import { torchLogitsAndGradient } from './torch-reference.js';

const folder = join(embeddedModelsDir(), 'fashion-mnist-torch');

interface Golden {
  shape: [number, number];
  labels: number[];
  logits: number[][];
}

const golden = JSON.parse(readFileSync(join(folder, 'test-logits.json'), 'utf8')) as Golden;
const PIXELS = 28 * 28;

let model: TfjsModel;
let data: ImageDataset;
before(async () => {
  model = await loadTfjsModel(join(folder, 'tfjs', 'model.json'));
  data = loadFashionMnist('test', 1000);
});
after(() => model.dispose());

/** The first `n` test images, NHWC [n,28,28,1] (the same memory order as NCHW [n,1,28,28]). */
const images = (n: number) => data.images.subarray(0, n * PIXELS);

test('the twin loads as a Fashion-MNIST model: [28,28,1] in [0,1], 10 logits, the class names', () => {
  assert.equal(model.name, 'fashion-mnist-torch');
  assert.deepEqual(model.bounds, [0, 1]);
  assert.deepEqual(model.inputShape, [28, 28, 1]);
  assert.equal(model.numClasses, 10);
  assert.deepEqual(model.labels, FASHION_MNIST_CLASSES);
  const labelsTxt = readFileSync(join(folder, 'labels.txt'), 'utf8').trim().split('\n');
  assert.deepEqual(labelsTxt, FASHION_MNIST_CLASSES);
});

test("the twin's logits are torch's on the first 100 test images (max relative error <= 1e-4)", async () => {
  const [n, k] = golden.shape;
  assert.deepEqual(
    golden.labels,
    Array.from(data.labels.subarray(0, n)),
    'the golden file is for these images',
  );
  const start = tf.memory().numTensors;
  const x = tf.tensor4d(images(n), [n, 28, 28, 1]);
  const logits = await model.logits(x);
  const ours = logits.dataSync();
  tf.dispose([x, logits]);
  assert.equal(tf.memory().numTensors, start, 'no tensor leaked');
  const error = maxRelativeError(ours, golden.logits.flat());
  console.log(`  tfjs twin vs torch logits (${n} x ${k}): max relative error ${error.toExponential(2)}`);
  assert.equal(ours.length, n * k);
  assert.ok(error <= 1e-4, `max relative error ${error}`);
});

test('the twin classifies the first 1000 test images as TRAINING.md says, within 1 point', async () => {
  const training = readFileSync(join(folder, 'TRAINING.md'), 'utf8');
  const recorded = /test accuracy, first 1000 test images \| ([\d.]+) %/.exec(training);
  assert.ok(recorded !== null, 'TRAINING.md records the accuracy on the first 1000 test images');
  const x = tf.tensor4d(images(1000), [1000, 28, 28, 1]);
  const predicted = await predictLabels(model, x);
  x.dispose();
  const correct = predicted.filter((p, i) => p === data.labels[i]).length;
  console.log(`  accuracy on the first 1000 test images: ${correct / 10} % (TRAINING.md: ${recorded[1]} %)`);
  assert.ok(Math.abs(correct / 10 - Number(recorded[1])) <= 1, `${correct / 10} % vs ${recorded[1]} %`);
});

test('PyTorch on model.onnx: the golden logits, and the cross-entropy gradient of the tfjs twin', async () => {
  const n = 16;
  const labels = Array.from(data.labels.subarray(0, n));
  const torch = await torchLogitsAndGradient(join(folder, 'model.onnx'), images(n), [n, 1, 28, 28], labels);
  const logitsError = maxRelativeError(torch.logits, golden.logits.slice(0, n).flat());
  const start = tf.memory().numTensors;
  const x = tf.tensor4d(images(n), [n, 28, 28, 1]);
  const result = await model.lossGradient(x, crossEntropyLoss(labels, false));
  const gradient = result.gradient.dataSync();
  const loss = result.loss.dataSync();
  disposeLossGradient(result);
  x.dispose();
  assert.equal(tf.memory().numTensors, start, 'no tensor leaked');
  const gradientError = maxRelativeError(gradient, torch.gradient);
  const lossError = maxRelativeError(loss, torch.loss);
  console.log(
    `  model.onnx in torch vs golden logits: ${logitsError.toExponential(2)}; tfjs twin vs torch: ` +
      `gradient ${gradientError.toExponential(2)}, loss ${lossError.toExponential(2)} (max relative errors)`,
  );
  assert.ok(logitsError <= 1e-4, `logits: ${logitsError}`);
  assert.ok(gradientError <= 1e-4, `gradient: ${gradientError}`);
  assert.ok(lossError <= 1e-4, `loss: ${lossError}`);
  assert.ok(
    torch.gradient.some((g) => g !== 0),
    'the gradient is not all zeros',
  );
});
