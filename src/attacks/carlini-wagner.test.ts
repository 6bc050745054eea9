/**
 * C&W L2 on a linear two-class model, where the smallest L2 perturbation that flips the prediction is
 * |z_0 - z_1| / ||w_0 - w_1||: the attack finds it within 2%. With a confidence kappa, the adversarial's
 * logit margin reaches kappa and the perturbation grows to the closed form (|z_0 - z_1| + kappa) / ||w_0 - w_1||.
 * A targeted run reaches its target classes on a three-class model.
 */
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { tf, type Tensor4D } from '../engine/tf.js';
import { initEngine } from '../engine/backend.js';
import { targeted } from '../criteria/index.js';
import { perturbationNorm } from '../distances/index.js';
import { predictLabels } from '../models/model.js';
import { L2CarliniWagner } from './carlini-wagner.js';
import { LINEAR_SHAPE, linearFixture, linearInputs } from './linear-test-model.js';

const N = 6;
const inputs = linearInputs(N);
const FAST = { binarySearchSteps: 6, steps: 150, initialConst: 1 };

before(async () => {
  await initEngine();
});

function batch(): Tensor4D {
  return tf.tensor4d(inputs.flat(), [N, ...LINEAR_SHAPE]);
}

test('cw on a linear two-class model finds the closed-form minimal L2 perturbation within 2%', async () => {
  const fixture = linearFixture(2);
  const x = batch();
  const labels = await predictLabels(fixture.model, x);
  assert.ok(new Set(labels).size === 2, 'the inputs fall into both classes');
  const { raw, clipped, success } = await new L2CarliniWagner(FAST).run(fixture.model, x, labels, {
    epsilons: null,
  });
  assert.deepEqual(success, new Array(N).fill(true));
  const norms = perturbationNorm(tf.sub(clipped, x), 'l2').dataSync();
  norms.forEach((norm, n) => {
    const minimal = fixture.minimalNorm(inputs[n], 'l2');
    assert.ok(norm >= minimal * (1 - 1e-4) && norm <= minimal * 1.02, `input ${n}: ${norm} vs ${minimal}`);
  });
  tf.dispose([x, raw, clipped]);
  fixture.dispose();
});

test('cw with confidence kappa: margins reach kappa, perturbations grow to the closed form', async () => {
  const kappa = 0.2;
  const fixture = linearFixture(2);
  const x = batch();
  const labels = await predictLabels(fixture.model, x);
  const { raw, clipped, success } = await new L2CarliniWagner({ ...FAST, confidence: kappa }).run(
    fixture.model,
    x,
    labels,
    { epsilons: null },
  );
  assert.deepEqual(success, new Array(N).fill(true));
  const adversarial = clipped.arraySync().map((image) => image.flat(2));
  const norms = perturbationNorm(tf.sub(clipped, x), 'l2').dataSync();
  adversarial.forEach((pixels, n) => {
    const z = fixture.logitsOf(pixels);
    const margin = z[1 - labels[n]] - z[labels[n]];
    assert.ok(margin >= kappa - 1e-3, `input ${n}: margin ${margin} < kappa ${kappa}`);
    const clean = fixture.logitsOf(inputs[n]);
    const gap = Math.abs(clean[0] - clean[1]);
    const expected = (fixture.minimalNorm(inputs[n], 'l2') * (gap + kappa)) / gap;
    assert.ok(Math.abs(norms[n] - expected) <= 0.02 * expected, `input ${n}: ${norms[n]} vs ${expected}`);
  });
  tf.dispose([x, raw, clipped]);
  fixture.dispose();
});

test('targeted cw reaches the target classes; bad options are refused', async () => {
  const fixture = linearFixture(3);
  const x = batch();
  const labels = await predictLabels(fixture.model, x);
  const targets = labels.map((l) => (l + 2) % 3);
  const { raw, clipped, success } = await new L2CarliniWagner(FAST).run(fixture.model, x, targeted(targets), {
    epsilons: null,
  });
  assert.deepEqual(success, new Array(N).fill(true));
  assert.deepEqual(await predictLabels(fixture.model, clipped), targets);
  tf.dispose([x, raw, clipped]);
  fixture.dispose();
  assert.throws(() => new L2CarliniWagner({ steps: 0 }), /cw: steps must be an integer >= 1 \(got 0\)/);
  assert.throws(() => new L2CarliniWagner({ confidence: -1 }), /cw: confidence must be a finite number >= 0/);
  assert.throws(
    () => new L2CarliniWagner({ initialConst: 0 }),
    /cw: initialConst must be a finite number > 0/,
  );
});
