/**
 * SPSA on the embedded Fashion-MNIST CNN: properties of every attack, exact query counts, the query
 * budget, early stop, and success within a small budget on correctly classified test images.
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
  values,
} from './black-box-testing.js';
import { SPSA } from './spsa.js';

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

test('spsa: eps 0 returns the input without a query', async () => {
  const counter = new CountingModel(model);
  const result = await new SPSA({ seed: 1 }).run(counter, x, labels, { epsilons: 0 });
  assert.deepEqual(values(result.clipped), values(x));
  assert.deepEqual(result.queries, new Array(N).fill(0));
  disposeResult(result);
});

test('spsa: within budget and eps, success re-evaluated, queries exact, seeded, no tensor leaked', async () => {
  const settings = { steps: 5, samples: 16, seed: 1 };
  const eps = 0.1;
  const counter = new CountingModel(model);
  const start = tf.memory().numTensors;
  const result = await new SPSA(settings).run(counter, x, labels, { epsilons: [0.05, eps] });
  // every image the model saw, but the final evaluation per epsilon, was counted for some input
  assert.equal(
    result.queries!.flat().reduce((a, b) => a + b, 0),
    counter.total - 2 * N,
  );
  for (const k of [0, 1]) {
    const one = {
      raw: result.raw[k],
      clipped: result.clipped[k],
      success: result.success[k],
      queries: result.queries![k],
    };
    await checkResult(one, x, labels, model, { norm: 'linf', eps: [0.05, eps][k], maxQueries: 5 * 33 });
  }
  // per iteration a check and 2 x 16 probes, plus a last check for an input found adversarial
  result.queries![1].forEach((q, i) => {
    assert.ok(q % 33 === 0 || (q % 33 === 1 && result.success[1][i]), `input ${i}: ${q} queries`);
  });
  const again = await new SPSA(settings).run(model, x, labels, { epsilons: eps });
  assert.deepEqual(values(again.clipped), values(result.clipped[1]), 'same seed, different result');
  assert.deepEqual(again.queries, result.queries![1]);
  disposeResult(again);
  tf.dispose([...result.raw, ...result.clipped]);
  assert.equal(tf.memory().numTensors, start, 'tensors leaked');
});

test('spsa: maxQueries bounds every input; without earlyStop it runs every step', async () => {
  const result = await new SPSA({ steps: 50, samples: 8, maxQueries: 100, seed: 2 }).run(model, x, labels, {
    epsilons: 0.1,
  });
  // 17 queries per iteration: an input stops after 5 (85), unless it succeeded earlier
  result.queries!.forEach((q, i) =>
    assert.ok(q <= 100 && (q === 85 || result.success[i]), `input ${i}: ${q}`),
  );
  disposeResult(result);
  const full = await new SPSA({ steps: 3, samples: 8, earlyStop: false, seed: 2 }).run(model, x, labels, {
    epsilons: 0.1,
  });
  assert.deepEqual(full.queries, new Array(N).fill(3 * 16));
  disposeResult(full);
});

test('spsa: succeeds on most correctly classified images within about 2000 queries (eps 0.1)', async () => {
  const counter = new CountingModel(model);
  const result = await new SPSA({ steps: 30, samples: 32, maxQueries: 2000, seed: 3 }).run(
    counter,
    x,
    labels,
    {
      epsilons: 0.1,
    },
  );
  console.log(`spsa eps 0.1, 2000 queries: success ${count(result.success)}/${N}, queries ${result.queries}`);
  assert.ok(count(result.success) >= N / 2, `success ${count(result.success)}/${N}`);
  assert.ok(Math.min(...counter.calls) < N * 64, 'inputs that stopped are still sent');
  disposeResult(result);
});

test('spsa: bad options are refused with one line', () => {
  assert.throws(() => new SPSA({ samples: 0 }), /spsa: samples must be an integer >= 1/);
  assert.throws(() => new SPSA({ delta: 0 }), /spsa: delta must be > 0/);
  assert.throws(
    () => new SPSA({ loss: 'dlr' as 'margin' }),
    /spsa: loss must be one of crossentropy, margin/,
  );
});
