/**
 * FAB's box-constrained projections onto a hyperplane: against fra31/auto-attack's fab_projections.py on
 * random rows (float64; src/evaluation/autoattack-golden.json, made by scripts/autoattack-golden.py), and
 * by their defining properties: the projected point lies on the hyperplane and in the box, and no other
 * such point found by random search is nearer in the projection's norm.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Rng } from '../engine/random.js';
import { readAutoAttackGolden } from '../evaluation/autoattack-golden.js';
import {
  projectL2UnitBox,
  projectLinfUnitBox,
  projectOntoHyperplane,
  type ProjectionNorm,
} from './fab-projections.js';

const project = (norm: ProjectionNorm) => (norm === 'linf' ? projectLinfUnitBox : projectL2UnitBox);

function lp(values: ArrayLike<number>, norm: ProjectionNorm): number {
  const abs = Array.from(values, Math.abs);
  return norm === 'linf' ? Math.max(0, ...abs) : Math.sqrt(abs.reduce((s, v) => s + v * v, 0));
}

const dot = (a: ArrayLike<number>, b: ArrayLike<number>) =>
  Array.from(a).reduce((s, v, i) => s + v * b[i], 0);

test('the projections agree with fab_projections.py on its own random rows', () => {
  const cases = readAutoAttackGolden().projections;
  assert.ok(cases.length >= 40, `only ${cases.length} golden rows`);
  for (const norm of ['linf', 'l2'] as const)
    assert.ok(
      cases.some((c) => c.norm === norm),
      `no ${norm} rows`,
    );
  for (const c of cases) {
    const d = project(c.norm)(c.t, c.w, c.b);
    const error = Math.max(...c.d.map((v, i) => Math.abs(v - d[i])));
    assert.ok(error < 1e-9, `${c.norm}, ${c.t.length} values: off by ${error}`);
  }
});

for (const norm of ['linf', 'l2'] as const) {
  test(`${norm}: a reachable hyperplane is hit inside the box, by the nearest such point`, () => {
    const rng = new Rng(7);
    for (let trial = 0; trial < 40; trial++) {
      const n = 2 + rng.int(6);
      const t = Array.from({ length: n }, () => (rng.next() < 0.3 ? Math.round(rng.next()) : rng.next()));
      const w = Array.from({ length: n }, () => rng.next() * 2 - 1);
      // A target point inside the box fixes b, so that the hyperplane meets the box.
      const inside = Array.from({ length: n }, () => rng.next());
      const b = dot(w, inside);
      const d = project(norm)(t, w, b);
      const x = t.map((v, i) => v + d[i]);
      x.forEach((v) => assert.ok(v >= -1e-9 && v <= 1 + 1e-9, `${v} outside [0, 1]`));
      assert.ok(Math.abs(dot(w, x) - b) < 1e-9, `<w, t + d> - b = ${dot(w, x) - b}`);
      // No random point of the box on the hyperplane (a box point moved along w onto it) is nearer.
      for (let k = 0; k < 200; k++) {
        const y = Array.from({ length: n }, () => rng.next());
        const shift = (b - dot(w, y)) / dot(w, w);
        const z = y.map((v, i) => v + shift * w[i]);
        if (z.some((v) => v < 0 || v > 1)) continue;
        const other = lp(
          z.map((v, i) => v - t[i]),
          norm,
        );
        assert.ok(lp(d, norm) <= other + 1e-9, `a nearer point: ${other} < ${lp(d, norm)}`);
      }
    }
  });
}

test('an unreachable hyperplane: the projection goes to the box corner nearest to it', () => {
  const t = [0.5, 0.5];
  const w = [1, -1];
  const d = projectLinfUnitBox(t, w, 10); // <w, x> <= 1 in the box
  assert.deepEqual(Array.from(d), [0.5, -0.5]);
});

test('other bounds: the projection is the unit-box one in rescaled coordinates', () => {
  const rng = new Rng(3);
  for (const norm of ['linf', 'l2'] as const) {
    const n = 6;
    const t = Array.from({ length: n }, () => rng.next() * 255);
    const w = Array.from({ length: n }, () => rng.next() - 0.5);
    const b = dot(w, t) + 3;
    const d = projectOntoHyperplane(norm, t, w, b, [0, 255]);
    const unit = project(norm)(
      t.map((v) => v / 255),
      w.map((v) => v * 255),
      b,
    );
    d.forEach((v, i) => assert.ok(Math.abs(v - unit[i] * 255) < 1e-9));
    t.forEach((v, i) => assert.ok(v + d[i] >= -1e-9 && v + d[i] <= 255 + 1e-9));
  }
});
