/**
 * SimBA (DCT and pixel bases) on the embedded Fashion-MNIST CNN: a minimization attack in L2 that stops at
 * the first adversarial. Properties (bounds, eps ball per epsilon, success re-evaluated, seeded), exact
 * query counts, the budget, the L2 norm of eps sqrt(accepted steps), and success on correctly classified
 * test images within a small budget.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { tf, type Tensor4D } from '../engine/tf.js';
import { targeted } from '../criteria/index.js';
import { loadModel } from '../models/load.js';
import { predictLabels, type Model } from '../models/model.js';
import {
  checkResult,
  correctlyClassified,
  count,
  CountingModel,
  disposeResult,
  median,
  norms,
  values,
} from './black-box-testing.js';
import { SimBA } from './simba.js';

const N = 12;
let model: Model;
let x: Tensor4D;
let labels: number[];

before(async () => {
  model = await loadModel('fashion-mnist-cnn');
  ({ x, labels } = await correctlyClassified(model, N));
});
after(() => {
  x.dispose();
  model.dispose();
});

for (const basis of ['dct', 'pixel'] as const) {
  test(`simba (${basis}): adversarials found within 600 queries, queries exact, seeded, no tensor leaked`, async () => {
    const maxQueries = 600;
    const counter = new CountingModel(model);
    const start = tf.memory().numTensors;
    const result = await new SimBA({ basis, maxQueries, seed: 1 }).run(counter, x, labels, {
      epsilons: null,
    });
    await checkResult(result, x, labels, model, {
      norm: 'l2',
      eps: null,
      maxQueries,
      seen: counter.total - N,
    });
    const l2 = norms(result.clipped, x, 'l2');
    console.log(
      `simba ${basis}, 600 queries: success ${count(result.success)}/${N}, median L2 ${median(l2).toFixed(3)}, ` +
        `median queries ${median(result.queries!)}`,
    );
    assert.ok(
      count(result.success) >= (basis === 'dct' ? 0.9 : 0.75) * N,
      `success ${count(result.success)}/${N}`,
    );
    // each accepted step adds 0.2 along a fresh orthonormal direction (clipping into bounds only shortens it)
    for (const v of l2) {
      const steps = (v / 0.2) ** 2;
      assert.ok(steps <= maxQueries, `L2 ${v} is more than 0.2 sqrt(queries)`);
    }
    disposeResult(result);
    const short = () =>
      new SimBA({ basis, maxQueries: 60, seed: 1 }).run(model, x, labels, { epsilons: null });
    const [first, second] = [await short(), await short()];
    assert.deepEqual(values(first.clipped), values(second.clipped), 'same seed, different result');
    assert.deepEqual(first.queries, second.queries);
    [first, second].forEach(disposeResult);
    assert.equal(tf.memory().numTensors, start, 'tensors leaked');
  });
}

test('simba: clipped per epsilon in L2, success rising with eps; an input stops at its first adversarial', async () => {
  const epsilons = [0.3, 1, 3];
  const result = await new SimBA({ maxQueries: 300, seed: 2 }).run(model, x, labels, { epsilons });
  const rates: number[] = [];
  for (let k = 0; k < epsilons.length; k++) {
    const one = {
      raw: result.raw[k],
      clipped: result.clipped[k],
      success: result.success[k],
      queries: result.queries![k],
    };
    await checkResult(one, x, labels, model, { norm: 'l2', eps: epsilons[k], maxQueries: 300 });
    rates.push(count(result.success[k]));
  }
  assert.ok(rates[0] <= rates[1] && rates[1] <= rates[2] && rates[2] > rates[0], `success counts ${rates}`);
  // the unclipped result of an input that stopped early is adversarial, and it stopped: fewer queries
  const raw = await predictLabels(model, result.raw[0]);
  raw.forEach((p, i) => {
    if (result.queries![0][i] < 299)
      assert.notEqual(p, labels[i], `input ${i} stopped without an adversarial`);
  });
  tf.dispose([...result.raw, ...result.clipped]);
});

test('simba: an input misclassified from the start costs one query; targeted criteria raise the target', async () => {
  const wrong = labels.map((l, i) => (i === 0 ? (l + 1) % 10 : l));
  const result = await new SimBA({ maxQueries: 50 }).run(model, x, wrong, { epsilons: null });
  assert.equal(result.queries![0], 1);
  assert.equal(norms(result.clipped, x, 'l2')[0], 0);
  disposeResult(result);
  const targets = labels.map((l) => (l + 3) % 10);
  const aimed = await new SimBA({ maxQueries: 800, seed: 1 }).run(model, x, targeted(targets), {
    epsilons: null,
  });
  const predicted = await predictLabels(model, aimed.clipped);
  assert.deepEqual(
    aimed.success,
    predicted.map((p, i) => p === targets[i]),
  );
  console.log(`simba targeted, 800 queries: ${count(aimed.success)}/${N} reach the target`);
  assert.ok(count(aimed.success) >= N / 3, `targeted success ${count(aimed.success)}/${N}`);
  disposeResult(aimed);
});

test('simba: bad options and models without scores are refused with one line', async () => {
  assert.throws(() => new SimBA({ basis: 'wavelet' as 'dct' }), /simba: basis must be one of dct, pixel/);
  assert.throws(() => new SimBA({ stepSize: 0 }), /simba: stepSize must be > 0/);
  assert.throws(() => new SimBA({ freqDims: 0 }), /simba: freqDims must be an integer >= 1/);
  const decisionOnly = new CountingModel(model, 'label');
  await assert.rejects(
    new SimBA().run(decisionOnly, x, labels, { epsilons: null }),
    /simba needs scores, but model fashion-mnist-cnn only gives its decision/,
  );
});
