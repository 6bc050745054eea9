/**
 * The sanity warnings, each raised by a model built to deserve it (functionModel: known closed forms)
 * and absent for a plain logit model; the checks across eps on constructed results.
 */
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { LinfAdditiveUniformNoise } from '../attacks/additive-noise.js';
import { LinfBasicIterativeAttack } from '../attacks/gradient-descent.js';
import { initEngine } from '../engine/backend.js';
import { tf, type Tensor2D, type Tensor4D } from '../engine/tf.js';
import { functionModel } from '../models/forward-model.js';
import { evaluate } from './evaluate.js';
import { arrayData, type EvaluationData } from './evaluation-data.js';
import type { NamedAttack } from './protocols.js';
import { badGradients, epsilonWarnings, outputsDiffer, probabilityRows } from './sanity-checks.js';

const SHAPE = [2, 2, 1] as const;
const LABELS = ['dark', 'bright'];
const options = { name: 'toy', inputShape: SHAPE, labels: LABELS };

/** Mean brightness per image, [N,1]. */
const brightness = (x: Tensor4D) => tf.mean(tf.reshape(x, [x.shape[0], -1]), 1, true);
/** Logits of "bright" against "dark" with the boundary at mean 0.5. */
const logitsOf = (m: tf.Tensor) =>
  tf.concat([tf.mul(tf.sub(m, 0.5), -8), tf.mul(tf.sub(m, 0.5), 8)], 1) as Tensor2D;

/** Images of constant brightness; label by side of 0.5. */
function flatImages(levels: number[]): EvaluationData {
  const size = SHAPE[0] * SHAPE[1] * SHAPE[2];
  const images = new Float32Array(levels.flatMap((v) => new Array<number>(size).fill(v)));
  return arrayData(
    'toy',
    images,
    SHAPE,
    levels.map((v) => (v > 0.5 ? 1 : 0)),
    { numClasses: 2 },
  );
}

const LEVELS = [0.1, 0.2, 0.3, 0.47, 0.53, 0.7, 0.8, 0.9];
const bim: NamedAttack = { name: 'linf-bim', attack: () => new LinfBasicIterativeAttack({ steps: 3 }) };

async function warningsOf(forward: (x: Tensor4D) => Tensor2D, levels = LEVELS): Promise<string[]> {
  const model = functionModel(forward, options);
  const result = await evaluate(
    model,
    flatImages(levels),
    { name: 'custom', attacks: [bim] },
    {
      norm: 'linf',
      eps: 0.01,
    },
  );
  return result.warnings;
}

before(async () => {
  await initEngine();
});

test('a model with logits raises no warning', async () => {
  const before = tf.memory().numTensors;
  assert.deepEqual(await warningsOf((x) => logitsOf(brightness(x))), []);
  assert.equal(tf.memory().numTensors, before, 'no tensor left behind');
});

test('softmax outputs are flagged as probabilities', async () => {
  const warnings = await warningsOf((x) => tf.softmax(logitsOf(brightness(x))) as Tensor2D);
  assert.equal(warnings.length, 1, warnings.join('\n'));
  assert.match(warnings[0], /outputs look like probabilities/);
  const probabilities = tf.tensor2d([
    [0.25, 0.75],
    [1, 0],
  ]);
  const logits = tf.tensor2d([
    [0.25, 0.75],
    [2, -1],
  ]);
  assert.equal(probabilityRows(probabilities), 2);
  assert.equal(probabilityRows(logits), 1);
  tf.dispose([probabilities, logits]);
});

test('a randomized model is flagged', async () => {
  const noisy = (x: Tensor4D) =>
    tf.add(logitsOf(brightness(x)), tf.randomNormal([x.shape[0], 2], 0, 0.1)) as Tensor2D;
  const warnings = await warningsOf(noisy);
  assert.equal(warnings.length, 1, warnings.join('\n'));
  assert.match(warnings[0], /the model is randomized \(two passes on the same inputs differ\)/);
  const a = tf.tensor2d([[1, 2]]);
  const b = tf.tensor2d([[2, 4]]);
  const c = tf.tensor2d([[1, 2.01]]);
  assert.equal(outputsDiffer(a, b), false, 'the same direction is the same output (AutoAttack normalises)');
  assert.equal(outputsDiffer(a, c), true);
  tf.dispose([a, b, c]);
});

test('zero and non-finite gradients are counted', async () => {
  // Rounded brightness: a staircase whose gradient is zero everywhere.
  const staircase = (x: Tensor4D) => logitsOf(tf.div(tf.round(tf.mul(brightness(x), 10)), 10));
  const zero = await warningsOf(staircase);
  assert.equal(zero.length, 1, zero.join('\n'));
  assert.match(zero[0], /the input gradient is zero on 8 of 8 inputs/);
  // sqrt has an infinite slope at 0: the two black images get non-finite gradients.
  const root = (x: Tensor4D) => logitsOf(tf.mean(tf.reshape(tf.sqrt(x), [x.shape[0], -1]), 1, true));
  const nonFinite = await warningsOf(root, [0, 0, 0.3, 0.8, 0.9]);
  assert.equal(nonFinite.length, 1, nonFinite.join('\n'));
  assert.match(nonFinite[0], /not finite \(NaN or infinite\) on 2 of 5 inputs/);
  const g = tf.tensor4d([0, 0, 0, 0, 0, 1, 0, 0, NaN, 0, 0, 0], [3, 2, 2, 1]);
  assert.deepEqual(badGradients(g), { zero: 1, nonFinite: 1 });
  g.dispose();
});

test('a gradient-free attack that fools what the gradient attack could not is flagged, with the count', async () => {
  const staircase = functionModel(
    (x) => logitsOf(tf.div(tf.round(tf.mul(brightness(x), 100)), 100)),
    options,
  );
  const noise: NamedAttack = {
    name: 'linf-uniform-noise',
    attack: (seed) => new LinfAdditiveUniformNoise({ repeats: 20, seed }),
  };
  const result = await evaluate(
    staircase,
    flatImages(LEVELS),
    { name: 'custom', attacks: [bim, noise] },
    { norm: 'linf', eps: 0.1, seed: 1 },
  );
  const [afterBim, afterNoise] = result.attacks.map((a) => a.robustAccuracy);
  assert.equal(afterBim, 1, 'BIM cannot move without a gradient');
  const fooled = result.perImage.filter((p) => p.fooledBy === 'linf-uniform-noise').length;
  assert.ok(fooled >= 2, 'noise fools the images near the boundary (0.47, 0.53)');
  assert.equal(afterNoise, (8 - fooled) / 8);
  const masking = result.warnings.filter((w) => w.startsWith('gradient-free attack'));
  assert.deepEqual(masking, [
    `gradient-free attack linf-uniform-noise fooled ${fooled} images that the gradient attacks before it ` +
      '(linf-bim) did not: a sign of gradient masking; try more iterations, restarts or an adaptive attack',
  ]);
  assert.ok(result.warnings.some((w) => /the input gradient is zero on 8 of 8/.test(w)));
});

test('robust accuracy rising with eps, images regained at a larger eps, and changing clean accuracy are flagged', () => {
  const point = (eps: number, robust: boolean[], clean = 0.75) => ({
    eps,
    cleanAccuracy: clean,
    robustAccuracy: robust.filter(Boolean).length / robust.length,
    robust,
  });
  assert.deepEqual(
    epsilonWarnings([point(0.1, [true, true, false, false]), point(0.2, [true, false, false, false])]),
    [],
  );
  const rising = epsilonWarnings([
    point(0.2, [true, true, true, false]),
    point(0.1, [true, false, false, false]),
  ]);
  assert.deepEqual(rising, [
    'robust accuracy rises with eps: 0.25 at eps 0.1, 0.75 at eps 0.2 (2 images robust at 0.2 but not at 0.1): ' +
      'the attacks miss adversarials',
  ]);
  const regained = epsilonWarnings([
    point(0.1, [true, false, false, false]),
    point(0.2, [false, true, false, false]),
  ]);
  assert.equal(regained.length, 1);
  assert.match(regained[0], /^1 image robust at eps 0\.2 but not at the smaller eps 0\.1/);
  const changing = epsilonWarnings([point(0.1, [true, false], 0.5), point(0.2, [true, false], 1)]);
  assert.deepEqual(changing, ['clean accuracy differs between the runs (0.5, 1): the model is randomized']);
});
