/**
 * DeepFool on linear models, where one linearisation step is exact: the smallest L2 (Linf) perturbation
 * that misclassifies is min_k (z_c - z_k) / ||w_c - w_k||_2 (_1), and DeepFool returns it times
 * (1 + overshoot), plus its 1e-4 margin. Three classes check that the closest of the candidates is taken.
 */
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { tf, type Tensor4D } from '../engine/tf.js';
import { initEngine } from '../engine/backend.js';
import { targeted } from '../criteria/index.js';
import { perturbationNorm } from '../distances/index.js';
import { predictLabels } from '../models/model.js';
import { L2DeepFool, LinfDeepFool } from './deepfool.js';
import { LINEAR_SHAPE, linearFixture, linearInputs } from './linear-test-model.js';

const N = 6;
const inputs = linearInputs(N);

before(async () => {
  await initEngine();
});

function batch(): Tensor4D {
  return tf.tensor4d(inputs.flat(), [N, ...LINEAR_SHAPE]);
}

for (const classes of [2, 3]) {
  for (const attack of [new L2DeepFool(), new LinfDeepFool()]) {
    test(`${attack.name} on a ${classes}-class linear model: (1 + overshoot) times the closed-form distance`, async () => {
      const fixture = linearFixture(classes);
      const x = batch();
      const labels = await predictLabels(fixture.model, x);
      assert.ok(new Set(labels).size > 1, 'the inputs fall into several classes');
      const { raw, clipped, success } = await attack.run(fixture.model, x, labels, { epsilons: null });
      assert.deepEqual(success, new Array(N).fill(true));
      const norms = Array.from(perturbationNorm(tf.sub(clipped, x), attack.norm).dataSync());
      norms.forEach((norm, n) => {
        const minimal = fixture.minimalNorm(inputs[n], attack.norm as 'l2' | 'linf');
        assert.ok(norm >= minimal, `input ${n}: ${norm} below the minimal ${minimal}`);
        const expected = 1.02 * (minimal + 1e-4);
        assert.ok(
          Math.abs(norm - expected) <= 1e-3 * expected,
          `input ${n}: ${attack.norm} ${norm}, expected ${expected} (minimal ${minimal})`,
        );
      });
      tf.dispose([x, raw, clipped]);
      fixture.dispose();
    });
  }
}

test('deepfool stops at once for inputs already misclassified, and refuses targeted criteria and bad options', async () => {
  const fixture = linearFixture(3);
  const x = batch();
  const labels = await predictLabels(fixture.model, x);
  const wrong = labels.map((l, n) => (n % 2 === 0 ? (l + 1) % 3 : l));
  const { raw, clipped, success } = await new L2DeepFool().run(fixture.model, x, wrong, { epsilons: null });
  const norms = perturbationNorm(tf.sub(clipped, x), 'l2').dataSync();
  wrong.forEach((_, n) => {
    if (n % 2 === 0) assert.equal(norms[n], 0, `input ${n} was already misclassified`);
    else assert.ok(norms[n] > 0 && success[n]);
  });
  await assert.rejects(
    new L2DeepFool().run(fixture.model, x, targeted(labels.map((l) => (l + 1) % 3)), { epsilons: null }),
    /deepfool is untargeted: give a misclassification criterion, not a targeted one/,
  );
  assert.throws(() => new L2DeepFool({ candidates: 1 }), /candidates must be an integer >= 2 \(got 1\)/);
  assert.throws(() => new LinfDeepFool({ overshoot: -1 }), /overshoot must be a finite number >= 0/);
  tf.dispose([x, raw, clipped]);
  fixture.dispose();
});
