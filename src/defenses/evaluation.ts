/**
 * Robust accuracy, honestly measured: the fraction of inputs that are classified correctly and that no
 * attack run (over all restarts) turns into a misclassification, per epsilon (foolbox 3 semantics; at
 * eps 0 it is the clean accuracy). An attack may be crafted on one model and judged on another (a
 * transfer, e.g. PGD on the bare classifier judged behind the projection: the attack that ignores the
 * defense).
 */
import { tf, type Tensor4D } from '../engine/tf.js';
import { evaluateCriterion, type Attack, type AttackProgress } from '../attacks/attack.js';
import { LinfPGD } from '../attacks/gradient-descent.js';
import { Misclassification } from '../criteria/index.js';
import type { Model } from '../models/model.js';

export interface RobustnessOptions {
  /** Independent runs of the attack (different seeds); an input is robust only if it survives all. */
  restarts?: number;
  /** Craft the attack on this model instead (transfer); success is always judged on the evaluated model. */
  source?: Model;
  /** Inputs attacked at a time (default: all). */
  batchSize?: number;
  onProgress?: (done: {
    restart: number;
    restarts: number;
    batch: number;
    batches: number;
    attack?: AttackProgress;
  }) => void;
}

export interface RobustAccuracy {
  eps: number;
  /** Fraction of inputs robust at this eps. */
  robustAccuracy: number;
  /** Per input: robust (correct and never successfully attacked). */
  robust: boolean[];
}

/**
 * Robust accuracy of `model` on (x, labels) under `makeAttack(restart)` for every eps. `makeAttack`
 * builds the attack of one restart (give each restart its own seed).
 */
export async function robustAccuracy(
  model: Model,
  makeAttack: (restart: number) => Attack,
  x: Tensor4D,
  labels: readonly number[],
  epsilons: readonly number[],
  options: RobustnessOptions = {},
): Promise<RobustAccuracy[]> {
  const restarts = options.restarts ?? 1;
  if (!Number.isInteger(restarts) || restarts < 1)
    throw new Error(`robustAccuracy: restarts must be an integer >= 1 (got ${restarts})`);
  if (labels.length !== x.shape[0])
    throw new Error(`robustAccuracy: ${labels.length} labels for ${x.shape[0]} inputs`);
  if (epsilons.length === 0) throw new Error('robustAccuracy: give at least one epsilon');
  const n = x.shape[0];
  const batchSize = options.batchSize ?? n;
  const batches = Math.ceil(n / batchSize);
  const robust = epsilons.map(() => new Array<boolean>(n).fill(true));
  const source = options.source ?? model;
  for (let restart = 0; restart < restarts; restart++) {
    const attack = makeAttack(restart);
    for (let b = 0; b < batches; b++) {
      const start = b * batchSize;
      const size = Math.min(batchSize, n - start);
      const xb = size === n ? x : (tf.slice(x, [start, 0, 0, 0], [size, -1, -1, -1]) as Tensor4D);
      const yb = labels.slice(start, start + size);
      const criterion = new Misclassification(yb);
      if (restart === 0) {
        // An input the model already gets wrong is not robust at any eps, whatever the attack returns.
        (await evaluateCriterion(model, criterion, xb)).forEach((wrong, i) => {
          if (wrong) for (const r of robust) r[start + i] = false;
        });
      }
      const result = await attack.run(source, xb, criterion, {
        epsilons,
        onProgress: (p) => options.onProgress?.({ restart, restarts, batch: b, batches, attack: p }),
      });
      for (let k = 0; k < epsilons.length; k++) {
        const success =
          source === model ? result.success[k] : await evaluateCriterion(model, criterion, result.clipped[k]);
        success.forEach((s, i) => {
          if (s) robust[k][start + i] = false;
        });
      }
      tf.dispose([...result.raw, ...result.clipped]);
      if (xb !== x) xb.dispose();
      options.onProgress?.({ restart, restarts, batch: b + 1, batches });
    }
  }
  return epsilons.map((eps, k) => ({
    eps,
    robustAccuracy: robust[k].filter(Boolean).length / n,
    robust: robust[k],
  }));
}

export interface PgdProtocol {
  /** Linf radius (default 0.1). */
  eps?: number;
  /** PGD steps (default 20). */
  steps?: number;
  /** Absolute step size (default 0.0125). */
  stepSize?: number;
  /** Random start in the eps ball (default true). */
  randomStart?: boolean;
  restarts?: number;
  seed?: number;
  /** Inputs attacked at a time (default 500). */
  batchSize?: number;
}

/** Clean and robust accuracy under a PGD protocol, with the protocol's parameters. */
export interface PgdRobustness {
  clean: number;
  robust: number;
  eps: number;
  steps: number;
  stepSize: number;
  images: number;
}

/**
 * Clean and robust accuracy under the protocol (PGD-20, step 0.0125, eps 0.1, random start;
 * inspire-group/privacy-vs-robustness), on (x, labels).
 */
export async function pgdRobustness(
  model: Model,
  x: Tensor4D,
  labels: readonly number[],
  protocol: PgdProtocol = {},
): Promise<PgdRobustness> {
  const eps = protocol.eps ?? 0.1;
  const steps = protocol.steps ?? 20;
  const stepSize = protocol.stepSize ?? 0.0125;
  const seed = protocol.seed ?? 0;
  const make = (restart: number) =>
    new LinfPGD({
      steps,
      absStepsize: stepSize,
      randomStart: protocol.randomStart ?? true,
      seed: seed + restart,
    });
  const [clean, robust] = await robustAccuracy(model, make, x, labels, [0, eps], {
    restarts: protocol.restarts ?? 1,
    batchSize: protocol.batchSize ?? 500,
  });
  return {
    clean: clean.robustAccuracy,
    robust: robust.robustAccuracy,
    eps,
    steps,
    stepSize,
    images: x.shape[0],
  };
}
