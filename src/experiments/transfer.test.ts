/**
 * The transferability experiment on real data (scikit-learn's 8x8 digits, so that all six models train in
 * seconds): splits, the eps budget of every adversarial, the white-box success of the differentiable
 * sources, the matrix's definition, determinism and clear errors.
 */
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { initEngine } from '../engine/backend.js';
import { tf } from '../engine/tf.js';
import { loadMnistTest } from '../data/datasets.js';
import {
  loadTransferData,
  transferExperiment,
  type TransferData,
  type TransferExperimentResult,
} from './transfer.js';

let digits: TransferData;
let full: TransferExperimentResult;
let tensorsBefore: number;

before(async () => {
  await initEngine();
  digits = loadTransferData('digits', { seed: 3 });
  tensorsBefore = tf.memory().numTensors;
  full = await transferExperiment(digits, {
    attack: 'fgsm',
    eps: 0.3,
    samples: 150,
    seed: 3,
    substitute: { seeds: 100, rounds: 3 },
    keepExamples: true,
  });
});

test('splits: digits 1437/360 and MNIST 8000/2000 by a seeded shuffle; Fashion-MNIST subsamples its training set', () => {
  assert.equal(digits.train.count, 1437);
  assert.equal(digits.test.count, 360);
  assert.deepEqual(digits.train.shape, [8, 8, 1]);
  const again = loadTransferData('digits', { seed: 3 });
  assert.deepEqual(again.test.labels, digits.test.labels);
  assert.notDeepEqual(loadTransferData('digits', { seed: 4 }).test.labels, digits.test.labels);
  // Every class appears in both halves of the split.
  for (const split of [digits.train, digits.test]) assert.equal(new Set(split.labels).size, 10);

  const mnist = loadTransferData('mnist', { seed: 0 });
  assert.equal(mnist.train.count, 8000);
  assert.equal(mnist.test.count, 2000);
  // The two halves partition the 10k set: per-class counts add up to the whole set's.
  const counts = (labels: ArrayLike<number>) =>
    Array.from({ length: 10 }, (_, c) => Array.from(labels).filter((y) => y === c).length);
  const whole = counts(loadMnistTest().labels);
  const [tr, te] = [counts(mnist.train.labels), counts(mnist.test.labels)];
  assert.deepEqual(
    tr.map((v, c) => v + te[c]),
    whole,
  );
  const mnistSmall = loadTransferData('mnist', { seed: 0, trainSize: 500 });
  assert.equal(mnistSmall.train.count, 500);
  assert.deepEqual(mnistSmall.test.labels, mnist.test.labels);

  const fashion = loadTransferData('fashion-mnist', { seed: 0, trainSize: 1000 });
  assert.equal(fashion.train.count, 1000);
  assert.equal(fashion.test.count, 10000);
  assert.deepEqual(fashion.train.shape, [28, 28, 1]);

  assert.throws(
    () => loadTransferData('digits', { trainSize: 1500 }),
    /train size 1500 exceeds the 1437 training images of digits/,
  );
  assert.throws(() => loadTransferData('cifar' as never), /unknown data set 'cifar'/);
});

test('every adversarial stays within eps (Linf) of its input and in [0,1]; sources succeed as expected', () => {
  const ex = full.examples;
  assert.ok(ex !== undefined);
  assert.deepEqual(full.models, ['dnn', 'lr', 'svm', 'tree', 'knn', 'ens']);
  for (const [s, rows] of ex.adversarial.entries()) {
    let maxDelta = 0;
    for (let i = 0; i < rows.length; i++) {
      assert.ok(rows[i] >= 0 && rows[i] <= 1, `${full.models[s]}: value ${rows[i]} out of bounds`);
      maxDelta = Math.max(maxDelta, Math.abs(rows[i] - ex.inputs[i]));
    }
    assert.ok(maxDelta <= 0.3 + 1e-5, `${full.models[s]}: Linf ${maxDelta}`);
    assert.ok(maxDelta > 0.05, `${full.models[s]}: nothing moved`);
    assert.ok(Math.abs(full.sources[s].maxLinf - maxDelta) < 1e-6 || full.sources[s].maxLinf < maxDelta);
  }
  for (const [i, acc] of full.cleanAccuracy.entries())
    assert.ok(acc > 0.8, `${full.models[i]} clean accuracy ${acc}`);
  for (const s of full.sources) {
    console.log(
      `digits ${s.model}: ${s.successful}/${s.attacked} fooled (${s.method}${s.substitute ? `, agreement ${s.substitute.agreement.toFixed(3)}` : ''})`,
    );
    if (['dnn', 'lr', 'svm'].includes(s.model))
      assert.ok((s.successRate ?? 0) > 0.8, `${s.model} white-box success ${s.successRate}`);
    if (s.model === 'tree') assert.ok((s.successRate ?? 0) > 0.8, `tree attack success ${s.successRate}`);
    if (s.model === 'knn' || s.model === 'ens') {
      assert.ok(s.substitute !== undefined && s.substitute.queries === 400);
      assert.ok(s.substitute.agreement > 0.7, `${s.model} substitute agreement ${s.substitute.agreement}`);
      assert.ok((s.successRate ?? 0) > 0.3, `${s.model} black-box success ${s.successRate}`);
    }
  }
});

test('matrix: cell = fooled / successful over the source’s successful examples; the diagonal is 100%', () => {
  const n = full.models.length;
  assert.equal(full.matrix.length, n);
  for (let s = 0; s < n; s++) {
    const src = full.sources[s];
    assert.ok(src.successful <= src.attacked && src.attacked <= full.samples);
    assert.equal(full.examples?.success[s].filter(Boolean).length, src.successful);
    for (let t = 0; t < n; t++) {
      assert.ok(full.fooled[s][t] <= src.successful);
      assert.equal(full.matrix[s][t], full.fooled[s][t] / src.successful);
    }
    // Successful means it fools the source itself: the white-box diagonal is high, 100% by definition.
    assert.equal(full.matrix[s][s], 1, `${full.models[s]} diagonal`);
  }
  const row = (m: string) => full.matrix[full.models.indexOf(m as never)] as number[];
  const offDiagonalMean = (m: string) => {
    const s = full.models.indexOf(m as never);
    return (
      row(m)
        .filter((_, t) => t !== s)
        .reduce((a, b) => a + b, 0) /
      (n - 1)
    );
  };
  // Papernot et al.: linear models' examples transfer widely, the tree's hardly at all.
  assert.ok(offDiagonalMean('lr') > 0.6, `lr row ${row('lr')}`);
  assert.ok(
    offDiagonalMean('tree') < offDiagonalMean('lr') / 2,
    `tree row ${row('tree')} vs lr row ${row('lr')}`,
  );
  assert.equal(tf.memory().numTensors, tensorsBefore, 'tensors leaked');
});

test('PGD: same seed, same result; clear errors for bad options', async () => {
  const options = {
    models: ['lr', 'tree'] as const,
    attack: 'pgd' as const,
    eps: 0.2,
    steps: 10,
    samples: 60,
    seed: 5,
    keepExamples: true,
  };
  const a = await transferExperiment(digits, { ...options, models: [...options.models] });
  const b = await transferExperiment(digits, { ...options, models: [...options.models] });
  assert.deepEqual(a.matrix, b.matrix);
  assert.deepEqual(a.examples?.adversarial, b.examples?.adversarial);
  assert.equal(a.attack.name, 'pgd');
  assert.equal(a.attack.options.steps, 10);
  assert.ok((a.sources[0].successRate ?? 0) > 0.8, `lr PGD success ${a.sources[0].successRate}`);

  await assert.rejects(transferExperiment(digits, { models: ['lr', 'cnn' as never] }), /unknown model 'cnn'/);
  await assert.rejects(transferExperiment(digits, { models: ['lr', 'lr'] }), /model 'lr' given twice/);
  await assert.rejects(
    transferExperiment(digits, { samples: 400 }),
    /400 samples asked, the test split has 360 images/,
  );
  await assert.rejects(transferExperiment(digits, { eps: 1.5 }), /eps must be in \(0, 1\]/);
  await assert.rejects(
    transferExperiment(digits, { attack: 'cw' as never }),
    /attack must be 'fgsm' or 'pgd'/,
  );
});
