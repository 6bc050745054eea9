/**
 * Where decision-based attacks (Boundary, HopSkipJump) start: an adversarial image for each input, found
 * as foolbox 3's LinearSearchBlendedUniformNoiseAttack finds it (its default initialisation): uniform
 * noise in bounds, drawn until the criterion accepts it (at most `directions` draws), then blended with
 * the input, (1 - e) x + e noise for e = 1/steps, 2/steps, ..., keeping the first e that is adversarial.
 * Unlike foolbox, an input for which no noise is adversarial is reported (found: false) instead of failing
 * the batch, the clean input is queried first (an input that is adversarial already starts, and ends,
 * there), and only inputs still searching are queried. Or the caller gives starting points, which must
 * be adversarial (one query each to check).
 */
import { tf, type Tensor4D } from '../engine/tf.js';
import type { Rng } from '../engine/random.js';
import { gatherRows, perRow, scatterRows } from './per-input.js';
import type { QueryOracle } from './query-oracle.js';
import { uniform } from './random-probes.js';

export interface StartingPoints {
  /** An adversarial per input where found, else the input itself (owned by the caller). */
  starts: Tensor4D;
  /** Whether `starts[i]` is adversarial. */
  found: boolean[];
  /** Whether the clean input is adversarial already (then `starts[i]` is the input). */
  clean: boolean[];
}

export interface BlendedNoiseOptions {
  /** Noise draws per input at most. */
  directions: number;
  /** Blending steps between the input and its noise. */
  steps: number;
}

export const BLENDED_NOISE_DEFAULTS: BlendedNoiseOptions = { directions: 1000, steps: 50 };

const allRows = (n: number) => Array.from({ length: n }, (_, i) => i);

/** Adversarial starting points by blended uniform noise (see the file comment). */
export async function blendedNoiseStart(
  oracle: QueryOracle,
  x0: Tensor4D,
  rng: Rng,
  options: BlendedNoiseOptions = BLENDED_NOISE_DEFAULTS,
): Promise<StartingPoints> {
  const n = x0.shape[0];
  const [lo, hi] = oracle.bounds;
  const clean = new Array<boolean>(n).fill(false);
  const rows = oracle.affordable(allRows(n), 1);
  if (rows.length > 0) {
    const images = gatherRows(x0, rows);
    try {
      (await oracle.isAdversarial(images, rows)).forEach((a, j) => (clean[rows[j]] = a));
    } finally {
      images.dispose();
    }
  }
  const hasNoise = new Array<boolean>(n).fill(false);
  let noise = tf.clone(x0);
  try {
    for (let draw = 0; draw < options.directions; draw++) {
      const searching = oracle.affordable(
        allRows(n).filter((i) => !clean[i] && !hasNoise[i]),
        1,
      );
      if (searching.length === 0) break;
      const candidate = uniform([searching.length, ...x0.shape.slice(1)], lo, hi, rng) as Tensor4D;
      try {
        const adversarial = await oracle.isAdversarial(candidate, searching);
        const hits = searching.flatMap((_, j) => (adversarial[j] ? [j] : []));
        if (hits.length > 0) {
          const next = tf.tidy(() =>
            scatterRows(
              noise,
              hits.map((j) => searching[j]),
              gatherRows(candidate, hits),
            ),
          );
          noise.dispose();
          noise = next;
          hits.forEach((j) => (hasNoise[searching[j]] = true));
        }
      } finally {
        candidate.dispose();
      }
    }
    // the smallest blend that is adversarial (the noise itself, e = 1, is known to be)
    const blend: number[] = allRows(n).map((i) => (clean[i] ? 0 : 1));
    const open = new Set(allRows(n).filter((i) => hasNoise[i]));
    for (let s = 1; s < options.steps; s++) {
      const e = s / options.steps;
      const searching = oracle.affordable([...open], 1);
      if (searching.length === 0) break;
      const candidate = tf.tidy(() => mix(gatherRows(x0, searching), gatherRows(noise, searching), e));
      try {
        const adversarial = await oracle.isAdversarial(candidate, searching);
        searching.forEach((i, j) => {
          if (!adversarial[j]) return;
          blend[i] = e;
          open.delete(i);
        });
      } finally {
        candidate.dispose();
      }
    }
    const starts = tf.tidy(() => tf.add(x0, tf.mul(tf.sub(noise, x0), perRow(blend))) as Tensor4D);
    return { starts, found: allRows(n).map((i) => clean[i] || hasNoise[i]), clean };
  } finally {
    noise.dispose();
  }
}

/** (1 - e) a + e b. */
function mix(a: Tensor4D, b: Tensor4D, e: number): Tensor4D {
  return tf.tidy(() => tf.add(tf.mul(a, 1 - e), tf.mul(b, e)) as Tensor4D);
}

/** Checks caller-given starting points (one query each); they must all be adversarial. */
export async function givenStart(
  oracle: QueryOracle,
  x0: Tensor4D,
  startingPoints: Tensor4D,
  attackName: string,
): Promise<StartingPoints> {
  const n = x0.shape[0];
  if (startingPoints.shape.join() !== x0.shape.join())
    throw new Error(
      `${attackName}: startingPoints have shape [${startingPoints.shape}] but the inputs [${x0.shape}]`,
    );
  const [lo, hi] = oracle.bounds;
  const [min, max] = tf.tidy(() => [
    tf.min(startingPoints).dataSync()[0],
    tf.max(startingPoints).dataSync()[0],
  ]);
  if (min < lo || max > hi)
    throw new Error(
      `${attackName}: startingPoints span [${min}, ${max}], outside the model's bounds [${lo}, ${hi}]`,
    );
  const rows = oracle.affordable(allRows(n), 1);
  if (rows.length < n)
    throw new Error(`${attackName}: maxQueries leaves no query to check the startingPoints`);
  const adversarial = await oracle.isAdversarial(startingPoints, rows);
  const bad = rows.filter((_, j) => !adversarial[j]);
  if (bad.length > 0)
    throw new Error(
      `${attackName}: ${bad.length} of ${n} startingPoints are not adversarial (inputs ${bad.slice(0, 10).join(', ')}${bad.length > 10 ? ', ...' : ''})`,
    );
  const distance = tf.tidy(() => tf.max(tf.abs(tf.sub(startingPoints, x0)), [1, 2, 3]));
  const clean = Array.from(distance.dataSync(), (d) => d === 0);
  distance.dispose();
  return { starts: tf.clone(startingPoints), found: new Array<boolean>(n).fill(true), clean };
}
