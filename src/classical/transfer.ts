/**
 * The transferability matrix of Papernot, McDaniel & Goodfellow (2016): for adversarial examples crafted
 * on each source model, the fraction that each target model misclassifies. Crafting is left to the
 * caller (a gradient attack for differentiable sources, `treeAttack` for trees, a substitute for the
 * others), so this works with any attack that returns rows.
 */
import type { Predictor } from './classifier.js';

export interface TransferSource {
  name: string;
  /** Adversarial rows crafted on the source, one per labelled input (same order as `labels`). */
  adversarial: Float32Array;
}

export interface TransferTarget {
  name: string;
  model: Predictor;
}

export interface TransferMatrix {
  sources: string[];
  targets: string[];
  /** rate[s][t]: fraction of source s's adversarial rows that target t does not label correctly. */
  rate: number[][];
  /** Inputs counted per cell. */
  count: number;
}

export interface TransferOptions {
  /** Count only inputs that `mask[n]` keeps (e.g. those every model classifies correctly when clean). */
  mask?: ArrayLike<boolean>;
}

export function transferMatrix(
  sources: readonly TransferSource[],
  targets: readonly TransferTarget[],
  labels: ArrayLike<number>,
  options: TransferOptions = {},
): TransferMatrix {
  const n = labels.length;
  const mask = options.mask;
  if (mask !== undefined && mask.length !== n)
    throw new Error(`transfer: mask has ${mask.length} entries for ${n} labels`);
  let count = 0;
  for (let i = 0; i < n; i++) if (mask === undefined || mask[i]) count++;
  const rate = sources.map((source) =>
    targets.map((target) => {
      const d = target.model.numFeatures;
      if (source.adversarial.length !== n * d) {
        throw new Error(
          `transfer: source '${source.name}' has ${source.adversarial.length} values, target '${target.name}' needs ${n} rows of ${d}`,
        );
      }
      const predicted = target.model.predict(source.adversarial);
      let fooled = 0;
      for (let i = 0; i < n; i++) if ((mask === undefined || mask[i]) && predicted[i] !== labels[i]) fooled++;
      return count === 0 ? 0 : fooled / count;
    }),
  );
  return { sources: sources.map((s) => s.name), targets: targets.map((t) => t.name), rate, count };
}
