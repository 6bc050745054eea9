import assert from 'node:assert/strict';
import { test } from 'node:test';
import { tf } from '../engine/tf.js';
import { initEngine } from '../engine/backend.js';
import { Rng } from '../engine/random.js';
import {
  clipToEpsBall,
  distance,
  normalizeGradient,
  perturbationNorm,
  projectPerturbation,
  randomInBall,
  type Norm,
} from './index.js';

const rows = (t: tf.Tensor) => Array.from(t.dataSync());

test('distances per sample', async () => {
  await initEngine();
  const a = tf.zeros([2, 2, 2, 1]);
  const b = tf.tensor4d([0, 0.5, 0, -0.25, 0, 0, 0, 0.1], [2, 2, 2, 1]);
  assert.deepEqual(rows(distance('l0', a, b)), [2, 1]);
  assert.deepEqual(
    rows(distance('l1', a, b)).map((v) => +v.toFixed(6)),
    [0.75, 0.1],
  );
  assert.deepEqual(
    rows(distance('linf', a, b)).map((v) => +v.toFixed(6)),
    [0.5, 0.1],
  );
  assert.deepEqual(
    rows(distance('l2', a, b)).map((v) => +v.toFixed(6)),
    [+Math.sqrt(0.3125).toFixed(6), 0.1],
  );
  assert.deepEqual(
    rows(distance('mse', a, b)).map((v) => +v.toFixed(6)),
    [+(0.3125 / 4).toFixed(6), +(0.01 / 4).toFixed(6)],
  );
  assert.throws(() => distance('l2', a, tf.zeros([2, 4])), /shapes differ/);
});

for (const norm of ['linf', 'l2', 'l1'] as Norm[]) {
  test(`projection onto the ${norm} ball: inside stays, outside lands on the sphere, it is the nearest point`, async () => {
    const delta = tf.randomNormal([16, 5, 5, 3], 0, 1, 'float32', 3);
    const eps = 0.7;
    const projected = projectPerturbation(delta, norm, eps);
    const norms = rows(perturbationNorm(projected, norm));
    norms.forEach((v) => assert.ok(v <= eps * (1 + 1e-5), `norm ${v} > eps`));
    const big = rows(perturbationNorm(delta, norm));
    big.forEach((v, i) => {
      if (v > eps)
        assert.ok(
          Math.abs(norms[i] - eps) < 1e-4 * Math.max(1, eps),
          `row ${i} not on the sphere: ${norms[i]}`,
        );
    });
    // Nearest point: no other point of the ball sampled at random is closer to delta.
    const rng = new Rng(5);
    const dist = rows(distance('l2', delta, projected));
    for (let trial = 0; trial < 5; trial++) {
      const other = randomInBall(delta.shape, norm, eps, () => rng.seed());
      rows(distance('l2', delta, other)).forEach((d, i) =>
        assert.ok(d >= dist[i] - 1e-4, `a random point is nearer (${d} < ${dist[i]})`),
      );
    }
    const small = tf.mul(projected, 0.5);
    assert.ok(
      tf.max(tf.abs(tf.sub(projectPerturbation(small, norm, eps), small))).dataSync()[0] < 1e-6,
      'a point inside the ball moved',
    );
  });
}

test('random points lie inside the ball; same seed, same points', async () => {
  for (const norm of ['linf', 'l2', 'l1'] as Norm[]) {
    const a = randomInBall([8, 4, 4, 1], norm, 0.3, () => 11);
    rows(perturbationNorm(a, norm)).forEach((v) => assert.ok(v <= 0.3 + 1e-6));
    assert.deepEqual(rows(a), rows(randomInBall([8, 4, 4, 1], norm, 0.3, () => 11)));
  }
});

test('clipToEpsBall stays in bounds and in the ball; normalised gradients have unit norm', async () => {
  const x0 = tf.randomUniform([4, 3, 3, 1], 0, 1, 'float32', 1);
  const x = tf.add(x0, tf.randomNormal(x0.shape, 0, 1, 'float32', 2));
  const c = clipToEpsBall(x0, x, 'linf', 0.1, [0, 1]);
  assert.ok(tf.min(c).dataSync()[0] >= 0 && tf.max(c).dataSync()[0] <= 1);
  assert.ok(tf.max(tf.abs(tf.sub(c, x0))).dataSync()[0] <= 0.1 + 1e-6);
  const g = tf.randomNormal([4, 3, 3, 1], 0, 1, 'float32', 4);
  rows(perturbationNorm(normalizeGradient(g, 'l2'), 'l2')).forEach((v) => assert.ok(Math.abs(v - 1) < 1e-5));
  rows(perturbationNorm(normalizeGradient(g, 'l1'), 'l1')).forEach((v) => assert.ok(Math.abs(v - 1) < 1e-5));
  assert.deepEqual(rows(normalizeGradient(g, 'linf')), rows(tf.sign(g)));
});
