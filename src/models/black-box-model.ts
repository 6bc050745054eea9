/**
 * A black-box model: any asynchronous JavaScript function from a batch of images to scores, logits, top-k
 * classes or labels (an API client, a model in another runtime, a physical system). It has no input
 * gradients (`differentiable: false`, `lossGradient` throws), so only score- and decision-based attacks
 * (and attacks that need logits only, such as additive noise) apply; its answers become logits as
 * src/models/model-outputs.ts describes, and `outputs` says which kind it gives (decision-based attacks
 * check `isDecisionOnly(model)`).
 *
 * Not to be confused with `functionModel` (src/models/forward-model.ts): that one wraps a tfjs function
 * whose ops tfjs can differentiate, a white-box model.
 */
import { tf, type Tensor2D, type Tensor4D } from '../engine/tf.js';
import type { Loss } from './loss.js';
import type { Bounds, EngineName, LossGradient, Model } from './model.js';
import { logitsOfOutputs, readOutputs, type ClassProbability, type ModelOutput } from './model-outputs.js';

/** The shape of one batch: [N, H, W, C]. */
export type BatchShape = readonly [number, number, number, number];

/**
 * What a black-box function may return for a batch of N: `[N,K]` logits or scores (flat or as rows), N
 * labels, or N lists of `{index, p}` (top-k).
 */
export type BlackBoxAnswer =
  ArrayLike<number> | readonly ArrayLike<number>[] | readonly (readonly ClassProbability[])[];

/** Images in bounds, NHWC float32 row-major, to answers. `x` is the function's to keep or change. */
export type BlackBoxFunction = (
  x: Float32Array,
  shape: BatchShape,
) => Promise<BlackBoxAnswer> | BlackBoxAnswer;

export interface BlackBoxModelOptions {
  /** [height, width, channels] of one input. */
  inputShape: readonly [number, number, number];
  numClasses: number;
  /** What the function returns. */
  output: ModelOutput;
  name?: string;
  /** Class names by index (default: the indices). */
  labels?: readonly string[];
  bounds?: Bounds;
  /** Largest batch one call may take: larger batches are split (default: no limit). */
  maxBatch?: number;
  engine?: EngineName;
  /** Called once by `dispose()`. */
  onDispose?: () => void;
}

function checkPositiveInteger(value: number, what: string): void {
  if (!Number.isInteger(value) || value < 1)
    throw new Error(`${what} must be an integer >= 1 (got ${value})`);
}

export class BlackBoxModel implements Model {
  readonly differentiable = false;
  readonly name: string;
  readonly bounds: Bounds;
  readonly inputShape: readonly [number, number, number];
  readonly numClasses: number;
  readonly labels: readonly string[];
  readonly engine: EngineName;
  /** What the model answers (its logits stand for these answers). */
  readonly outputs: ModelOutput;
  readonly maxBatch: number;
  private readonly onDispose?: () => void;
  private disposed = false;

  constructor(
    private readonly predict: BlackBoxFunction,
    options: BlackBoxModelOptions,
  ) {
    this.name = options.name ?? 'black-box';
    this.engine = options.engine ?? 'function';
    this.outputs = options.output;
    this.bounds = options.bounds ?? [0, 1];
    this.inputShape = options.inputShape;
    this.numClasses = options.numClasses;
    this.maxBatch = options.maxBatch ?? Infinity;
    this.onDispose = options.onDispose;
    const where = `model ${this.name}`;
    if (typeof predict !== 'function') throw new Error(`${where}: give a function from images to answers`);
    if (!['logits', 'scores', 'topk', 'label'].includes(this.outputs))
      throw new Error(`${where}: output must be logits, scores, topk or label (got ${String(this.outputs)})`);
    if (this.inputShape.length !== 3) throw new Error(`${where}: inputShape must be [H, W, C]`);
    this.inputShape.forEach((d) => checkPositiveInteger(d, `${where}: inputShape [${this.inputShape}]`));
    checkPositiveInteger(this.numClasses, `${where}: numClasses`);
    if (this.maxBatch !== Infinity) checkPositiveInteger(this.maxBatch, `${where}: maxBatch`);
    if (!(this.bounds[0] < this.bounds[1]))
      throw new Error(`${where}: bounds must be [LO, HI] with LO < HI (got [${this.bounds}])`);
    this.labels = options.labels ?? Array.from({ length: this.numClasses }, (_, i) => String(i));
    if (this.labels.length !== this.numClasses)
      throw new Error(`${where}: ${this.labels.length} labels for ${this.numClasses} classes`);
  }

  async logits(x: Tensor4D): Promise<Tensor2D> {
    if (this.disposed) throw new Error(`model ${this.name} has been disposed`);
    const [h, w, c] = this.inputShape;
    if (x.rank !== 4 || x.shape[1] !== h || x.shape[2] !== w || x.shape[3] !== c)
      throw new Error(`model ${this.name}: inputs have shape [${x.shape}], expected [N,${h},${w},${c}]`);
    const n = x.shape[0];
    const size = h * w * c;
    const k = this.numClasses;
    const data = (await x.data()) as Float32Array;
    const out = new Float32Array(n * k);
    for (let start = 0; start < n; start += this.maxBatch) {
      const count = Math.min(this.maxBatch, n - start);
      const chunk = count === n ? data : data.slice(start * size, (start + count) * size);
      const answer = await this.predict(chunk, [count, h, w, c]);
      const source = `model ${this.name}: answer for ${count} input${count === 1 ? '' : 's'}`;
      out.set(logitsOfOutputs(readOutputs(answer, this.outputs, count, k, source), count, k), start * k);
    }
    return tf.tensor2d(out, [n, k]);
  }

  async lossGradient(_x: Tensor4D, _loss: Loss): Promise<LossGradient> {
    throw new Error(
      `model ${this.name} is a black box (${this.engine}, answers ${this.outputs}): it has no input gradients; ` +
        'use a score- or decision-based attack',
    );
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.onDispose?.();
  }
}

/**
 * A model from an asynchronous function of a batch of images (black box: no gradients). E.g.
 * `blackBoxModel(async (x, shape) => api.classify(x, shape), { inputShape: [28, 28, 1], numClasses: 10,
 * output: 'scores' })`.
 */
export function blackBoxModel(predict: BlackBoxFunction, options: BlackBoxModelOptions): BlackBoxModel {
  return new BlackBoxModel(predict, options);
}
