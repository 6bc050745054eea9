import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { join } from 'node:path';
import { initEngine } from '../engine/backend.js';
import { tf, type Tensor4D } from '../engine/tf.js';
import { loadFashionMnist } from '../data/datasets.js';
import { embeddedModelsDir } from '../data/locations.js';
import { loadModel } from '../models/load.js';
import { predictLabels } from '../models/model.js';
import type { Model } from '../models/model.js';
import { loadGenerator } from '../train/gan.js';
import { gatherImages } from '../train/train-classifier.js';
import { ganProjection } from './gan-projection.js';
import { LatentSpaceAttack } from './latent-space-attack.js';

const N = 16;
let classifier: Model;
let generator: tf.LayersModel;
let x: Tensor4D;
let labels: number[];

before(async () => {
  await initEngine();
  classifier = await loadModel('fashion-mnist-cnn');
  generator = await loadGenerator(join(embeddedModelsDir(), 'fashion-mnist-gan'));
  const data = loadFashionMnist('test', N);
  x = gatherImages(
    data,
    Array.from({ length: N }, (_, i) => i),
  );
  labels = Array.from(data.labels);
});

after(() => {
  tf.dispose(x);
  classifier.dispose();
  generator.dispose();
});

test('latent-space attack: eps 0 returns the input; results stay in bounds and in the eps ball; it fools the projection defense', async () => {
  const defended = ganProjection(generator, classifier, { steps: 50, restarts: 1, seed: 0 });
  const attack = new LatentSpaceAttack({ steps: 60, seed: 0 });
  const start = tf.memory().numTensors;
  const { clipped, raw, success } = await attack.run(defended, x, labels, { epsilons: [0, 0.2] });
  assert.equal(tf.memory().numTensors, start + 4, 'only the four returned tensors remain');
  assert.deepEqual(Array.from(await clipped[0].data()), Array.from(await x.data()), 'eps 0: the input');
  const delta = tf.tidy(() => tf.max(tf.abs(tf.sub(clipped[1], x))).dataSync()[0]);
  assert.ok(delta <= 0.2 + 1e-6, `Linf distance ${delta}`);
  const [lo, hi] = tf.tidy(() => [tf.min(clipped[1]).dataSync()[0], tf.max(clipped[1]).dataSync()[0]]);
  assert.ok(lo >= 0 && hi <= 1, `range [${lo}, ${hi}]`);
  // Success is the defended model's verdict: re-evaluate it here.
  const predicted = await predictLabels(defended, clipped[1]);
  assert.deepEqual(
    success[1],
    predicted.map((p, i) => p !== labels[i]),
  );
  const cleanWrong = success[0].filter(Boolean).length;
  const attackedWrong = success[1].filter(Boolean).length;
  assert.ok(
    attackedWrong >= cleanWrong + 3,
    `the attack fools the defense on more inputs (${attackedWrong} vs ${cleanWrong} of ${N} clean)`,
  );
  tf.dispose([...raw, ...clipped]);
});

test('latent-space attack: a model that is not a projection defense, or bad options, are clear errors', async () => {
  await assert.rejects(
    new LatentSpaceAttack({ steps: 2 }).run(classifier, x, labels, { epsilons: 0.1 }),
    /not a GAN projection defense/,
  );
  assert.throws(() => new LatentSpaceAttack({ steps: -1 }), /steps must be an integer >= 0/);
  assert.throws(() => new LatentSpaceAttack({ lr: 0 }), /lr must be a positive number/);
});
