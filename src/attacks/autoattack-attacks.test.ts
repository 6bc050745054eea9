/**
 * AutoAttack's attacks (APGD-CE, APGD-DLR, APGD-T, FAB, FAB-T, Square; Linf and L2):
 * - the properties every attack must have, on the embedded Fashion-MNIST CNN and real test images (eps 0
 *   returns the input; outputs in bounds and in the eps ball; success agrees with re-running the model;
 *   same seed, same result; success rises with eps; no tensor left behind);
 * - closed forms on a linear model, whose smallest adversarial perturbation is known: no attack succeeds
 *   below it, the gradient attacks succeed just above it;
 * - the bookkeeping of the reference: APGD's EOT averages `eotIterations` gradients per step, APGD-T and
 *   FAB-T run once per target class, Square counts one query per image it sends, never asks for a gradient
 *   and stays within maxQueries; targeted criteria; clear errors for bad options and unsuitable models.
 */
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { tf, type Tensor2D, type Tensor4D } from '../engine/tf.js';
import { loadFashionMnist } from '../data/datasets.js';
import { perturbationNorm, type Norm } from '../distances/index.js';
import { targeted } from '../criteria/index.js';
import { functionModel } from '../models/forward-model.js';
import { loadModel } from '../models/load.js';
import type { Loss } from '../models/loss.js';
import { predictLabels, type LossGradient, type Model } from '../models/model.js';
import type { Attack } from './attack.js';
import { APGD, APGDT } from './apgd.js';
import { AUTOATTACK_ATTACKS } from './autoattack-attacks.js';
import type { AttackSettings } from './attack-entry.js';
import { FAB, FABT } from './fab.js';
import { SquareAttack } from './square.js';

const N = 12;
const EPSILONS: Record<string, number[]> = { linf: [0.01, 0.1], l2: [0.3, 3], square: [0.01, 0.2] };

function settingsOf(name: string): AttackSettings {
  const base = name.replace(/^l2-/, '');
  if (base === 'square') return { maxQueries: 100, seed: 3 };
  if (base === 'apgd-t' || base === 'fab-t') return { steps: 10, targetClasses: 2, seed: 3 };
  return { steps: 10, seed: 3 };
}

let model: Model;
let x: Tensor4D;
let labels: number[];

before(async () => {
  model = await loadModel('fashion-mnist-cnn');
  const data = loadFashionMnist('test', N);
  x = tf.tensor4d(data.images, [N, 28, 28, 1]);
  labels = Array.from(data.labels);
});

/** The values of a tensor made by `f` (disposed). */
const values = (f: () => tf.Tensor) => {
  const t = tf.tidy(f);
  const out = Array.from(t.dataSync());
  t.dispose();
  return out;
};

for (const name of Object.keys(AUTOATTACK_ATTACKS)) {
  test(`${name}: eps 0 returns the input; bounds, eps ball, success re-evaluated, seeded, rises with eps, no leak`, async () => {
    const before = tf.memory().numTensors;
    const attack = AUTOATTACK_ATTACKS[name].create(settingsOf(name));
    const zero = await attack.run(model, x, labels, { epsilons: 0 });
    assert.deepEqual(
      values(() => tf.max(tf.abs(tf.sub(zero.clipped, x)))),
      [0],
      'eps=0 changed the input',
    );
    tf.dispose([zero.raw, zero.clipped]);

    const epsilons = EPSILONS[name === 'square' ? name : attack.norm];
    const result = await attack.run(model, x, labels, { epsilons });
    const rates: number[] = [];
    for (let k = 0; k < epsilons.length; k++) {
      const clipped = result.clipped[k];
      const [lo, hi] = values(() => tf.stack([tf.min(clipped), tf.max(clipped)]));
      assert.ok(lo >= 0 && hi <= 1, `values in [${lo}, ${hi}]`);
      values(() => perturbationNorm(tf.sub(clipped, x), attack.norm)).forEach((v) =>
        assert.ok(v <= epsilons[k] * (1 + 1e-4) + 1e-6, `${attack.norm} norm ${v} > eps ${epsilons[k]}`),
      );
      const predicted = await predictLabels(model, clipped);
      assert.deepEqual(
        result.success[k],
        predicted.map((p, i) => p !== labels[i]),
        'success disagrees with re-running the model',
      );
      rates.push(result.success[k].filter(Boolean).length / N);
    }
    assert.ok(rates[1] >= rates[0] && rates[1] >= 0.5, `${name}: success rates ${rates}`);
    if (attack.countsQueries) assert.ok(result.queries !== undefined && result.queries.length === 2);

    const again = await AUTOATTACK_ATTACKS[name].create(settingsOf(name)).run(model, x, labels, {
      epsilons: epsilons[1],
    });
    assert.deepEqual(
      Array.from(again.clipped.dataSync()),
      Array.from(result.clipped[1].dataSync()),
      'same seed, different result',
    );
    tf.dispose([...result.raw, ...result.clipped, again.raw, again.clipped]);
    assert.equal(tf.memory().numTensors, before, 'tensors left behind');
  });
}

/**
 * A linear model on 4x4 grey images with 4 classes, and inputs inside the box whose smallest adversarial
 * perturbation is known: min over k of (z_y - z_k) / ||w_k - w_y||_dual (the box does not bind).
 */
function linearProblem() {
  const d = 16;
  const k = 4;
  const weights = tf.randomNormal([d, k], 0, 1, 'float32', 5) as Tensor2D;
  const w = weights.arraySync() as number[][];
  const net = functionModel(
    (input) => tf.matMul(tf.reshape(input, [input.shape[0], d]), weights) as Tensor2D,
    {
      name: 'linear',
      inputShape: [4, 4, 1],
      labels: ['a', 'b', 'c', 'd'],
    },
  );
  const points = tf.randomUniform([6, 4, 4, 1], 0.45, 0.55, 'float32', 9) as Tensor4D;
  const flat = tf.reshape(points, [6, d]).arraySync() as number[][];
  const logits = flat.map((p) =>
    Array.from({ length: k }, (_, c) => p.reduce((s, v, i) => s + v * w[i][c], 0)),
  );
  const y = logits.map((z) => z.indexOf(Math.max(...z)));
  const smallest = (norm: Norm) =>
    flat.map((_, n) => {
      let best = Infinity;
      for (let c = 0; c < k; c++) {
        if (c === y[n]) continue;
        const diff = w.map((row) => row[c] - row[y[n]]);
        const dual =
          norm === 'linf'
            ? diff.reduce((s, v) => s + Math.abs(v), 0)
            : Math.sqrt(diff.reduce((s, v) => s + v * v, 0));
        best = Math.min(best, (logits[n][y[n]] - logits[n][c]) / dual);
      }
      return best;
    });
  return { net, points, y, smallest, dispose: () => tf.dispose([weights, points]) };
}

test('linear model: nothing succeeds below the smallest perturbation; the gradient attacks do just above', async () => {
  const problem = linearProblem();
  const cases: [string, (norm: 'linf' | 'l2') => Attack, number][] = [
    ['apgd-ce', (norm) => new APGD({ norm, steps: 50 }), 1.3],
    ['apgd-dlr', (norm) => new APGD({ norm, loss: 'dlr', steps: 50 }), 1.3],
    ['apgd-t', (norm) => new APGDT({ norm, steps: 50, targetClasses: 3 }), 1.05],
    ['fab', (norm) => new FAB({ norm, steps: 30 }), 1.05],
    ['fab-t', (norm) => new FABT({ norm, steps: 30, targetClasses: 3 }), 1.05],
    ['square', (norm) => new SquareAttack({ norm, maxQueries: 300 }), Infinity],
  ];
  try {
    for (const norm of ['linf', 'l2'] as const) {
      const smallest = problem.smallest(norm);
      for (const [name, make, above] of cases) {
        for (let n = 0; n < smallest.length; n++) {
          const point = tf.slice(problem.points, [n, 0, 0, 0], [1, 4, 4, 1]);
          const label = [problem.y[n]];
          const low = await make(norm).run(problem.net, point, label, { epsilons: smallest[n] * 0.99 });
          assert.equal(
            low.success[0],
            false,
            `${name} ${norm}: fooled input ${n} below its smallest perturbation`,
          );
          tf.dispose([low.raw, low.clipped]);
          if (above !== Infinity) {
            const high = await make(norm).run(problem.net, point, label, { epsilons: smallest[n] * above });
            assert.equal(
              high.success[0],
              true,
              `${name} ${norm}: input ${n} not fooled at ${above} x the smallest`,
            );
            tf.dispose([high.raw, high.clipped]);
          }
          point.dispose();
        }
      }
    }
  } finally {
    problem.dispose();
  }
});

/** A model that counts its calls (and can refuse gradients, or fail at call `failAt`), around another. */
function counting(inner: Model, options: { gradients?: boolean; failAt?: number } = {}) {
  const calls = { logits: 0, lossGradient: 0, losses: [] as Loss[] };
  const wrapped: Model = {
    name: inner.name,
    bounds: inner.bounds,
    inputShape: inner.inputShape,
    numClasses: inner.numClasses,
    labels: inner.labels,
    differentiable: options.gradients ?? true,
    engine: inner.engine,
    logits: (input) => {
      calls.logits++;
      if (calls.logits + calls.lossGradient === options.failAt)
        return Promise.reject(new Error('model failed'));
      return inner.logits(input);
    },
    lossGradient: (input, loss): Promise<LossGradient> => {
      if (options.gradients === false) throw new Error('this model gives no gradients');
      calls.lossGradient++;
      if (calls.logits + calls.lossGradient === options.failAt)
        return Promise.reject(new Error('model failed'));
      calls.losses.push(loss);
      return inner.lossGradient(input, loss);
    },
    dispose: () => inner.dispose(),
  };
  return { model: wrapped, calls };
}

test('APGD averages eotIterations gradients per step; APGD-T and FAB-T run once per target class', async () => {
  const x2 = tf.slice(x, [0, 0, 0, 0], [2, 28, 28, 1]);
  const y2 = labels.slice(0, 2);
  const eps = 1e-4; // nothing is fooled: every run goes its full length
  const eot = counting(model);
  const r1 = await new APGD({ steps: 4, eotIterations: 3 }).run(eot.model, x2, y2, { epsilons: eps });
  assert.equal(eot.calls.lossGradient, (4 + 1) * 3);
  const t = counting(model);
  const r2 = await new APGDT({ steps: 4, targetClasses: 3 }).run(t.model, x2, y2, { epsilons: eps });
  assert.equal(t.calls.lossGradient, 3 * (4 + 1));
  const targets = t.calls.losses.map((loss) => (loss.kind === 'dlr-targeted' ? loss.targets.join() : ''));
  assert.equal(new Set(targets).size, 3, `targets per pass: ${[...new Set(targets)].join(' | ')}`);
  const f = counting(model);
  const r3 = await new FABT({ steps: 4, targetClasses: 3 }).run(f.model, x2, y2, { epsilons: eps });
  assert.equal(f.calls.lossGradient, 3 * 4);
  tf.dispose([x2, r1.raw, r1.clipped, r2.raw, r2.clipped, r3.raw, r3.clipped]);
});

test('Square: one query per image sent, within maxQueries, never a gradient; fooled inputs stop querying', async () => {
  const blackBox = counting(model, { gradients: false });
  const attack = new SquareAttack({ maxQueries: 40, seed: 1 });
  const result = await attack.run(blackBox.model, x, labels, { epsilons: [0.003, 0.2] });
  const [small, large] = result.queries ?? [];
  small.forEach((q, i) => assert.ok(q >= 1 && q <= 40, `input ${i}: ${q} queries`));
  assert.ok(
    small.some((q, i) => q === 40 && !result.success[0][i]),
    'an input not fooled spent less than its budget',
  );
  large.forEach((q, i) => assert.ok(q >= 1 && q <= 40, `input ${i}: ${q} queries`));
  assert.ok(
    large.some((q, i) => result.success[1][i] && q < 40),
    'fooled inputs kept querying',
  );
  assert.equal(blackBox.calls.lossGradient, 0);
  tf.dispose([...result.raw, ...result.clipped]);
});

test('targeted criteria: APGD-CE, APGD-DLR, APGD-T and Square move towards the given target', async () => {
  const targets = labels.map((l) => (l + 1) % 10);
  for (const attack of [
    new APGD({ steps: 20 }),
    new APGD({ steps: 20, loss: 'dlr' }),
    new APGDT({ steps: 20 }),
    new SquareAttack({ maxQueries: 1000 }),
  ]) {
    const { raw, clipped, success } = await attack.run(model, x, targeted(targets), { epsilons: 0.2 });
    const predicted = await predictLabels(model, clipped);
    assert.deepEqual(
      success,
      predicted.map((p, i) => p === targets[i]),
    );
    assert.ok(
      success.filter(Boolean).length >= N / 2,
      `${attack.name}: ${success.filter(Boolean).length}/${N}`,
    );
    tf.dispose([raw, clipped]);
  }
});

test('a model that fails mid-run: the error comes through and no tensor is left behind', async () => {
  const before = tf.memory().numTensors;
  for (const make of [
    () => new APGD({ steps: 10 }),
    () => new APGDT({ steps: 10, targetClasses: 2 }),
    () => new FAB({ steps: 3 }),
    () => new FABT({ steps: 10 }),
    () => new SquareAttack({ maxQueries: 50 }),
  ]) {
    const failing = counting(model, { failAt: 6 });
    await assert.rejects(make().run(failing.model, x, labels, { epsilons: 1e-3 }), /model failed/);
    assert.equal(tf.memory().numTensors, before, `${make().name} left tensors behind`);
  }
});

test('bad options and unsuitable models get one clear line', async () => {
  assert.throws(() => new APGD({ steps: 0 }), /APGD: steps must be an integer >= 1 \(got 0\)/);
  assert.throws(() => new APGD({ rho: 2 }), /APGD: rho must be in \[0, 1\]/);
  assert.throws(() => new APGD({ norm: 'l1' as 'linf' }), /APGD: norm must be one of linf, l2 \(got l1\)/);
  assert.throws(() => new APGD({ eotIterations: 1.5 }), /eotIterations must be an integer >= 1/);
  assert.throws(() => new APGDT({ targetClasses: 0 }), /APGDT: targetClasses must be an integer >= 1/);
  assert.throws(() => new FABT({ alphaMax: 1.5 }), /FABT: alphaMax must be in \[0, 1\]/);
  assert.throws(() => new SquareAttack({ maxQueries: 0 }), /square: maxQueries must be an integer >= 1/);
  assert.throws(() => new SquareAttack({ pInit: 0 }), /square: pInit must be in \(0, 1\]/);
  await assert.rejects(
    new FAB().run(model, x, targeted(labels), { epsilons: 0.1 }),
    /fab is untargeted: give labels, not targets/,
  );
  await assert.rejects(
    new FABT().run(model, x, targeted(labels), { epsilons: 0.1 }),
    /fab-t chooses its own target classes and succeeds on any misclassification: give labels, not targets/,
  );
  const twoClasses = functionModel(
    (input) => tf.concat([tf.mean(input, [1, 2]), tf.neg(tf.mean(input, [1, 2]))], 1) as Tensor2D,
    {
      name: 'two',
      inputShape: [28, 28, 1],
      labels: ['a', 'b'],
    },
  );
  await assert.rejects(
    new APGD({ loss: 'dlr' }).run(
      twoClasses,
      x,
      labels.map(() => 0),
      { epsilons: 0.1 },
    ),
    /apgd-dlr: the DLR loss needs a model with at least 3 classes \(got 2\)/,
  );
  const opaque = counting(model, { gradients: false });
  await assert.rejects(
    new APGD().run(opaque.model, x, labels, { epsilons: 0.1 }),
    /apgd-ce needs input gradients, but model fashion-mnist-cnn is not differentiable/,
  );
});
