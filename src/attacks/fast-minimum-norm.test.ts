/**
 * FMN on a linear two-class model, where the smallest Lp perturbation that flips the prediction is
 * |z_0 - z_1| / ||w_0 - w_1||_q (q the dual norm): L1, L2 and Linf FMN find it within 1%. FMN steps onto
 * the linearised boundary without overshoot, so on an exactly linear model an input can stay on the
 * boundary (not adversarial) to the end: at most one of the six may be missed.
 */
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { tf } from '../engine/tf.js';
import { initEngine } from '../engine/backend.js';
import { perturbationNorm } from '../distances/index.js';
import { predictLabels } from '../models/model.js';
import { L1FastMinimumNorm, L2FastMinimumNorm, LinfFastMinimumNorm } from './fast-minimum-norm.js';
import { LINEAR_SHAPE, linearFixture, linearInputs } from './linear-test-model.js';

const N = 6;
const inputs = linearInputs(N);

before(async () => {
  await initEngine();
});

for (const attack of [new L1FastMinimumNorm(), new L2FastMinimumNorm(), new LinfFastMinimumNorm()]) {
  test(`${attack.name} on a linear two-class model finds the closed-form minimal perturbation within 1%`, async () => {
    const fixture = linearFixture(2);
    const x = tf.tensor4d(inputs.flat(), [N, ...LINEAR_SHAPE]);
    const labels = await predictLabels(fixture.model, x);
    const { raw, clipped, success } = await attack.run(fixture.model, x, labels, { epsilons: null });
    assert.ok(success.filter(Boolean).length >= N - 1, `found ${success.filter(Boolean).length}/${N}`);
    const norms = perturbationNorm(tf.sub(clipped, x), attack.norm).dataSync();
    success.forEach((found, n) => {
      const minimal = fixture.minimalNorm(inputs[n], attack.norm as 'l1' | 'l2' | 'linf');
      if (found)
        assert.ok(
          norms[n] >= minimal * (1 - 1e-4) && norms[n] <= minimal * 1.01,
          `input ${n}: ${norms[n]} vs ${minimal}`,
        );
      else assert.equal(norms[n], 0, `input ${n}: no adversarial, the input is returned`);
    });
    tf.dispose([x, raw, clipped]);
    fixture.dispose();
  });
}

test('fmn refuses bad options', () => {
  assert.throws(() => new L2FastMinimumNorm({ steps: 1.5 }), /steps must be an integer >= 1 \(got 1.5\)/);
  assert.throws(() => new LinfFastMinimumNorm({ maxStepsize: 0 }), /maxStepsize must be a finite number > 0/);
  assert.throws(() => new L1FastMinimumNorm({ gamma: 0 }), /gamma must be in \(0, 1\) \(got 0\)/);
});
