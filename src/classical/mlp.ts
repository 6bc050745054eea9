/**
 * A small fully connected ReLU network on flattened inputs (the DNN family of the transferability
 * experiment and the black-box substitute), with seeded Glorot initialisation and seeded mini-batch Adam
 * on the mean cross-entropy (+ optional L2). Its logits are differentiable w.r.t. the 4D input.
 */
import { Rng } from '../engine/random.js';
import { tf, type Tensor1D, type Tensor2D } from '../engine/tf.js';
import { TensorClassifier, type ClassifierSpec } from './classifier.js';
import { crossEntropy, fitAdam, glorotUniform, l2Penalty, newVariable, type FitOptions } from './fit.js';
import { checkLabelled, type LabelledRows } from './rows.js';

export interface MlpOptions extends FitOptions {
  /** Hidden layer widths (default [200, 200]). */
  hidden?: number[];
  /** L2 penalty on the weight matrices (default 0). */
  l2?: number;
  /** Model name (default 'mlp'). */
  name?: string;
}

export interface DenseLayer {
  /** `[fanIn, fanOut]`. */
  weights: Tensor2D;
  bias: Tensor1D;
}

export class MlpClassifier extends TensorClassifier {
  readonly kind = 'mlp';
  readonly layers: readonly DenseLayer[];

  /** Takes ownership of the layers' tensors. */
  constructor(spec: ClassifierSpec, layers: DenseLayer[]) {
    super(spec);
    let width = this.numFeatures;
    for (const [i, layer] of layers.entries()) {
      if (layer.weights.shape[0] !== width || layer.bias.shape[0] !== layer.weights.shape[1]) {
        throw new Error(
          `${spec.name}: layer ${i} has weights [${layer.weights.shape.join(',')}] after width ${width}`,
        );
      }
      width = layer.weights.shape[1];
    }
    if (layers.length === 0 || width !== this.numClasses)
      throw new Error(`${spec.name}: the last layer must output ${this.numClasses} classes`);
    this.layers = layers;
  }

  logitsFlat(x: Tensor2D): Tensor2D {
    return forward(x, this.layers);
  }

  dispose(): void {
    for (const { weights, bias } of this.layers) {
      if (!weights.isDisposed) weights.dispose();
      if (!bias.isDisposed) bias.dispose();
    }
  }
}

function forward(x: Tensor2D, layers: readonly DenseLayer[]): Tensor2D {
  let h = x;
  layers.forEach(({ weights, bias }, i) => {
    h = tf.add(tf.matMul(h, weights), bias);
    if (i < layers.length - 1) h = tf.relu(h);
  });
  return h;
}

/** Defaults: hidden [200, 200], 10 epochs, batch 64, learning rate 0.001, l2 0, seed 0. */
export function trainMlp(data: LabelledRows, options: MlpOptions = {}): MlpClassifier {
  const d = checkLabelled(data, 'mlp');
  const hidden = options.hidden ?? [200, 200];
  if (!hidden.every((w) => Number.isInteger(w) && w > 0))
    throw new Error(`mlp: hidden widths must be positive integers (got [${hidden.join(',')}])`);
  const l2 = options.l2 ?? 0;
  if (!(l2 >= 0)) throw new Error(`mlp: l2 must be >= 0 (got ${l2})`);
  const k = data.classNames.length;
  const widths = [d, ...hidden, k];
  const rng = new Rng(options.seed ?? 0);
  const variables: tf.Variable[] = [];
  const layers: DenseLayer[] = [];
  for (let i = 0; i + 1 < widths.length; i++) {
    const w = newVariable(glorotUniform(widths[i], widths[i + 1], rng), [widths[i], widths[i + 1]]);
    const b = newVariable(new Float32Array(widths[i + 1]), [widths[i + 1]]);
    variables.push(w, b);
    layers.push({ weights: w as unknown as Tensor2D, bias: b as unknown as Tensor1D });
  }
  try {
    const fit: FitOptions = { epochs: 10, batchSize: 64, learningRate: 0.001 };
    for (const key of ['epochs', 'batchSize', 'learningRate', 'onEpoch'] as const)
      if (options[key] !== undefined) Object.assign(fit, { [key]: options[key] });
    fit.seed = rng.seed(); // batch order: derived from the same seed as the initial weights
    fitAdam(
      variables,
      data.images,
      data.labels,
      k,
      (x, onehot) =>
        tf.add(
          crossEntropy(forward(x, layers), onehot),
          l2Penalty(
            layers.map((l) => l.weights),
            l2,
          ),
        ) as tf.Scalar,
      fit,
      'mlp',
    );
    const spec = { name: options.name ?? 'mlp', inputShape: data.shape, labels: data.classNames };
    return new MlpClassifier(
      spec,
      layers.map(({ weights, bias }) => ({ weights: tf.clone(weights), bias: tf.clone(bias) })),
    );
  } finally {
    for (const v of variables) v.dispose();
  }
}
