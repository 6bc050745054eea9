/**
 * The smallest adversarial found so far, per input: what every minimization attack returns. Inputs for which
 * no adversarial was found keep the clean input (foolbox returns zeros there; the clean input keeps `raw`
 * meaningful and in bounds, and `success` says it failed).
 */
import { tf, type Tensor4D } from '../engine/tf.js';
import { selectRows } from './per-input.js';

export class BestAdversarial {
  private best: Tensor4D;
  /** The norm of each input's best perturbation (Infinity while none was found). */
  readonly norms: number[];

  constructor(inputs: Tensor4D) {
    this.best = tf.clone(inputs);
    this.norms = new Array<number>(inputs.shape[0]).fill(Infinity);
  }

  /** Whether an adversarial was found for each input. */
  get found(): boolean[] {
    return this.norms.map(Number.isFinite);
  }

  /**
   * Keeps row n of `candidate` where it is adversarial and its perturbation norm is below the best so far
   * (or equal, with `orEqual`, as foolbox's DDN and FMN do). Returns which rows were taken.
   */
  update(
    candidate: Tensor4D,
    adversarial: readonly boolean[],
    norms: readonly number[],
    orEqual = false,
  ): boolean[] {
    const take = adversarial.map(
      (adv, n) => adv && (norms[n] < this.norms[n] || (orEqual && norms[n] === this.norms[n])),
    );
    if (!take.some(Boolean)) return take;
    const previous = this.best;
    this.best = selectRows(take, candidate, previous);
    previous.dispose();
    take.forEach((t, n) => {
      if (t) this.norms[n] = norms[n];
    });
    return take;
  }

  /** Hands the tensor over (the tracker must not be used afterwards). */
  take(): Tensor4D {
    return this.best;
  }

  dispose(): void {
    this.best.dispose();
  }
}
