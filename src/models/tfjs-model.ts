/**
 * Wraps any TensorFlow.js classifier (layers or graph model) as an advx `Model`: bounds and
 * preprocessing inside, logits out. A network that ends in softmax gets its final softmax replaced by
 * the identity, because gradients of probabilities vanish.
 */
import { tf, type Tensor2D, type Tensor4D } from '../engine/tf.js';
import { useUnfusedLayersUnderGradients } from '../engine/unfused-layers.js';
import type { Bounds } from './model.js';
import { ForwardModel } from './forward-model.js';
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

/**
 * The number of classes of the network's single output, which must be class scores [N,K] (more dims only
 * when all but one are 1, e.g. [N,1,1,K]): from the declared shape or, for graph models that often declare
 * none, from one probe run. Anything else is a one-line error naming the model.
 */
function classifierWidth(net: Net, name: string, inputShape: readonly number[], outputNode?: string): number {
  const outputs = net.outputs.length;
  if (outputs !== 1 && (isLayersModel(net) || outputNode === undefined))
    throw new Error(
      `model ${name}: the network has ${outputs} outputs; advx needs one, the class scores [N,K]`,
    );
  let dims = (isLayersModel(net) || outputNode === undefined ? (net.outputs[0].shape ?? []) : []) as (
    number | null
  )[];
  if (!isLayersModel(net) && (dims.length < 2 || dims.slice(1).some((d) => d === null || d < 0))) {
    dims = tf.tidy(() => (net.execute(tf.zeros([1, ...inputShape]), outputNode) as tf.Tensor).shape);
  }
  const perInput = dims.slice(1);
  if (
    dims.length < 2 ||
    perInput.filter((d) => d !== 1).length > 1 ||
    perInput.some((d) => !(Number(d) > 0))
  ) {
    const shown = dims.map((d) => (d === null || d < 0 ? 'N' : String(d))).join(',');
    throw new Error(`model ${name}: output shape [${shown}] is not class scores [N,K]`);
  }
  return perInput.reduce<number>((a, d) => a * Number(d), 1);
}

function isLayersModel(net: Net): net is tf.LayersModel {
  return (net as tf.LayersModel).layers !== undefined;
}

export class TfjsModel extends ForwardModel {
  readonly name: string;
  readonly bounds: Bounds;
  readonly inputShape: readonly [number, number, number];
  readonly numClasses: number;
  readonly labels: readonly string[];
  readonly differentiable = true;
  readonly preprocessing: Preprocessing;
  /** Canonical class j is network output outputOrder[j] (undefined: the network's own order). */
  readonly outputOrder?: readonly number[];
  private readonly order: tf.Tensor1D | null;

  constructor(
    readonly net: Net,
    private readonly options: TfjsModelOptions,
  ) {
    super();
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
    const width = classifierWidth(net, this.name, this.inputShape, options.outputNode);
    const k = options.outputOrder?.length ?? width;
    if (k < 2) throw new Error(`model ${this.name}: has ${k} output; a classifier needs at least 2 classes`);
    this.numClasses = k;
    this.labels = options.labels ?? Array.from({ length: k }, (_, i) => String(i));
    if (this.labels.length !== k) {
      throw new Error(`model ${this.name}: ${this.labels.length} labels for ${k} outputs`);
    }
    this.outputOrder = options.outputOrder;
    this.order = options.outputOrder ? tf.keep(tf.tensor1d(options.outputOrder as number[], 'int32')) : null;
  }

  /** Logits as tfjs ops (differentiable; tf.grad through it computes input gradients only). */
  forward(x: Tensor4D): Tensor2D {
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

  override dispose(): void {
    this.net.dispose();
    this.order?.dispose();
  }
}
