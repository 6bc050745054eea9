/**
 * The Boundary attack on the embedded Fashion-MNIST CNN: a decision-based minimization attack in L2.
 * Properties (bounds, success re-evaluated, seeded), exact query counts, the budget, perturbations that
 * shrink as it walks, given starting points, inputs misclassified from the start, and inputs for which no
 * starting point exists.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { tf, type Tensor2D, type Tensor4D } from '../engine/tf.js';
import { functionModel } from '../models/forward-model.js';
import { loadModel } from '../models/load.js';
import type { Model } from '../models/model.js';
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
import { BoundaryAttack } from './boundary.js';

const N = 8;
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

/** Larger steps than foolbox's defaults, updated more often: the walk moves within a few hundred steps. */
const BRISK = { sphericalStep: 0.1, sourceStep: 0.03, updateStatsEvery: 2 };

test('boundary: adversarials that shrink as it walks; queries exact, seeded, no tensor leaked', async () => {
  const counter = new CountingModel(model);
  const start = tf.memory().numTensors;
  const short = await new BoundaryAttack({ ...BRISK, steps: 50, seed: 1 }).run(counter, x, labels, {
    epsilons: null,
  });
  await checkResult(short, x, labels, model, {
    norm: 'l2',
    eps: null,
    maxQueries: Infinity,
    seen: counter.total - N,
  });
  assert.equal(count(short.success), N, 'every input starts from an adversarial and keeps one');
  // a starting point search (a clean check, noise draws, blends), then 1 query per step and 1 more every 2
  short.queries!.forEach((q) => assert.ok(q >= 2 + 50 + 25 && q <= 1 + 1000 + 49 + 50 + 25, `${q} queries`));
  const again = await new BoundaryAttack({ ...BRISK, steps: 50, seed: 1 }).run(model, x, labels, {
    epsilons: null,
  });
  assert.deepEqual(values(again.clipped), values(short.clipped), 'same seed, different result');
  assert.deepEqual(again.queries, short.queries);
  disposeResult(again);

  const long = await new BoundaryAttack({ ...BRISK, steps: 200, seed: 1 }).run(model, x, labels, {
    epsilons: null,
  });
  const [before, after] = [norms(short.clipped, x, 'l2'), norms(long.clipped, x, 'l2')];
  console.log(
    `boundary median L2 after 50 steps ${median(before).toFixed(3)}, after 200 ${median(after).toFixed(3)}`,
  );
  // the first 50 steps are the same walk: an input only ever moves closer
  after.forEach((v, i) => assert.ok(v <= before[i] + 1e-6, `input ${i}: ${before[i]} -> ${v}`));
  assert.ok(median(after) < 0.9 * median(before), `median L2 ${median(before)} -> ${median(after)}`);
  assert.equal(count(long.success), N);
  [short, long].forEach(disposeResult);
  assert.equal(tf.memory().numTensors, start, 'tensors leaked');
});

test('boundary: maxQueries bounds every input, the starting point search included', async () => {
  const result = await new BoundaryAttack({ steps: 1000, maxQueries: 80, seed: 2 }).run(model, x, labels, {
    epsilons: [0.5, 2, 8],
  });
  for (let k = 0; k < 3; k++) {
    const one = {
      raw: result.raw[k],
      clipped: result.clipped[k],
      success: result.success[k],
      queries: result.queries![k],
    };
    await checkResult(one, x, labels, model, { norm: 'l2', eps: [0.5, 2, 8][k], maxQueries: 80 });
  }
  // an input stops when it cannot afford the next step (1 query, or 2 every 10 steps)
  result.queries![0].forEach((q) => assert.ok(q >= 79, `${q} queries`));
  tf.dispose([...result.raw, ...result.clipped]);
});

test('boundary: walks from given starting points; an input misclassified from the start is returned as it is', async () => {
  // another input's image of another class is an adversarial for this one
  const order = labels.map((_, i) => labels.findIndex((l) => l !== labels[i]));
  const startingPoints = tf.gather(x, order) as Tensor4D;
  const result = await new BoundaryAttack({ steps: 50, startingPoints, seed: 1 }).run(model, x, labels, {
    epsilons: null,
  });
  assert.equal(count(result.success), N);
  const [from, to] = [norms(startingPoints, x, 'l2'), norms(result.clipped, x, 'l2')];
  to.forEach((v, i) => assert.ok(v < from[i], `input ${i}: ${from[i]} -> ${v}`));
  assert.deepEqual(
    result.queries,
    new Array(N).fill(1 + 50 + 5),
    'one check, then 50 steps of 1 or 2 queries',
  );
  disposeResult(result);

  const wrong = labels.map((l, i) => (i === 0 ? (l + 1) % 10 : l));
  const clean = await new BoundaryAttack({ steps: 5 }).run(model, x, wrong, { epsilons: null });
  assert.equal(clean.queries![0], 1);
  assert.equal(norms(clean.clipped, x, 'l2')[0], 0);
  disposeResult(clean);

  const bad = tf.clone(x);
  await assert.rejects(
    new BoundaryAttack({ startingPoints: bad }).run(model, x, labels, { epsilons: null }),
    new RegExp(`boundary: ${N} of ${N} startingPoints are not adversarial \\(inputs 0, 1, 2`),
  );
  tf.dispose([startingPoints, bad]);
});

test('boundary: an input for which no noise is adversarial is returned unchanged, not failed', async () => {
  // a model that calls everything class 0: nothing is adversarial for label 0
  const constant = functionModel((input) => tf.tile(tf.tensor2d([[1, 0]]), [input.shape[0], 1]) as Tensor2D, {
    name: 'constant',
    inputShape: [2, 2, 1],
    labels: ['a', 'b'],
  });
  const inputs = tf.fill([2, 2, 2, 1], 0.5) as Tensor4D;
  const result = await new BoundaryAttack({ steps: 10 }).run(constant, inputs, [0, 0], { epsilons: null });
  assert.deepEqual(result.success, [false, false]);
  assert.deepEqual(values(result.clipped), values(inputs));
  assert.deepEqual(result.queries, [1 + 1000, 1 + 1000], 'the clean check and 1000 noise draws');
  disposeResult(result);
  inputs.dispose();
});

test('boundary: bad options are refused with one line', () => {
  assert.throws(() => new BoundaryAttack({ steps: 0 }), /boundary: steps must be an integer >= 1/);
  assert.throws(() => new BoundaryAttack({ stepAdaptation: 1 }), /boundary: stepAdaptation must be > 1/);
  assert.throws(() => new BoundaryAttack({ maxQueries: 2.5 }), /boundary: maxQueries must be an integer/);
});
