/**
 * The transfer matrix on real 8x8 digits: tree-attack examples crafted on one tree fool it always, fool
 * a tree trained on other data and a logistic regression less often; clean inputs give 1 - accuracy.
 */
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { initEngine } from '../engine/backend.js';
import { rowAccuracy } from './classifier.js';
import { trainDecisionTree } from './decision-tree.js';
import { loadDigits } from './digits.js';
import { trainLogisticRegression } from './logistic-regression.js';
import { sliceRows, subsample } from './rows.js';
import { transferMatrix } from './transfer.js';
import { treeAttack } from './tree-attack.js';

before(async () => {
  await initEngine();
});

test('transfer matrix: tree-attack examples on digits', () => {
  const digits = subsample(loadDigits(), 1797, 11);
  const [trainA, trainB, inputs] = [
    sliceRows(digits, 0, 700),
    sliceRows(digits, 700, 700),
    sliceRows(digits, 1400, 397),
  ];
  const treeA = trainDecisionTree(trainA, { maxDepth: 10 });
  const treeB = trainDecisionTree(trainB, { maxDepth: 10 });
  const lr = trainLogisticRegression(trainB, { epochs: 30, batchSize: 64, learningRate: 0.01 });
  // Attack only inputs that tree A gets right, so that "fooled" means the attack did it.
  const correct = Array.from(treeA.predict(inputs.images), (p, i) => p === inputs.labels[i]);
  const attack = treeAttack(treeA, inputs.images);
  const targets = [
    { name: 'tree-a', model: treeA },
    { name: 'tree-b', model: treeB },
    { name: 'lr', model: lr },
  ];
  const m = transferMatrix(
    [
      { name: 'clean', adversarial: inputs.images },
      { name: 'tree-a', adversarial: attack.adversarial },
    ],
    targets,
    inputs.labels,
  );
  assert.deepEqual(m.targets, ['tree-a', 'tree-b', 'lr']);
  for (const [t, { model }] of targets.entries())
    assert.ok(Math.abs(m.rate[0][t] - (1 - rowAccuracy(model, inputs.images, inputs.labels))) < 1e-12);
  const masked = transferMatrix(
    [{ name: 'tree-a', adversarial: attack.adversarial }],
    targets,
    inputs.labels,
    { mask: correct },
  );
  console.log(
    `digits transfer from tree-a (${masked.count} inputs): ${masked.targets.map((t, i) => `${t} ${masked.rate[0][i].toFixed(3)}`).join(', ')}`,
  );
  assert.equal(masked.rate[0][0], 1);
  assert.ok(masked.rate[0][1] < 1 && masked.rate[0][2] < 1);
  assert.throws(
    () => transferMatrix([{ name: 'x', adversarial: new Float32Array(3) }], targets, inputs.labels),
    /source 'x' has 3 values/,
  );
  lr.dispose();
});
