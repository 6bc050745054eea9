/**
 * The properties every attack has (as src/attacks/attack-properties.test.ts checks for the registry's), for
 * the minimization attacks, on the embedded Fashion-MNIST CNN and real test images: eps=0 returns the
 * input, outputs stay in bounds and in the eps ball, `success` agrees with re-running the model, the same
 * settings give the same result, the success rate rises with eps; with `epsilons: null` the smallest
 * adversarials found are in bounds, re-evaluated, and count as successes at every eps at least their norm.
 * No tensor leaks: the count stays flat during a run, only the results remain after it, and a model that
 * fails mid-run leaves nothing behind.
 */
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { tf, type Tensor2D, type Tensor4D } from '../engine/tf.js';
import { initEngine } from '../engine/backend.js';
import { loadFashionMnist } from '../data/datasets.js';
import { perturbationNorm, type Norm } from '../distances/index.js';
import { functionModel } from '../models/forward-model.js';
import { loadModel } from '../models/load.js';
import { predictLabels, type Model } from '../models/model.js';
import type { Attack } from './attack.js';
import { MINIMIZATION_ATTACKS } from './minimization-attacks.js';
import type { AttackSettings as MinimizationSettings } from './attack-entry.js';

const N = 24;

const EPSILONS: Record<Norm, number[]> = {
  linf: [0.005, 0.03, 0.1, 0.3],
  l2: [0.1, 0.5, 2, 6],
  l1: [1, 5, 20, 60],
  l0: [1, 10, 50, 200],
};

/** Few steps: these tests check properties, not strength. */
const SETTINGS: Record<string, MinimizationSettings> = {
  cw: { binarySearchSteps: 3, steps: 20, initialConst: 1, absStepsize: 0.05 },
  deepfool: { steps: 50 },
  'linf-deepfool': { steps: 50 },
  ddn: { steps: 20, seed: 3 },
  'l1-fmn': { steps: 20 },
  'l2-fmn': { steps: 20 },
  'linf-fmn': { steps: 20 },
};

let model: Model;
let x: Tensor4D;
let labels: number[];

before(async () => {
  await initEngine();
  model = await loadModel('fashion-mnist-cnn');
  const data = loadFashionMnist('test', N);
  x = tf.tensor4d(data.images, [N, 28, 28, 1]);
  labels = Array.from(data.labels);
});

const values = (t: tf.Tensor): number[] => Array.from(t.dataSync());
const create = (name: string): Attack => MINIMIZATION_ATTACKS[name].create(SETTINGS[name]);

async function misclassified(adversarial: Tensor4D): Promise<boolean[]> {
  return (await predictLabels(model, adversarial)).map((p, i) => p !== labels[i]);
}

function inBounds(t: Tensor4D): boolean {
  return tf.min(t).dataSync()[0] >= model.bounds[0] && tf.max(t).dataSync()[0] <= model.bounds[1];
}

test('every name of MINIMIZATION_ATTACKS creates the attack of that name, with settings checked', () => {
  for (const name of Object.keys(MINIMIZATION_ATTACKS)) assert.equal(create(name).name, name);
  assert.deepEqual(Object.keys(MINIMIZATION_ATTACKS).sort(), Object.keys(SETTINGS).sort());
  assert.throws(() => MINIMIZATION_ATTACKS.cw.create({ steps: 0 }), /cw: steps must be an integer >= 1/);
});

for (const name of Object.keys(SETTINGS)) {
  test(`${name}: eps 0 returns the input; bounds, eps ball, success re-evaluated, deterministic, rises with eps`, async () => {
    const attack = create(name);
    const zero = await attack.run(model, x, labels, { epsilons: 0 });
    assert.equal(tf.max(tf.abs(tf.sub(zero.clipped, x))).dataSync()[0], 0, 'eps=0 changed the input');
    tf.dispose([zero.raw, zero.clipped]);

    const epsilons = EPSILONS[attack.norm];
    const result = await attack.run(model, x, labels, { epsilons });
    const rates: number[] = [];
    for (let k = 0; k < epsilons.length; k++) {
      const clipped = result.clipped[k];
      assert.ok(inBounds(clipped), 'out of bounds');
      values(perturbationNorm(tf.sub(clipped, x), attack.norm)).forEach((v) =>
        assert.ok(v <= epsilons[k] * (1 + 1e-4) + 1e-6, `${attack.norm} norm ${v} > eps ${epsilons[k]}`),
      );
      assert.deepEqual(result.success[k], await misclassified(clipped), 'success disagrees with the model');
      rates.push(result.success[k].filter(Boolean).length / N);
    }
    for (let k = 1; k < rates.length; k++) assert.ok(rates[k] >= rates[k - 1], `success rates ${rates} fall`);
    assert.ok(rates[rates.length - 1] > rates[0], `success rates ${rates} do not rise with eps`);

    const last = epsilons.length - 1;
    const again = await create(name).run(model, x, labels, { epsilons: epsilons[last] });
    assert.deepEqual(values(again.clipped), values(result.clipped[last]), 'same settings, different result');
    tf.dispose([...result.raw, ...result.clipped, again.raw, again.clipped]);
  });
}

for (const name of ['cw', 'deepfool', 'linf-fmn']) {
  test(`${name} with epsilons null: the smallest adversarials, in bounds, successes at every eps above their norm`, async () => {
    const attack = create(name);
    const minimal = await attack.run(model, x, labels, { epsilons: null });
    assert.ok(inBounds(minimal.clipped));
    assert.deepEqual(minimal.success, await misclassified(minimal.clipped));
    const rate = minimal.success.filter(Boolean).length / N;
    assert.ok(rate >= 0.75, `${name} fooled only ${rate * N}/${N} with eps=null`);
    const norms = values(perturbationNorm(tf.sub(minimal.clipped, x), attack.norm));
    const eps = Math.max(...norms.filter((_, n) => minimal.success[n])) * (1 + 1e-3);
    const budgeted = await attack.run(model, x, labels, { epsilons: eps });
    minimal.success.forEach((s, n) => {
      if (s)
        assert.ok(budgeted.success[n], `input ${n}: adversarial at norm ${norms[n]} but not at eps ${eps}`);
    });
    tf.dispose([minimal.raw, minimal.clipped, budgeted.raw, budgeted.clipped]);
  });
}

test('no tensor leaks: flat during a run, only the results after it', async () => {
  const small = tf.slice(x, [0, 0, 0, 0], [8, -1, -1, -1]) as Tensor4D;
  const smallLabels = labels.slice(0, 8);
  const before = tf.memory().numTensors;
  for (const name of Object.keys(SETTINGS)) {
    const counts: number[] = [];
    const { raw, clipped } = await create(name).run(model, small, smallLabels, {
      epsilons: null,
      onProgress: () => counts.push(tf.memory().numTensors),
    });
    assert.ok(counts.length > 1, `${name} reported no progress`);
    assert.equal(
      Math.max(...counts),
      Math.min(...counts),
      `${name}: ${Math.min(...counts)}..${Math.max(...counts)}`,
    );
    tf.dispose([raw, clipped]);
    assert.equal(tf.memory().numTensors, before, `${name} leaked`);
  }
  small.dispose();
});

test('a model that fails mid-run: the error comes through and no tensor is left behind', async () => {
  const weights = tf.randomNormal([784, 10], 0, 0.05, 'float32', 1);
  let calls = 0;
  const failing = functionModel(
    (input: Tensor4D) => {
      calls += 1;
      if (calls === 4) throw new Error('model failed on its 4th call');
      return tf.matMul(tf.reshape(input, [-1, 784]), weights) as Tensor2D;
    },
    { name: 'failing', inputShape: [28, 28, 1], labels: model.labels },
  );
  const small = tf.slice(x, [0, 0, 0, 0], [4, -1, -1, -1]) as Tensor4D;
  // Its own predictions as labels, so that no input is adversarial from the start.
  const own = await predictLabels(failing, small);
  const before = tf.memory().numTensors;
  for (const name of Object.keys(SETTINGS)) {
    calls = 0;
    await assert.rejects(
      create(name).run(failing, small, own, { epsilons: [0.1, 1] }),
      /model failed on its 4th call/,
      name,
    );
    assert.equal(tf.memory().numTensors, before, `${name} leaked on the error path`);
  }
  tf.dispose([small, weights]);
});
