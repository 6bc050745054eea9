/**
 * Seeded randomness. Every random choice in advx takes a seed; the same seed gives the same result.
 * `Rng` is a small splittable generator (mulberry32) that also hands out seeds for tfjs' own seeded
 * random ops (which run in JS, so they are identical on every backend).
 */
import { AdvxError, describeValue } from '../errors.js';
import { tf, type Tensor } from './tf.js';

/** The largest seed: seeds are integers in [0, 2^32), the generator's whole state. */
export const MAX_SEED = 0xffffffff;

/** True for a seed: an integer in [0, 2^32). Larger ones would alias smaller ones, so none is accepted. */
export function isSeed(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= MAX_SEED;
}

/** What a seed must be, for messages: `must be an integer in [0, 4294967295]`. */
export const SEED_RANGE = `must be an integer in [0, ${MAX_SEED}]`;

/**
 * Returns `seed`, or throws an AdvxError (`bad-option`) naming `what` (e.g. `seed`, `fgsm: seed`) when it
 * is not an integer in [0, 2^32). The one check of seeds: Rng, attacks, experiments and the CLI use it.
 */
export function checkSeed(seed: unknown, what = 'seed'): number {
  if (!isSeed(seed))
    throw new AdvxError('bad-option', `${what} ${SEED_RANGE} (got ${describeValue(seed)})`, { option: what });
  return seed;
}

/**
 * Seed 0 has always started from this state (kept, so seeded results stay as they were); this seed starts
 * from state 0 instead, so that no two seeds share a stream.
 */
const SEED_ZERO_STATE = 0x9e3779b9;

export class Rng {
  private state: number;

  /** `seed`: an integer in [0, 2^32) (checkSeed); distinct seeds give distinct streams. */
  constructor(seed: number) {
    checkSeed(seed);
    this.state = seed === 0 ? SEED_ZERO_STATE : seed === SEED_ZERO_STATE ? 0 : seed;
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** A fresh seed for a tfjs random op or a child generator. */
  seed(): number {
    return Math.floor(this.next() * 2147483647);
  }

  /** Fisher-Yates shuffle of 0..n-1. */
  permutation(n: number): Int32Array {
    const p = new Int32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    for (let i = n - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = p[i];
      p[i] = p[j];
      p[j] = t;
    }
    return p;
  }

  uniform(shape: number[], min = 0, max = 1): Tensor {
    return tf.randomUniform(shape, min, max, 'float32', this.seed());
  }

  normal(shape: number[], mean = 0, std = 1): Tensor {
    return tf.randomNormal(shape, mean, std, 'float32', this.seed());
  }
}
