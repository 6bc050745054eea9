/**
 * HopSkipJump (L2 and Linf) on the embedded Fashion-MNIST CNN: a decision-based minimization attack.
 * Properties (bounds, success re-evaluated, seeded), exact query counts, the budget, perturbations that
 * shrink over its steps, given starting points, and inputs misclassified from the start.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { tf, type Tensor4D } from '../engine/tf.js';
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
import { HopSkipJump } from './hop-skip-jump.js';

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

/** Fewer probes per gradient estimate than foolbox's 100 sqrt(step + 1), to keep the test fast. */
const LEAN = { initialGradientEvalSteps: 40 };

for (const constraint of ['l2', 'linf'] as const) {
  test(`hop-skip-jump (${constraint}): adversarials that shrink over its steps; queries exact, seeded, no leak`, async () => {
    const counter = new CountingModel(model);
    const start = tf.memory().numTensors;
    const short = await new HopSkipJump({ ...LEAN, constraint, steps: 2, seed: 1 }).run(counter, x, labels, {
      epsilons: null,
    });
    await checkResult(short, x, labels, model, {
      norm: constraint,
      eps: null,
      maxQueries: Infinity,
      seen: counter.total - N,
    });
    assert.equal(count(short.success), N, 'every input starts from an adversarial and keeps one');
    const again = await new HopSkipJump({ ...LEAN, constraint, steps: 2, seed: 1 }).run(model, x, labels, {
      epsilons: null,
    });
    assert.deepEqual(values(again.clipped), values(short.clipped), 'same seed, different result');
    assert.deepEqual(again.queries, short.queries);
    disposeResult(again);

    const long = await new HopSkipJump({ ...LEAN, constraint, steps: 8, seed: 1 }).run(model, x, labels, {
      epsilons: null,
    });
    const [before, after] = [norms(short.clipped, x, constraint), norms(long.clipped, x, constraint)];
    console.log(
      `hop-skip-jump ${constraint}: median after 2 steps ${median(before).toFixed(4)}, after 8 ${median(after).toFixed(4)}; ` +
        `median queries ${median(short.queries!)} -> ${median(long.queries!)}`,
    );
    // the first 2 steps are the same: the smallest adversarial so far only shrinks
    after.forEach((v, i) => assert.ok(v <= before[i] + 1e-6, `input ${i}: ${before[i]} -> ${v}`));
    assert.ok(median(after) < 0.8 * median(before), `median ${median(before)} -> ${median(after)}`);
    assert.equal(count(long.success), N);
    [short, long].forEach(disposeResult);
    assert.equal(tf.memory().numTensors, start, 'tensors leaked');
  });
}

test('hop-skip-jump: maxQueries bounds every input; clipped per epsilon', async () => {
  const maxQueries = 300;
  const epsilons = [0.5, 1.5, 5];
  const result = await new HopSkipJump({ steps: 50, maxQueries, seed: 2 }).run(model, x, labels, {
    epsilons,
  });
  for (let k = 0; k < epsilons.length; k++) {
    const one = {
      raw: result.raw[k],
      clipped: result.clipped[k],
      success: result.success[k],
      queries: result.queries![k],
    };
    await checkResult(one, x, labels, model, { norm: 'l2', eps: epsilons[k], maxQueries });
  }
  // the budget is used up (an input stops once it cannot afford a probe and a jump)
  result.queries![0].forEach((q) => assert.ok(q >= maxQueries - 1, `${q} queries`));
  const rates = result.success.map(count);
  assert.ok(rates[0] <= rates[1] && rates[1] <= rates[2], `success counts ${rates}`);
  tf.dispose([...result.raw, ...result.clipped]);
});

test('hop-skip-jump: starts from given starting points; an input misclassified from the start stays', async () => {
  const order = labels.map((_, i) => labels.findIndex((l) => l !== labels[i]));
  const startingPoints = tf.gather(x, order) as Tensor4D;
  const result = await new HopSkipJump({ ...LEAN, steps: 1, startingPoints, seed: 1 }).run(model, x, labels, {
    epsilons: null,
  });
  assert.equal(count(result.success), N);
  const [from, to] = [norms(startingPoints, x, 'l2'), norms(result.clipped, x, 'l2')];
  to.forEach((v, i) => assert.ok(v < from[i], `input ${i}: ${from[i]} -> ${v}`));
  disposeResult(result);
  startingPoints.dispose();

  const wrong = labels.map((l, i) => (i === 0 ? (l + 1) % 10 : l));
  const clean = await new HopSkipJump({ ...LEAN, steps: 1 }).run(model, x, wrong, { epsilons: null });
  assert.equal(clean.queries![0], 1);
  assert.equal(norms(clean.clipped, x, 'l2')[0], 0);
  disposeResult(clean);
});

test('hop-skip-jump: bad options are refused with one line', () => {
  assert.throws(
    () => new HopSkipJump({ constraint: 'l1' as 'l2' }),
    /hop-skip-jump: constraint must be one of l2, linf/,
  );
  assert.throws(() => new HopSkipJump({ gamma: 0 }), /hop-skip-jump: gamma must be > 0/);
  assert.throws(
    () => new HopSkipJump({ constraint: 'linf', steps: 0 }),
    /linf-hop-skip-jump: steps must be an integer >= 1/,
  );
});
