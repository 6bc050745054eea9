/** Shared training of the linear models: zero-initialised W and b, a loss on the logits, seeded Adam. */
import { tf, type Tensor1D, type Tensor2D } from '../engine/tf.js';
import { fitAdam, l2Penalty, newVariable, type FitOptions } from './fit.js';
import { LinearClassifier } from './linear-model.js';
import { checkLabelled, type LabelledRows } from './rows.js';

export interface LinearOptions extends FitOptions {
  /** L2 penalty on W: the loss adds (l2 / 2) * ||W||^2 (default 1e-4). */
  l2?: number;
  /** Model name (default: the kind). */
  name?: string;
}

/** Trains W, b of a linear model minimising `dataLoss(logits, onehot)` + the L2 penalty. */
export function trainLinear(
  data: LabelledRows,
  kind: string,
  dataLoss: (logits: Tensor2D, onehot: Tensor2D) => tf.Scalar,
  options: LinearOptions,
  defaults: { epochs: number; batchSize: number; learningRate: number },
): LinearClassifier {
  const d = checkLabelled(data, kind);
  const l2 = options.l2 ?? 1e-4;
  if (!(l2 >= 0)) throw new Error(`${kind}: l2 must be >= 0 (got ${l2})`);
  const k = data.classNames.length;
  const w = newVariable(new Float32Array(d * k), [d, k]);
  const b = newVariable(new Float32Array(k), [k]);
  try {
    fitAdam(
      [w, b],
      data.images,
      data.labels,
      k,
      (x, onehot) => tf.add(dataLoss(tf.add(tf.matMul(x, w), b), onehot), l2Penalty([w], l2)) as tf.Scalar,
      { ...defaults, ...stripUndefined(options) },
      kind,
    );
    const spec = { name: options.name ?? kind, inputShape: data.shape, labels: data.classNames };
    return new LinearClassifier(spec, kind, tf.clone(w) as Tensor2D, tf.clone(b) as Tensor1D);
  } finally {
    w.dispose();
    b.dispose();
  }
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
