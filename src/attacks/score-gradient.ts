/**
 * Gradient estimates from scores alone (score-based black-box attacks): antithetic finite differences
 * along random directions u, g = sum_i (f(x + s u_i) - f(x - s u_i)) u_i / (2 P s) over P pairs. With
 * Gaussian u this is NES (Ilyas et al. 2018, Wierstra et al. 2014); with Rademacher (+-1) u it is SPSA
 * (Spall 1992, Uesato et al. 2018). f is a loss of the logits to be ascended (see models/loss.ts). Probe
 * points are clipped into the model's bounds (the seam only takes images in bounds). Costs 2P queries per
 * input, sent in chunks that keep the working set small.
 */
import { tf, type Tensor1D, type Tensor2D, type Tensor4D } from '../engine/tf.js';
import type { Rng } from '../engine/random.js';
import type { AttackGoal } from '../criteria/index.js';
import { clipToBounds } from '../distances/index.js';
import { lossOfLogits } from '../models/loss.js';
import { imagesPerChunk, repeatEachRow, repeatOwners } from './probe-batches.js';
import type { QueryOracle } from './query-oracle.js';
import { gaussian, rademacher } from './random-probes.js';

export type ProbeDistribution = 'gaussian' | 'rademacher';

/** The loss kinds a score-based attack ascends. */
export type ScoreLossKind = 'crossentropy' | 'margin';

/** Per-row loss (to be ascended) of logits whose row j belongs to input `owners[j]`. */
export type ScoreLoss = (logits: Tensor2D, owners: readonly number[]) => Tensor1D;

/** The loss of a criterion's goal (labels, targeted) as a score loss: models/loss.ts's definition. */
export function goalScoreLoss(goal: AttackGoal, kind: ScoreLossKind): ScoreLoss {
  return (logits, owners) =>
    lossOfLogits(logits, { kind, labels: owners.map((i) => goal.labels[i]), targeted: goal.targeted });
}

export interface FiniteDifferenceOptions {
  /** Antithetic pairs per input (two queries each). */
  pairs: number;
  /** Probe scale s (NES's sigma, SPSA's delta). */
  scale: number;
  distribution: ProbeDistribution;
}

export interface GradientEstimate {
  /** Estimated gradient of the loss, one row per input of `rows`. */
  gradient: Tensor4D;
  /** Mean loss over each input's probe points. */
  meanLoss: number[];
}

function probes(shape: number[], distribution: ProbeDistribution, rng: Rng): Tensor4D {
  return (distribution === 'gaussian' ? gaussian(shape, rng) : rademacher(shape, rng)) as Tensor4D;
}

/** Estimates the loss gradient at `x` (the images of inputs `rows`, in that order). */
export async function estimateGradient(
  oracle: QueryOracle,
  x: Tensor4D,
  rows: readonly number[],
  loss: ScoreLoss,
  options: FiniteDifferenceOptions,
  rng: Rng,
): Promise<GradientEstimate> {
  const [n, h, w, c] = x.shape;
  const { pairs, scale, distribution } = options;
  const perChunk = Math.max(1, Math.floor(imagesPerChunk(h * w * c) / (2 * n)));
  let sum = tf.zeros(x.shape) as Tensor4D;
  const lossSum = new Array<number>(n).fill(0);
  try {
    for (let done = 0; done < pairs; done += perChunk) {
      const k = Math.min(perChunk, pairs - done);
      const owners = repeatOwners(rows, k);
      const u = probes([n * k, h, w, c], distribution, rng);
      const batch = tf.tidy(() => {
        const centre = repeatEachRow(x, k);
        const step = tf.mul(u, scale);
        return tf.concat([
          clipToBounds(tf.add(centre, step), oracle.bounds),
          clipToBounds(tf.sub(centre, step), oracle.bounds),
        ]) as Tensor4D;
      });
      let logits: Tensor2D;
      try {
        logits = await oracle.logits(batch, [...owners, ...owners]);
      } catch (error) {
        tf.dispose([u, batch]);
        throw error;
      }
      const { next, totals } = tf.tidy(() => {
        const values = loss(logits, [...owners, ...owners]);
        const [plus, minus] = tf.split(values, 2);
        const weighted = tf.mul(tf.reshape(tf.sub(plus, minus), [n * k, 1, 1, 1]), u);
        const summed = tf.sum(tf.reshape(weighted, [n, k, h, w, c]), 1);
        return {
          next: tf.add(sum, summed) as Tensor4D,
          totals: tf.sum(tf.reshape(tf.add(plus, minus), [n, k]), 1),
        };
      });
      Array.from(totals.dataSync()).forEach((v, i) => (lossSum[i] += v));
      tf.dispose([u, batch, logits, totals, sum]);
      sum = next;
    }
    const gradient = tf.tidy(() => tf.div(sum, 2 * pairs * scale)) as Tensor4D;
    return { gradient, meanLoss: lossSum.map((v) => v / (2 * pairs)) };
  } finally {
    sum.dispose();
  }
}
