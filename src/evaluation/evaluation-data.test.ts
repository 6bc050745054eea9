/** Data sets by name: offsets, bounds, and clear errors for data a model cannot take. */
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { loadFashionMnist } from '../data/datasets.js';
import { initEngine } from '../engine/backend.js';
import { tf, type Tensor2D } from '../engine/tf.js';
import { functionModel } from '../models/forward-model.js';
import { checkDataFitsModel, dataDigest, loadEvaluationData } from './evaluation-data.js';

before(async () => {
  await initEngine();
});

const tenClasses = Array.from({ length: 10 }, (_, i) => String(i));
const model = (inputShape: readonly [number, number, number], bounds: [number, number] = [0, 1]) =>
  functionModel(
    (x) =>
      tf.reshape(tf.slice(tf.reshape(x, [x.shape[0], -1]), [0, 0], [-1, 10]), [x.shape[0], 10]) as Tensor2D,
    { name: 'probe', inputShape, labels: tenClasses, bounds },
  );

test('images N from offset K: dataset indices, labels and pixels of the test set, in the model bounds', async () => {
  const data = loadEvaluationData({ dataset: 'fashion-mnist', images: 5, offset: 7 });
  const reference = loadFashionMnist('test', 12);
  assert.deepEqual(data.indices, [7, 8, 9, 10, 11]);
  assert.deepEqual(data.labels, Array.from(reference.labels.subarray(7, 12)));
  assert.deepEqual(data.shape, [28, 28, 1]);
  const unit = await data.load([1, 3], model([28, 28, 1]));
  const wide = await data.load([1, 3], model([28, 28, 1], [0, 255]));
  assert.deepEqual(Array.from(unit.dataSync()), [
    ...reference.images.subarray(8 * 784, 9 * 784),
    ...reference.images.subarray(10 * 784, 11 * 784),
  ]);
  const scaled = tf.tidy(() => tf.max(tf.abs(tf.sub(tf.mul(unit, 255), wide))).dataSync()[0]);
  assert.ok(scaled < 1e-4, 'pixels scaled to bounds [0, 255]');
  tf.dispose([unit, wide]);
  assert.notEqual(dataDigest(data), dataDigest(loadEvaluationData({ dataset: 'fashion-mnist', images: 5 })));
});

test('bad selections and mismatched models get one-line errors', () => {
  assert.throws(
    () => loadEvaluationData({ dataset: 'fashion-mnist', images: 20, offset: 9990 }),
    /^Error: fashion-mnist: images 9990\.\.10009 asked for, but its test set has 10000$/,
  );
  assert.throws(() => loadEvaluationData({ dataset: 'mnist', images: 0 }), /images: give an integer >= 1/);
  assert.throws(
    () => loadEvaluationData({ dataset: 'svhn' as never, images: 1 }),
    /unknown data set 'svhn' \(known: fashion-mnist, mnist, cifar10, imagenet-samples\)/,
  );
  const cifar = loadEvaluationData({ dataset: 'cifar10', images: 2 });
  assert.throws(
    () => checkDataFitsModel(cifar, model([28, 28, 1])),
    /model probe takes \[28,28,1\] inputs, but cifar10 images are \[32,32,3\]/,
  );
  const photos = loadEvaluationData({ dataset: 'imagenet-samples', images: 3, offset: 1 });
  assert.deepEqual(photos.indices, [1, 2, 3]);
  assert.deepEqual(photos.labels, [1, 2, 3], 'one photo per class, in class order');
  assert.throws(
    () => checkDataFitsModel(photos, model([224, 224, 3])),
    /model probe has 10 classes, but imagenet-samples labels are of 1000/,
  );
});
