/** No tensor leaks: 200 PGD steps keep tf.memory().numTensors flat, and a run leaves only its results. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { tf } from '../engine/tf.js';
import { loadFashionMnist } from '../data/datasets.js';
import { loadModel } from '../models/load.js';
import { LinfPGD, MIFGSM, SaltAndPepperNoise, L2AdditiveGaussianNoise } from './index.js';

test('200 attack steps: tensor count flat during the run, only the results remain after', async () => {
  const model = await loadModel('fashion-mnist-cnn');
  const data = loadFashionMnist('test', 16);
  const x = tf.tensor4d(data.images, [16, 28, 28, 1]);
  const labels = Array.from(data.labels);
  const before = tf.memory().numTensors;
  const counts: number[] = [];
  const result = await new LinfPGD({ steps: 200, seed: 1 }).run(model, x, labels, {
    epsilons: 0.05,
    onProgress: () => counts.push(tf.memory().numTensors),
  });
  assert.equal(counts.length, 200);
  assert.equal(
    Math.max(...counts.slice(1)),
    Math.min(...counts.slice(1)),
    `tensor count moved during the run: ${Math.min(...counts)}..${Math.max(...counts)}`,
  );
  tf.dispose([result.raw, result.clipped]);
  assert.equal(tf.memory().numTensors, before);

  for (const attack of [
    new MIFGSM({ steps: 20 }),
    new SaltAndPepperNoise({ steps: 20, repetitions: 2 }),
    new L2AdditiveGaussianNoise({ repeats: 5 }),
  ]) {
    const r = await attack.run(model, x, labels, { epsilons: [0.1, 1] });
    tf.dispose([...r.raw, ...r.clipped]);
    assert.equal(tf.memory().numTensors, before, `${attack.name} leaked`);
  }
});
