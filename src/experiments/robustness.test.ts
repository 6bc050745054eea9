import assert from 'node:assert/strict';
import { before, test } from 'node:test';
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
import { robustnessExperiment, type RobustnessSettings } from './robustness.js';
import {
  ROBUSTNESS_CSV_COLUMNS,
  robustnessCsv,
  robustnessPlot,
  robustnessTable,
} from './robustness-writers.js';

let natural: Model;
let generator: tf.LayersModel;
let x: Tensor4D;
let labels: number[];

before(async () => {
  await initEngine();
  natural = await loadModel('fashion-mnist-cnn');
  generator = await loadGenerator(join(embeddedModelsDir(), 'fashion-mnist-gan'));
  const data = loadFashionMnist('test', 40);
  x = gatherImages(
    data,
    Array.from({ length: 40 }, (_, i) => i),
  );
  labels = Array.from(data.labels);
});

const settings: RobustnessSettings = {
  epsilons: [0, 0.1],
  steps: 5,
  relStepsize: 0.25,
  restarts: 2,
  seed: 0,
  projection: { steps: 8, restarts: 1, lr: 0.05 },
  eotSamples: 2,
  latentSteps: 10,
};

test('robustness: rows for every model, attack and eps; CSV columns; table; plot', async () => {
  const start = tf.memory().numTensors;
  const result = await robustnessExperiment({
    classifiers: [{ label: 'natural', model: natural, defense: 'none' }],
    projection: { generator, classifier: { label: 'natural', model: natural, defense: 'none' } },
    x,
    labels,
    projectionImages: 6,
    settings,
  });
  assert.equal(tf.memory().numTensors, start, 'no tensor leaked');
  const series = [...new Set(result.rows.map((r) => `${r.model}/${r.attack}`))];
  assert.deepEqual(series, [
    'natural/fgsm',
    'natural/pgd',
    'natural+gan-projection/pgd-oblivious',
    'natural+gan-projection/bpda-pgd',
    'natural+gan-projection/bpda-eot-pgd',
    'natural+gan-projection/latent-space',
  ]);
  assert.equal(result.rows.length, 12);
  const get = (model: string, attack: string, eps: number) =>
    result.rows.find((r) => r.model === model && r.attack === attack && r.eps === eps);
  const clean = get('natural', 'pgd', 0)?.robustAccuracy ?? -1;
  const predicted = await predictLabels(natural, x);
  assert.equal(
    clean,
    labels.filter((l, i) => predicted[i] === l).length / 40,
    'at eps 0 robust accuracy is the clean accuracy',
  );
  assert.ok(
    (get('natural', 'pgd', 0.1)?.robustAccuracy ?? 1) < clean - 0.3,
    'PGD at eps 0.1 breaks the natural model',
  );
  assert.ok(
    (get('natural', 'pgd', 0.1)?.robustAccuracy ?? 1) <=
      (get('natural', 'fgsm', 0.1)?.robustAccuracy ?? 0) + 0.05,
    'PGD is about as strong as FGSM or stronger',
  );
  for (const r of result.rows) {
    assert.ok(r.robustAccuracy >= 0 && r.robustAccuracy <= 1);
    const clean = get(r.model, r.attack, 0)?.robustAccuracy ?? -1;
    assert.ok(r.robustAccuracy <= clean, `${r.model} ${r.attack} eps ${r.eps}: robust <= clean`);
    assert.equal(r.images, r.model === 'natural' ? 40 : 6);
    assert.ok(r.seconds >= 0);
  }
  const csv = robustnessCsv(result).trimEnd().split('\n');
  assert.equal(csv[0], ROBUSTNESS_CSV_COLUMNS.join(','));
  assert.equal(csv[0], 'model,defense,attack,eps,images,robust_accuracy,restarts,steps,step_size,seconds');
  assert.equal(csv.length, 13);
  assert.match(csv[3], /^natural,none,pgd,0,40,[\d.]+,2,5,0,/);
  assert.match(csv[4], /^natural,none,pgd,0\.1,40,[\d.]+,2,5,0\.025,/);
  const { head, rows } = robustnessTable(result);
  assert.deepEqual(head, ['model', 'attack', 'images', 'eps 0', 'eps 0.1']);
  assert.equal(rows.length, 6);
  assert.equal(rows[1][1], 'pgd (2 restarts)');
  const { svg, png } = await robustnessPlot(result);
  assert.ok(svg.includes('natural+gan-projection / bpda-pgd'));
  assert.equal(png.subarray(1, 4).toString(), 'PNG');
});

test('robustness: clear errors for bad settings', async () => {
  const input = {
    classifiers: [{ label: 'n', model: natural, defense: 'none' }],
    x,
    labels,
    projectionImages: 1,
  };
  await assert.rejects(
    robustnessExperiment({ ...input, settings: { ...settings, epsilons: [] } }),
    /at least one epsilon/,
  );
  await assert.rejects(
    robustnessExperiment({ ...input, settings: { ...settings, restarts: 0 } }),
    /restarts must be an integer >= 1/,
  );
  await assert.rejects(
    robustnessExperiment({ ...input, labels: [1, 2], settings }),
    /2 labels for 40 images/,
  );
});
