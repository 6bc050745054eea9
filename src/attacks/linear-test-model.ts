/**
 * A linear classifier with a closed-form minimal perturbation, for testing minimization attacks: logits
 * `z = W flatten(x) + b`. For an input predicted as c, the smallest Lp perturbation that makes another
 * class k win is `(z_c - z_k) / ||w_c - w_k||_q` (q the dual norm of p), and the smallest one that
 * misclassifies is the minimum over k (when that point stays inside the bounds, as for these inputs).
 */
import { tf, type Tensor2D, type Tensor4D } from '../engine/tf.js';
import type { Norm } from '../distances/index.js';
import { functionModel } from '../models/forward-model.js';
import type { Model } from '../models/model.js';

export const LINEAR_SHAPE = [3, 3, 1] as const;
const D = 9;

/** Deterministic weights `[D, K]` and biases `[K]` for `classes` classes. */
function parameters(classes: number): { w: number[][]; b: number[] } {
  const w = Array.from({ length: D }, (_, i) =>
    Array.from({ length: classes }, (_, k) => Math.sin(1 + 3 * i + 7 * k) * (k === 0 ? 1 : 0.8)),
  );
  const b = Array.from({ length: classes }, (_, k) => [0.2, 0.05][k] ?? 0);
  return { w, b };
}

export interface LinearFixture {
  model: Model;
  /** Logits of one flattened input, in JS. */
  logitsOf(pixels: readonly number[]): number[];
  /** The smallest perturbation in `norm` that misclassifies `pixels` (closed form). */
  minimalNorm(pixels: readonly number[], norm: Exclude<Norm, 'l0'>): number;
  /** Frees the weights. */
  dispose(): void;
}

const DUAL: Record<Exclude<Norm, 'l0'>, (v: number[]) => number> = {
  l2: (v) => Math.hypot(...v),
  linf: (v) => v.reduce((s, x) => s + Math.abs(x), 0),
  l1: (v) => Math.max(...v.map(Math.abs)),
};

export function linearFixture(classes = 3): LinearFixture {
  const { w, b } = parameters(classes);
  const weights = tf.keep(tf.tensor2d(w));
  const biases = tf.keep(tf.tensor1d(b));
  const model = functionModel(
    (x: Tensor4D) => tf.add(tf.matMul(tf.reshape(x, [-1, D]), weights), biases) as Tensor2D,
    {
      name: `linear-${classes}`,
      inputShape: LINEAR_SHAPE,
      labels: Array.from({ length: classes }, (_, k) => `class ${k}`),
    },
  );
  const logitsOf = (pixels: readonly number[]) =>
    b.map((bk, k) => pixels.reduce((s, p, i) => s + p * w[i][k], bk));
  const minimalNorm = (pixels: readonly number[], norm: Exclude<Norm, 'l0'>) => {
    const z = logitsOf(pixels);
    const c = z.indexOf(Math.max(...z));
    let best = Infinity;
    for (let k = 0; k < classes; k++) {
      if (k === c) continue;
      const diff = w.map((row) => row[c] - row[k]);
      best = Math.min(best, (z[c] - z[k]) / DUAL[norm](diff));
    }
    return best;
  };
  return { model, logitsOf, minimalNorm, dispose: () => tf.dispose([weights, biases]) };
}

/** Inputs near the middle of [0, 1], so that the minimal perturbations stay in bounds. */
export function linearInputs(count: number): number[][] {
  return Array.from({ length: count }, (_, n) =>
    Array.from({ length: D }, (_, i) => 0.5 + 0.15 * Math.sin(2 + 5 * n + 11 * i)),
  );
}
