/**
 * Seeded randomness. Every random choice in advx takes a seed; the same seed gives the same result.
 * `Rng` is a small splittable generator (mulberry32) that also hands out seeds for tfjs' own seeded
 * random ops (which run in JS, so they are identical on every backend).
 */
import { tf, type Tensor } from './tf.js';

export class Rng {
  private state: number;

  constructor(seed: number) {
    if (!Number.isFinite(seed)) throw new Error(`seed must be a finite number (got ${seed})`);
    this.state = Math.floor(seed) >>> 0 || 0x9e3779b9;
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
