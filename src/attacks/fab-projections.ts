/**
 * FAB's projections (Croce & Hein 2020; fab_projections.py of fra31/auto-attack): for a point `t`, a
 * hyperplane `<w, x> = b` and the box [lo, hi]^D, the perturbation `d` of smallest Linf or L2 norm with
 * `t + d` on the hyperplane and inside the box. When the box does not reach the hyperplane, `d` goes as far
 * towards it as the box allows. One row at a time, on plain arrays (the sorts and binary searches are
 * sequential work); the same steps and the same binary search as the reference, so that the results agree
 * with it to float precision.
 */
import type { Bounds } from '../models/model.js';

export type ProjectionNorm = 'linf' | 'l2';

type Values = ArrayLike<number>;

const BIG = 1e12;
const TINY = 1e-8;

function dot(a: Values, b: Values): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

/** Indices of `values` in ascending order. */
function argsort(values: Float64Array): Int32Array {
  const order = new Int32Array(values.length);
  for (let i = 0; i < order.length; i++) order[i] = i;
  return order.sort((i, j) => values[i] - values[j]);
}

/** Binary search of the reference: ceil(log2 D) halvings of [0, D-1], `lb` moves while `above(mid)`. */
function searchLowerBound(length: number, above: (index: number) => boolean): number {
  let lb = 0;
  let ub = length - 1;
  const steps = Math.ceil(Math.log2(length));
  for (let k = 0; k < steps; k++) {
    const mid = Math.floor((lb + ub) / 2);
    if (above(mid)) lb = mid;
    else ub = mid;
  }
  return lb;
}

/** Smallest-Linf `d` with `<w, t + d> = b`, `t + d` in [0,1]^D. */
export function projectLinfUnitBox(t: Values, wIn: Values, bIn: number): Float64Array {
  const n = t.length;
  const sign = dot(wIn, t) - bIn >= 0 ? 1 : -1;
  const w = Float64Array.from(wIn, (v) => v * sign);
  // The corner that lowers <w, x> most, the move to it, and the room p_i each coordinate has that way.
  const a = Float64Array.from(w, (v) => (v < 0 ? 1 : 0));
  const d = new Float64Array(n);
  const p = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    d[i] = w[i] !== 0 ? a[i] - t[i] : 0;
    p[i] = a[i] - t[i] * (2 * a[i] - 1);
  }
  const order = argsort(p);
  const gap = bIn * sign - dot(w, t);
  const cornerGap = dot(w, d);
  // Prefix sums over coordinates by descending room: s = sum |w|, sb = cornerGap + sum |w| p.
  const s = new Float64Array(n);
  const sb = new Float64Array(n);
  let sumW = 0;
  let sumB = cornerGap;
  for (let j = 0; j < n; j++) {
    const i = order[n - 1 - j];
    sumW += Math.abs(w[i]);
    sumB += -w[i] * d[i];
    s[j] = sumW;
    sb[j] = sumB;
  }
  const everyCoordinate = gap - (sb[n - 1] - s[n - 1] * p[order[0]]) > 0;
  const reachable = gap - cornerGap > 0 && !everyCoordinate;
  if (everyCoordinate) {
    const lambda = Math.max((gap - sb[n - 1]) / -s[n - 1], 0);
    for (let i = 0; i < n; i++) d[i] = (2 * a[i] - 1) * lambda;
  } else if (reachable) {
    const lb = searchLowerBound(n, (j) => gap - (sb[j] - s[j] * p[order[n - 1 - j]]) > 0);
    const raw = Math.max((gap - sb[lb]) / -s[lb], 0);
    const lambda = Number.isNaN(raw) ? 0 : raw;
    for (let i = 0; i < n; i++) d[i] = a[i] === 1 ? Math.min(lambda, d[i]) : Math.max(-lambda, d[i]);
  }
  for (let i = 0; i < n; i++) if (w[i] === 0) d[i] = 0;
  return d;
}

/** Smallest-L2 `d` with `<w, t + d> = b`, `t + d` in [0,1]^D. */
export function projectL2UnitBox(t: Values, wIn: Values, bIn: number): Float64Array {
  const n = t.length;
  const side = dot(wIn, t) - bIn;
  const sign = side >= 0 ? 1 : -1;
  const w = Float64Array.from(wIn, (v) => v * sign);
  const c = side * sign;
  // r_i: the step along -w at which coordinate i hits the box (BIG: never).
  const r = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    if (Math.abs(w[i]) < TINY) r[i] = BIG;
    else {
      const v = Math.min(Math.max(Math.max(t[i] / w[i], (t[i] - 1) / w[i]), -BIG), BIG);
      r[i] = v === -BIG ? BIG : v;
    }
  }
  const order = argsort(r);
  const rs = Float64Array.from(order, (i) => r[i]);
  const rs2 = new Float64Array(n);
  for (let j = 0; j + 1 < n; j++) rs2[j] = rs[j + 1];
  for (let j = 0; j < n; j++) {
    if (rs[j] === BIG) rs[j] = 0;
    if (rs2[j] === BIG) rs2[j] = 0;
  }
  let w5 = 0;
  for (let j = 0; j < n; j++) w5 += w[order[j]] ** 2;
  const ws = new Float64Array(n);
  let cumulative = 0;
  for (let j = 0; j < n; j++) {
    cumulative += w[order[j]] ** 2;
    ws[j] = w5 - cumulative;
  }
  const d = Float64Array.from(w, (v, i) => (Math.abs(v) > TINY ? -(r[i] * v) : 0));
  // s[k]: the hyperplane gap change once the k coordinates that hit the box first are fixed.
  const s = new Float64Array(n + 1);
  s[0] = -w5 * rs[0];
  let acc = 0;
  for (let j = 0; j < n; j++) {
    acc += (rs[j] - rs2[j]) * ws[j];
    s[j + 1] = acc - w5 * rs[0];
  }
  const free = s[0] + c < 0;
  const unreachable = dot(d, w) + c > 0;
  if (free) {
    const alpha = c / w5;
    for (let i = 0; i < n; i++) d[i] = -alpha * w[i];
  } else if (!unreachable) {
    const lb = searchLowerBound(n, (k) => s[k] + c > 0);
    const alpha = ws[lb] === 0 ? 0 : (s[lb] + c) / ws[lb] + rs[lb];
    for (let i = 0; i < n; i++) if (!(alpha > r[i])) d[i] = -alpha * w[i];
  }
  for (let i = 0; i < n; i++) if (!(Math.abs(w[i]) > TINY)) d[i] = 0;
  return d;
}

/**
 * The FAB projection of `t` onto `<w, x> = b` inside the box `bounds`^D, in `norm`: the unit-box
 * projection in the coordinates (x - lo) / (hi - lo), scaled back.
 */
export function projectOntoHyperplane(
  norm: ProjectionNorm,
  t: Values,
  w: Values,
  b: number,
  bounds: Bounds,
): Float64Array {
  const [lo, hi] = bounds;
  const span = hi - lo;
  let sumW = 0;
  for (let i = 0; i < w.length; i++) sumW += w[i];
  const unitT = Float64Array.from(t, (v) => (v - lo) / span);
  const unitW = Float64Array.from(w, (v) => v * span);
  const unitB = b - lo * sumW;
  const d = norm === 'linf' ? projectLinfUnitBox(unitT, unitW, unitB) : projectL2UnitBox(unitT, unitW, unitB);
  for (let i = 0; i < d.length; i++) d[i] *= span;
  return d;
}
