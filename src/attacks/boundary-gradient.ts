/**
 * HopSkipJump's estimate of the direction across the decision boundary at a boundary point x (Chen et al.
 * 2020, foolbox 3's approximate_gradients): random unit directions u (Gaussian for L2, uniform in [-1,1]^d
 * for Linf, each scaled to unit L2 norm), probes clip(x + delta u) and the criterion's verdict phi = +-1 on
 * each; the estimate is mean((phi - mean phi) u') with u' the probe's actual displacement over delta (no
 * baseline when all verdicts agree), scaled to unit L2 norm per input. Costs `samples[j]` queries for row j,
 * sent in chunks that keep the working set small.
 */
import { tf, type Tensor4D } from '../engine/tf.js';
import type { Rng } from '../engine/random.js';
import { imagesPerChunk } from './probe-batches.js';
import { perRow } from './per-input.js';
import type { QueryOracle } from './query-oracle.js';
import { gaussian, uniform } from './random-probes.js';

export type BoundaryNorm = 'l2' | 'linf';

/** Unit-L2 random directions of one of the two HopSkipJump kinds, `[n, h, w, c]`. Call in a tidy. */
function directions(shape: number[], norm: BoundaryNorm, rng: Rng): Tensor4D {
  const raw = norm === 'l2' ? gaussian(shape, rng) : uniform(shape, -1, 1, rng);
  const flat = tf.reshape(raw, [shape[0], -1]);
  return tf.div(raw, tf.reshape(tf.add(tf.norm(flat, 'euclidean', 1), 1e-12), [-1, 1, 1, 1])) as Tensor4D;
}

/**
 * The boundary normal estimate at `x` (images of inputs `rows`), probing at distance `delta[j]` with
 * `samples[j]` directions for row j.
 */
export async function estimateBoundaryGradient(
  oracle: QueryOracle,
  x: Tensor4D,
  rows: readonly number[],
  delta: readonly number[],
  samples: readonly number[],
  norm: BoundaryNorm,
  rng: Rng,
): Promise<Tensor4D> {
  const [n, h, w, c] = x.shape;
  const most = Math.max(...samples);
  const perChunk = Math.max(1, Math.floor(imagesPerChunk(h * w * c) / n));
  // per row: sum of phi u', sum of u', sum of phi
  let weighted = tf.zeros(x.shape) as Tensor4D;
  let plain = tf.zeros(x.shape) as Tensor4D;
  const phiSum = new Array<number>(n).fill(0);
  try {
    for (let done = 0; done < most; done += perChunk) {
      const k = Math.min(perChunk, most - done);
      // rows that still need samples in this chunk, and how many
      const takes = samples.map((s) => Math.max(0, Math.min(k, s - done)));
      const members = rows.flatMap((_, j) => (takes[j] > 0 ? [j] : []));
      const count = members.reduce((sum, j) => sum + takes[j], 0);
      const owners = members.flatMap((j) => new Array<number>(takes[j]).fill(rows[j]));
      const index = members.flatMap((j) => new Array<number>(takes[j]).fill(j));
      const { probes, displacement } = tf.tidy(() => {
        const centre = tf.gather(x, tf.tensor1d(index, 'int32')) as Tensor4D;
        const scale = perRow(index.map((j) => delta[j]));
        const u = directions([count, h, w, c], norm, rng);
        const probes = tf.clipByValue(tf.add(centre, tf.mul(u, scale)), ...oracle.bounds) as Tensor4D;
        return { probes, displacement: tf.div(tf.sub(probes, centre), tf.add(scale, 1e-8)) as Tensor4D };
      });
      let verdict: boolean[];
      try {
        verdict = await oracle.isAdversarial(probes, owners);
      } catch (error) {
        tf.dispose([probes, displacement]);
        throw error;
      }
      const phi = verdict.map((a) => (a ? 1 : -1));
      phi.forEach((p, m) => (phiSum[index[m]] += p));
      const next = tf.tidy(() => {
        const segment = tf.tensor1d(index, 'int32');
        const signed = tf.mul(displacement, perRow(phi));
        const flat = (t: tf.Tensor) => tf.reshape(t, [count, -1]);
        const sumBy = (t: tf.Tensor) => tf.reshape(tf.unsortedSegmentSum(flat(t), segment, n), x.shape);
        return { weighted: tf.add(weighted, sumBy(signed)), plain: tf.add(plain, sumBy(displacement)) };
      });
      tf.dispose([probes, displacement, weighted, plain]);
      weighted = next.weighted as Tensor4D;
      plain = next.plain as Tensor4D;
    }
    return tf.tidy(() => {
      const mean = phiSum.map((s, j) => s / samples[j]);
      // baseline: subtract the mean verdict unless every verdict agreed
      const baseline = mean.map((m) => (Math.abs(m) === 1 ? 0 : m));
      const sum = tf.sub(weighted, tf.mul(plain, perRow(baseline)));
      const flat = tf.reshape(sum, [n, -1]);
      const unit = tf.div(flat, tf.add(tf.norm(flat, 'euclidean', 1, true), 1e-12));
      return tf.reshape(unit, x.shape) as Tensor4D;
    });
  } finally {
    tf.dispose([weighted, plain]);
  }
}
