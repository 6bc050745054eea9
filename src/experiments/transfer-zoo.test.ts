import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { basename } from 'node:path';
import { FGSM } from '../attacks/gradient-descent.js';
import { loadMnistTest } from '../data/datasets.js';
import { initEngine } from '../engine/backend.js';
import { tf, type Tensor4D } from '../engine/tf.js';
import { loadModel } from '../models/load.js';
import { imagenetClasses } from '../models/labels.js';
import { adaptInputs, imagenetLabelOfFile, sampleImagenetFiles, transferZoo } from './transfer-zoo.js';
import { TRANSFER_CSV_COLUMNS, transferMatrixTable, transferZooCsv } from './transfer-zoo-writers.js';

before(async () => {
  await initEngine();
});

test('transfer matrix on MNIST models: white-box diagonal, transfer off it, flip-rate bookkeeping', async () => {
  const models = [await loadModel('mnist-cnn'), await loadModel('mnist-dnn-2')];
  const data = loadMnistTest(64);
  const labels = Array.from(data.labels);
  const before = tf.memory().numTensors;
  const result = await transferZoo(models, {
    loadInputs: async () => tf.tensor4d(data.images, [64, 28, 28, 1]),
    labels,
    attack: new FGSM(),
    eps: 0.2,
    batchSize: 32,
  });
  assert.equal(tf.memory().numTensors, before, 'no leaked tensors');
  assert.deepEqual(result.models, ['mnist-cnn', 'mnist-dnn-2']);
  assert.equal(result.images, 64);
  for (const [s, row] of result.matrix.entries()) {
    assert.equal(row.length, 2);
    for (const [t, cell] of row.entries()) {
      assert.equal(cell.source, result.models[s]);
      assert.equal(cell.target, result.models[t]);
      assert.ok(cell.flipped <= cell.evaluated && cell.evaluated <= 64);
      assert.equal(cell.flipRate, cell.flipped / cell.evaluated);
    }
    // the evaluated count depends on the target only (its clean accuracy)
    assert.equal(row[0].evaluated, result.matrix[0][0].evaluated);
  }
  assert.ok(
    result.cleanAccuracy.every((a) => a > 0.9),
    `clean ${result.cleanAccuracy}`,
  );
  // FGSM at 0.2 fools the MLP white-box almost always; transfer is weaker than white-box
  assert.ok(
    (result.matrix[1][1].flipRate as number) > 0.8,
    `white-box dnn-2 ${result.matrix[1][1].flipRate}`,
  );
  assert.ok((result.matrix[0][1].flipRate as number) < (result.matrix[1][1].flipRate as number));
  assert.ok((result.matrix[1][0].flipRate as number) < (result.matrix[0][0].flipRate as number) + 1e-9);

  const csv = transferZooCsv(result).trimEnd().split('\n');
  assert.deepEqual(csv[0].split(','), [...TRANSFER_CSV_COLUMNS]);
  assert.equal(csv.length - 1, 4);
  const table = transferMatrixTable(result);
  assert.equal(table.rows.length, 2);
  assert.match(table.rows[0][1], /^\d+\.\d% \(\d+\/\d+\)$/);
  models.forEach((m) => m.dispose());
});

test('ImageNet photos: seeded draw, labels from the wnid, MobileNet crafted and evaluated on its own view', async () => {
  const files = sampleImagenetFiles(3, 11);
  assert.deepEqual(sampleImagenetFiles(3, 11), files);
  assert.notDeepEqual(sampleImagenetFiles(3, 12), files);
  const labels = files.map(imagenetLabelOfFile);
  labels.forEach((l, i) => assert.ok(basename(files[i]).startsWith(imagenetClasses()[l].wnid)));
  assert.throws(() => imagenetLabelOfFile('/tmp/tent.jpg'), /cannot tell its ImageNet class/);
  assert.throws(() => sampleImagenetFiles(0, 1), /image count/);

  const model = await loadModel('mobilenet-v1-0.75');
  const result = await transferZoo([model], { files, labels, attack: new FGSM(), eps: 4 / 255 });
  assert.equal(result.matrix.length, 1);
  const cell = result.matrix[0][0];
  assert.equal(cell.evaluated, Math.round(result.cleanAccuracy[0] * 3));
  if (cell.evaluated > 0)
    assert.ok((cell.flipRate as number) >= 0.5, `white-box FGSM 4/255 flip rate ${cell.flipRate}`);
  model.dispose();
});

test('adaptInputs resizes to the target size and maps bounds', () => {
  const x = tf.fill([2, 8, 8, 3], 0.5) as Tensor4D;
  const y = adaptInputs(x, { bounds: [0, 1] }, { inputShape: [4, 4, 3], bounds: [-1, 1] });
  assert.deepEqual(y.shape, [2, 4, 4, 3]);
  assert.ok(Array.from(y.dataSync()).every((v) => Math.abs(v) < 1e-6));
  assert.throws(
    () => adaptInputs(x, { bounds: [0, 1] }, { inputShape: [4, 4, 1], bounds: [0, 1] }),
    /3-channel images/,
  );
  tf.dispose([x, y]);
});
