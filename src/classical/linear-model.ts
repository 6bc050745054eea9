/**
 * A linear classifier on flattened inputs: logits = x W + b, with W `[numFeatures, numClasses]`.
 * Logistic regression (softmax) and the one-vs-rest linear SVM (decision scores) are both this model,
 * trained with different losses; its logits are differentiable w.r.t. the 4D input.
 */
import { tf, type Tensor1D, type Tensor2D } from '../engine/tf.js';
import { TensorClassifier, type ClassifierSpec } from './classifier.js';

export class LinearClassifier extends TensorClassifier {
  readonly kind: string;
  /** `[numFeatures, numClasses]`. */
  readonly weights: Tensor2D;
  /** `[numClasses]`. */
  readonly bias: Tensor1D;

  /** Takes ownership of `weights` and `bias` (copies them when given plain arrays). */
  constructor(
    spec: ClassifierSpec,
    kind: string,
    weights: Tensor2D | Float32Array,
    bias: Tensor1D | Float32Array,
  ) {
    super(spec);
    this.kind = kind;
    const d = this.numFeatures;
    const k = this.numClasses;
    this.weights = weights instanceof Float32Array ? tf.tensor2d(weights, [d, k]) : weights;
    this.bias = bias instanceof Float32Array ? tf.tensor1d(bias) : bias;
    if (this.weights.shape[0] !== d || this.weights.shape[1] !== k || this.bias.shape[0] !== k) {
      const shapes = `weights [${this.weights.shape.join(',')}], bias [${this.bias.shape.join(',')}]`;
      this.dispose();
      throw new Error(`${spec.name}: ${shapes} do not fit ${d} features and ${k} classes`);
    }
  }

  logitsFlat(x: Tensor2D): Tensor2D {
    return tf.add(tf.matMul(x, this.weights), this.bias);
  }

  /** Plain copies of W (row-major `[numFeatures, numClasses]`) and b. */
  parameters(): { weights: Float32Array; bias: Float32Array } {
    return {
      weights: Float32Array.from(this.weights.dataSync()),
      bias: Float32Array.from(this.bias.dataSync()),
    };
  }

  dispose(): void {
    if (!this.weights.isDisposed) this.weights.dispose();
    if (!this.bias.isDisposed) this.bias.dispose();
  }
}
