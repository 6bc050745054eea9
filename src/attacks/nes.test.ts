/**
 * NES on the embedded Fashion-MNIST CNN: properties of every attack (eps 0, bounds, eps ball, success
 * re-evaluated, seeded), exact query counts, the query budget, early stop, and success within a small
 * budget on correctly classified test images.
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
  values,
} from './black-box-testing.js';
import { NES } from './nes.js';

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

test('nes: eps 0 returns the input without a query', async () => {
  const counter = new CountingModel(model);
  const result = await new NES({ seed: 1 }).run(counter, x, labels, { epsilons: 0 });
  assert.deepEqual(values(result.clipped), values(x));
  assert.deepEqual(result.queries, new Array(N).fill(0));
  disposeResult(result);
});

test('nes: within budget and eps, success re-evaluated, queries exact, seeded, no tensor leaked', async () => {
  const maxQueries = 510; // ten iterations of 1 + 50 queries
  const eps = 0.1;
  const counter = new CountingModel(model);
  const start = tf.memory().numTensors;
  const result = await new NES({ maxQueries, seed: 1 }).run(counter, x, labels, { epsilons: eps });
  await checkResult(result, x, labels, model, { norm: 'linf', eps, maxQueries, seen: counter.total - N });
  // 51 queries per iteration (a check and 50 samples), and a last check for an input found adversarial
  result.queries!.forEach((q, i) => {
    assert.ok(q > 1 && (q % 51 === 0 || q % 51 === 1), `input ${i}: ${q} queries`);
    if (q % 51 === 1) assert.ok(result.success[i], `input ${i} stopped at ${q} queries without success`);
  });
  const again = await new NES({ maxQueries, seed: 1 }).run(model, x, labels, { epsilons: eps });
  assert.deepEqual(values(again.clipped), values(result.clipped), 'same seed, different result');
  assert.deepEqual(again.queries, result.queries);
  const other = await new NES({ maxQueries, seed: 2 }).run(model, x, labels, { epsilons: eps });
  assert.notDeepEqual(values(other.clipped), values(result.clipped), 'the seed changes nothing');
  [result, again, other].forEach(disposeResult);
  assert.equal(tf.memory().numTensors, start, 'tensors leaked');
});

test('nes: succeeds on most correctly classified images within 1000 queries (eps 0.1), and stops there', async () => {
  const counter = new CountingModel(model);
  const result = await new NES({ maxQueries: 1000, seed: 3 }).run(counter, x, labels, { epsilons: 0.1 });
  const rate = count(result.success) / N;
  console.log(`nes eps 0.1, 1000 queries: success ${count(result.success)}/${N}, queries ${result.queries}`);
  assert.ok(rate >= 0.5, `success rate ${rate}`);
  // an input that succeeded was checked and stopped: it spent less than the budget
  result.success.forEach((s, i) => {
    if (s) assert.ok(result.queries![i] < 1000 - 50, `input ${i} spent ${result.queries![i]} queries`);
  });
  // inputs that stopped are no longer sent: the batches shrink
  assert.ok(Math.min(...counter.calls) < N, `batch sizes ${[...new Set(counter.calls)]}`);
  disposeResult(result);
});

test('nes: an input misclassified from the start costs one query; targeted criteria are followed', async () => {
  const wrong = labels.map((l, i) => (i === 0 ? (l + 1) % 10 : l));
  const result = await new NES({ maxQueries: 103, seed: 1 }).run(model, x, wrong, { epsilons: 0.05 });
  assert.equal(result.queries![0], 1);
  assert.ok(result.success[0]);
  disposeResult(result);

  const targets = labels.map((l) => (l + 1) % 10);
  const aimed = await new NES({ maxQueries: 2000, seed: 1 }).run(model, x, targeted(targets), {
    epsilons: 0.2,
  });
  const predicted = await predictLabels(model, aimed.clipped);
  assert.deepEqual(
    aimed.success,
    predicted.map((p, i) => p === targets[i]),
  );
  console.log(`nes targeted eps 0.2, 2000 queries: ${count(aimed.success)}/${N} reach the target`);
  assert.ok(count(aimed.success) >= N / 4, `targeted success ${count(aimed.success)}/${N}`);
  disposeResult(aimed);
});

test('nes: bad options and models without scores are refused with one line', async () => {
  assert.throws(() => new NES({ samplesPerDraw: 7 }), /nes: samplesPerDraw must be even/);
  assert.throws(() => new NES({ maxQueries: 0 }), /nes: maxQueries must be an integer >= 1 or Infinity/);
  assert.throws(() => new NES({ maxQueries: Infinity }), /nes: give a finite steps or maxQueries/);
  assert.throws(() => new NES({ sigma: -1 }), /nes: sigma must be > 0/);
  assert.throws(() => new NES({ momentum: 1 }), /nes: momentum must be in \[0, 1\)/);
  const decisionOnly = new CountingModel(model, 'label');
  await assert.rejects(
    new NES().run(decisionOnly, x, labels, { epsilons: 0.1 }),
    /nes needs scores, but model fashion-mnist-cnn only gives its decision/,
  );
  assert.equal(decisionOnly.total, 0);
});
