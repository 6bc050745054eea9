/**
 * Minimal-epsilon search for a fixed-epsilon attack (the book's
 * `FGSM(threshold=.9, criterion=ConfidentMisclassification(.9))`, which looks for the smallest step that
 * fools the model): per image, scan an ascending grid of epsilons until the criterion holds, then bisect
 * between the last failing and the first succeeding grid point.
 *
 * Each image is attacked on its own (batch of one), so its result depends only on that image, the attack
 * (with its seed) and the epsilon: re-running the attack at any epsilon reproduces what the search saw.
 * By construction the grid epsilon found is the smallest on the grid at which the criterion holds, and
 * the bisection result `eps` satisfies `failingEps < eps <= gridEps` with the attack failing at
 * `failingEps`.
 */
import { tf, type Tensor4D } from '../engine/tf.js';
import { asCriterion, type Criterion } from '../criteria/index.js';
import type { Model } from '../models/model.js';
import { evaluateCriterion, validateInputs, type Attack } from './attack.js';

export interface EpsilonSearchProgress {
  image: number;
  images: number;
  phase: 'grid' | 'bisection';
  eps: number;
  /** Attack runs so far for this image. */
  runs: number;
}

export interface EpsilonSearchOptions {
  /** Strictly ascending candidate epsilons > 0, in units of the bounds. */
  grid: readonly number[];
  /** Bisection steps between the last failing and the first succeeding grid epsilon (default 6). */
  bisectionSteps?: number;
  onProgress?: (progress: EpsilonSearchProgress) => void;
}

export interface MinimalEpsilon {
  /** Smallest epsilon found at which the criterion holds (after bisection); null if none on the grid. */
  eps: number | null;
  /** Smallest grid epsilon at which the criterion holds; null if none (0 when the clean input already does). */
  gridEps: number | null;
  /** The largest epsilon tried below `eps` at which the criterion fails (0 means the clean input). */
  failingEps: number;
  /** How many times the attack was run for this image. */
  runs: number;
}

export interface EpsilonSearchResult {
  images: MinimalEpsilon[];
  /**
   * Per image: the clipped adversarial at `eps`; where none was found, what the attack produced at the
   * largest grid epsilon (the clean input when the criterion already held). Caller disposes.
   */
  adversarial: Tensor4D;
  success: boolean[];
}

/** `start, start+step, ..., <= stop`: a grid for the search (e.g. 1/255 .. 32/255 by 1/255). */
export function epsilonGrid(start: number, stop: number, step: number): number[] {
  if (!(start > 0) || !(step > 0) || !(stop >= start) || ![start, stop, step].every(Number.isFinite)) {
    throw new Error(`epsilon grid: need 0 < start <= stop and step > 0 (got ${start}:${stop}:${step})`);
  }
  const out: number[] = [];
  for (let i = 0; start + i * step <= stop * (1 + 1e-9); i++)
    out.push(Number((start + i * step).toPrecision(12)));
  return out;
}

export function validateGrid(grid: readonly number[], model: Model): void {
  if (grid.length === 0) throw new Error('epsilon grid: give at least one epsilon');
  const range = model.bounds[1] - model.bounds[0];
  grid.forEach((eps, i) => {
    if (!Number.isFinite(eps) || eps <= 0) throw new Error(`epsilon grid: values must be > 0 (got ${eps})`);
    if (eps > range + 1e-12) throw new Error(`epsilon grid: ${eps} exceeds the bounds' range ${range}`);
    if (i > 0 && !(eps > grid[i - 1]))
      throw new Error(`epsilon grid: values must be strictly ascending (${grid[i - 1]} then ${eps})`);
  });
}

function row(x: Tensor4D, n: number): Tensor4D {
  return tf.slice(x, [n, 0, 0, 0], [1, -1, -1, -1]);
}

/** One attack run on a single image at `eps`: the clipped adversarial and whether the criterion holds. */
async function attempt(attack: Attack, model: Model, x: Tensor4D, criterion: Criterion, eps: number) {
  const result = await attack.run(model, x, criterion, { epsilons: eps });
  result.raw.dispose();
  return { adversarial: result.clipped, success: result.success[0] };
}

/** Searches, per image, the smallest epsilon at which `attack` satisfies the criterion. */
export async function minimalEpsilonSearch(
  attack: Attack,
  model: Model,
  inputs: Tensor4D,
  criterionOrLabels: Criterion | ArrayLike<number>,
  options: EpsilonSearchOptions,
): Promise<EpsilonSearchResult> {
  validateGrid(options.grid, model);
  validateInputs(model, inputs);
  const bisectionSteps = options.bisectionSteps ?? 6;
  if (!Number.isInteger(bisectionSteps) || bisectionSteps < 0) {
    throw new Error(`bisection steps must be an integer >= 0 (got ${bisectionSteps})`);
  }
  const criterion = asCriterion(criterionOrLabels);
  const count = inputs.shape[0];
  const images: MinimalEpsilon[] = [];
  const adversarials: Tensor4D[] = [];
  const success: boolean[] = [];

  // The image and best adversarial in flight, freed if an attack run throws.
  let x: Tensor4D | null = null;
  let best: Tensor4D | null = null;
  try {
    for (let n = 0; n < count; n++) {
      x = row(inputs, n);
      const c = criterion.subset([n]);
      let runs = 0;
      const report = (phase: EpsilonSearchProgress['phase'], eps: number) =>
        options.onProgress?.({ image: n, images: count, phase, eps, runs });

      if ((await evaluateCriterion(model, c, x))[0]) {
        images.push({ eps: 0, gridEps: 0, failingEps: 0, runs });
        adversarials.push(x);
        success.push(true);
        continue;
      }
      best = null;
      let lo = 0;
      let hi = 0;
      let gridEps: number | null = null;
      for (const eps of options.grid) {
        report('grid', eps);
        const { adversarial, success: ok } = await attempt(attack, model, x, c, eps);
        runs++;
        best?.dispose();
        best = adversarial;
        if (ok) {
          gridEps = hi = eps;
          break;
        }
        lo = eps;
      }
      if (best !== null && gridEps !== null) {
        for (let s = 0; s < bisectionSteps; s++) {
          const mid = (lo + hi) / 2;
          if (!(mid > lo && mid < hi)) break;
          report('bisection', mid);
          const { adversarial, success: ok } = await attempt(attack, model, x, c, mid);
          runs++;
          if (ok) {
            best.dispose();
            best = adversarial;
            hi = mid;
          } else {
            adversarial.dispose();
            lo = mid;
          }
        }
        x.dispose();
        images.push({ eps: hi, gridEps, failingEps: lo, runs });
        adversarials.push(best);
        success.push(true);
      } else {
        x.dispose();
        images.push({ eps: null, gridEps: null, failingEps: lo, runs });
        adversarials.push(best as Tensor4D);
        success.push(false);
      }
    }
  } catch (error) {
    tf.dispose([...adversarials, ...(x === null ? [] : [x]), ...(best === null ? [] : [best])]);
    throw error;
  }
  const adversarial = tf.concat(adversarials) as Tensor4D;
  tf.dispose(adversarials);
  return { images, adversarial, success };
}
