/**
 * Wraps any TensorFlow.js classifier (layers or graph model) as an advx `Model`: bounds and
 * preprocessing inside, logits out. A network that ends in softmax gets its final softmax replaced by
 * the identity, because gradients of probabilities vanish.
 */
import { tf, type Tensor2D, type Tensor4D } from '../engine/tf.js';
import { useUnfusedLayersUnderGradients } from '../engine/unfused-layers.js';
import type { Bounds, Model } from './model.js';
import { applyPreprocessing, type Preprocessing } from './preprocessing.js';

export interface TfjsModelOptions {
  name: string;
  bounds?: Bounds;
  preprocessing?: Preprocessing;
  /** Class names by (canonical) output index. */
  labels?: readonly string[];
  /**
   * Reorders the network's outputs: canonical class j is network output `outputOrder[j]` (e.g. Darknet's
   * ImageNet order mapped to the standard sorted-wnid order).
   */
  outputOrder?: readonly number[];
  /** For graph models: the node whose output is the logits. */
  outputNode?: string;
}

type Net = tf.LayersModel | tf.GraphModel;

const TRAILING_SHAPE_LAYERS = new Set(['Reshape', 'Flatten']);

/** Replaces a final softmax (possibly followed by Reshape/Flatten) with the identity. Returns true if it did. */
export function stripFinalSoftmax(net: tf.LayersModel): boolean {
  const layers = net.layers;
  let i = layers.length - 1;
  while (i > 0 && TRAILING_SHAPE_LAYERS.has(layers[i].getClassName())) i--;
  const layer = layers[i] as unknown as { activation?: { getClassName(): string } };
  if (layer.activation === undefined || layer.activation.getClassName() !== 'softmax') return false;
  const linear = (tf.layers.activation({ activation: 'linear' }) as unknown as { activation: unknown })
    .activation;
  (layer as { activation: unknown }).activation = linear;
  return true;
}

/** Number of outputs: from the declared shape, or (graph models often declare none) from one probe run. */
function outputWidth(net: Net, declared: number[], inputShape: readonly number[]): number | undefined {
  const last = declared[declared.length - 1];
  if (typeof last === 'number' && last > 0) return last;
  if (isLayersModel(net)) return undefined;
  return tf.tidy(() => {
    const out = net.execute(tf.zeros([1, ...inputShape])) as tf.Tensor;
    return out.shape[out.shape.length - 1];
  });
}

function isLayersModel(net: Net): net is tf.LayersModel {
  return (net as tf.LayersModel).layers !== undefined;
}

export class TfjsModel implements Model {
  readonly name: string;
  readonly bounds: Bounds;
  readonly inputShape: readonly [number, number, number];
  readonly numClasses: number;
  readonly labels: readonly string[];
  readonly differentiable = true;
  readonly preprocessing: Preprocessing;
  private readonly order: tf.Tensor1D | null;

  constructor(
    readonly net: Net,
    private readonly options: TfjsModelOptions,
  ) {
    this.name = options.name;
    this.bounds = options.bounds ?? [0, 1];
    if (!(this.bounds[0] < this.bounds[1]))
      throw new Error(`bounds must be LO,HI with LO < HI (got ${this.bounds})`);
    this.preprocessing = options.preprocessing ?? {};
    const inputShape = (net.inputs[0].shape ?? []) as number[];
    if (inputShape.length !== 4 || inputShape.slice(1).some((d) => d === null || d === -1)) {
      throw new Error(`model ${this.name}: needs a fixed image input [N,H,W,C] (got [${inputShape}])`);
    }
    this.inputShape = inputShape.slice(1) as [number, number, number];
    if (isLayersModel(net)) {
      stripFinalSoftmax(net);
      useUnfusedLayersUnderGradients(net);
    }
    const outShape = (net.outputs[0].shape ?? []) as number[];
    const k = options.outputOrder?.length ?? outputWidth(net, outShape, this.inputShape);
    if (typeof k !== 'number' || k < 2)
      throw new Error(`model ${this.name}: cannot tell its number of classes`);
    this.numClasses = k;
    this.labels = options.labels ?? Array.from({ length: k }, (_, i) => String(i));
    if (this.labels.length !== k) {
      throw new Error(`model ${this.name}: ${this.labels.length} labels for ${k} outputs`);
    }
    this.order = options.outputOrder ? tf.keep(tf.tensor1d(options.outputOrder as number[], 'int32')) : null;
  }

  logits(x: Tensor4D): Tensor2D {
    return tf.tidy(() => {
      const input = applyPreprocessing(x, this.preprocessing);
      const out = (
        isLayersModel(this.net)
          ? this.net.apply(input, { training: false })
          : this.net.execute(input, this.options.outputNode)
      ) as tf.Tensor;
      const flat = tf.reshape(out, [x.shape[0], -1]) as Tensor2D;
      return this.order === null ? flat : (tf.gather(flat, this.order, 1) as Tensor2D);
    });
  }

  dispose(): void {
    this.net.dispose();
    this.order?.dispose();
  }
}
