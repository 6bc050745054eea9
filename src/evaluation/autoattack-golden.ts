/**
 * The reference figures advx's AutoAttack is checked against: fra31/auto-attack (PyTorch) run on advx's
 * `fashion-mnist-cnn-robust` and the first Fashion-MNIST test images at Linf eps 0.1, by
 * scripts/autoattack-golden.py (see there for how), stored in autoattack-golden.json beside this file.
 * Per-image flags are strings of '1' (robust: classified correctly and not fooled) and '0'.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../data/locations.js';

export interface GoldenProjection {
  norm: 'linf' | 'l2';
  t: number[];
  w: number[];
  b: number;
  d: number[];
}

export interface AutoAttackGolden {
  model: string;
  weightsSha256: string;
  norm: 'linf';
  eps: number;
  seed: number;
  /** Correctly classified clean images. */
  clean: string;
  /** The standard version, each attack on the points still robust: flags after each attack. */
  standard: {
    images: number;
    order: string[];
    robustAfter: Record<string, string>;
    robustAccuracy: Record<string, number>;
    seconds: Record<string, number>;
  };
  /** Each attack alone with the CI test's smaller budgets, on the first `images` images. */
  ci: { images: number; settings: Record<string, Record<string, number>> } & Record<
    string,
    { robust: string; seconds: number }
  >;
  projections: GoldenProjection[];
}

export const AUTOATTACK_GOLDEN_FILE = join(packageRoot, 'src', 'evaluation', 'autoattack-golden.json');

export function readAutoAttackGolden(path = AUTOATTACK_GOLDEN_FILE): AutoAttackGolden {
  return JSON.parse(readFileSync(path, 'utf8')) as AutoAttackGolden;
}

/** A flag string as booleans (true: robust). */
export function robustFlags(flags: string): boolean[] {
  return Array.from(flags, (f) => f === '1');
}
