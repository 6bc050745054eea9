/**
 * Random tensors for query-based attacks, which draw millions of probe values per step: generated in
 * plain JS from the attack's `Rng` (mulberry32; Gaussian values by Box-Muller), 10 to 30 times faster here
 * than tfjs' seeded random ops, and as reproducible (same seed, same values, on every backend).
 */
import { tf, type Tensor } from '../engine/tf.js';
import type { Rng } from '../engine/random.js';

const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** Standard normal values. */
export function gaussian(shape: readonly number[], rng: Rng): Tensor {
  const values = new Float32Array(size(shape));
  for (let i = 0; i < values.length; i += 2) {
    // Box-Muller: two independent normals from two uniforms (1 - u keeps the log finite)
    const radius = Math.sqrt(-2 * Math.log(1 - rng.next()));
    const angle = 2 * Math.PI * rng.next();
    values[i] = radius * Math.cos(angle);
    if (i + 1 < values.length) values[i + 1] = radius * Math.sin(angle);
  }
  return tf.tensor(values, shape as number[]);
}

/** Uniform values in [lo, hi). */
export function uniform(shape: readonly number[], lo: number, hi: number, rng: Rng): Tensor {
  const values = new Float32Array(size(shape));
  for (let i = 0; i < values.length; i++) values[i] = lo + (hi - lo) * rng.next();
  return tf.tensor(values, shape as number[]);
}

/** Rademacher values: -1 or +1 with equal probability. */
export function rademacher(shape: readonly number[], rng: Rng): Tensor {
  const values = new Float32Array(size(shape));
  for (let i = 0; i < values.length; i++) values[i] = rng.next() < 0.5 ? -1 : 1;
  return tf.tensor(values, shape as number[]);
}
