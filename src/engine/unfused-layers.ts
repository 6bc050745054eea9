/**
 * The engine's layer patches: what tfjs layers run while a gradient tape records, in one place.
 *
 * - Unfused layers (`useUnfusedLayersUnderGradients`, every TfjsModel): tfjs-layers runs Conv2D and Dense
 *   through fused ops whose custom gradient always computes the weight gradient too (and on wasm that
 *   needs Conv2DBackpropFilter). While a gradient tape is recording, the patched layers run the plain
 *   ops instead: their registered gradients are lazy, so only the gradients that lie on the path to what
 *   is differentiated (the input, for an attack; the weights, for training) are computed. Without a tape
 *   (plain inference) the fast fused path is kept.
 * - Fast convolution gradients (on top of the above, through `useFastGradientLayers`, the entry for
 *   training networks): Conv2D and Conv2DTranspose compute both gradients as forward convolutions
 *   (fast-conv-ops.ts), 10-25x faster on wasm; the weight gradients can be switched off per network
 *   (`setConvWeightGradients`) while only input gradients are needed.
 */
import { tf, type Tensor4D } from './tf.js';
import { conv2dInputGradient, fastConv2d, fastConv2dTranspose, pair } from './fast-conv-ops.js';

type Layer = tf.layers.Layer;
type LayerCall = (
  inputs: tf.Tensor | tf.Tensor[],
  kwargs: Record<string, unknown>,
) => tf.Tensor | tf.Tensor[];
/** The fields of tfjs' Conv2D, Conv2DTranspose and Dense layers the patches read. */
interface WeightLayer {
  kernel: tf.LayerVariable;
  bias: tf.LayerVariable | null;
  strides: number[];
  padding: string;
  dataFormat: string;
  dilationRate: number | number[];
  filters: number;
  kernelSize: number[];
  activation: { apply(x: tf.Tensor): tf.Tensor };
}

const UNFUSED = Symbol('advx.unfused');

function isRecordingGradients(): boolean {
  return (tf.engine().state as unknown as { gradientDepth: number }).gradientDepth > 0;
}

function single(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
  return Array.isArray(inputs) ? inputs[0] : inputs;
}

function unfusedConv2d(layer: WeightLayer, x: tf.Tensor): tf.Tensor {
  let y: tf.Tensor = tf.conv2d(
    x as tf.Tensor4D,
    layer.kernel.read() as tf.Tensor4D,
    layer.strides as [number, number],
    layer.padding === 'same' ? 'same' : 'valid',
    'NHWC',
    pair(layer.dilationRate),
  );
  if (layer.bias !== null) y = tf.add(y, layer.bias.read());
  return layer.activation.apply(y);
}

function unfusedDense(layer: WeightLayer, x: tf.Tensor): tf.Tensor {
  let y: tf.Tensor = tf.matMul(x as tf.Tensor2D, layer.kernel.read() as tf.Tensor2D);
  if (layer.bias !== null) y = tf.add(y, layer.bias.read());
  return layer.activation.apply(y);
}

function patch(
  layer: Layer,
  unfused: (layer: WeightLayer, x: tf.Tensor) => tf.Tensor,
  applies: (x: tf.Tensor) => boolean,
) {
  const record = layer as unknown as Record<symbol, boolean> & { call: LayerCall };
  if (record[UNFUSED]) return;
  const original = record.call.bind(layer);
  record.call = (inputs, kwargs) => {
    const x = single(inputs);
    if (!isRecordingGradients() || !applies(x)) return original(inputs, kwargs);
    return tf.tidy(() => unfused(layer as unknown as WeightLayer, x));
  };
  record[UNFUSED] = true;
}

/** Patches every Conv2D and Dense layer of `model` (nested models included). Idempotent. */
export function useUnfusedLayersUnderGradients(model: tf.LayersModel): void {
  const visit = (layers: Layer[]) => {
    for (const layer of layers) {
      const name = layer.getClassName();
      const conv = layer as unknown as WeightLayer;
      if (name === 'Conv2D' && conv.dataFormat === 'channelsLast') {
        patch(layer, unfusedConv2d, (x) => x.rank === 4);
      } else if (name === 'Dense') {
        patch(layer, unfusedDense, (x) => x.rank === 2);
      }
      const nested = (layer as unknown as { layers?: Layer[] }).layers;
      if (Array.isArray(nested)) visit(nested);
    }
  };
  visit(model.layers);
}

const FAST_CONV = Symbol('advx.fastConv');

function dilationIsOne(layer: WeightLayer): boolean {
  return pair(layer.dilationRate).every((d) => d === 1);
}

function transposedOutputShape(layer: WeightLayer, x: Tensor4D): [number, number, number, number] {
  const [n, h, w] = x.shape;
  const [sh, sw] = pair(layer.strides);
  const [kh, kw] = pair(layer.kernelSize);
  const size = (d: number, s: number, k: number) =>
    layer.padding === 'same' ? d * s : d * s + Math.max(k - s, 0);
  return [n, size(h, sh, kh), size(w, sw, kw), layer.filters];
}

export interface FastGradientOptions {
  /** Compute weight gradients (default true; false for networks that only need input gradients). */
  weightGradients?: boolean;
}

const weightGradientsOf = new WeakMap<tf.LayersModel, boolean>();

/**
 * Turns the weight gradients of a patched network's convolutions on or off (e.g. off for the
 * discriminator while the generator trains through it). Returns the previous setting.
 */
export function setConvWeightGradients(net: tf.LayersModel, on: boolean): boolean {
  const before = weightGradientsOf.get(net) ?? true;
  weightGradientsOf.set(net, on);
  return before;
}

/**
 * Makes the Conv2D and Conv2DTranspose layers of `net` (channels-last, dilation 1) use the fast ops:
 * Conv2D while a gradient tape records (plain inference keeps tfjs' fused kernel), Conv2DTranspose always
 * (tfjs' own transposed convolution, Conv2DBackpropInput, is slow on wasm). Idempotent; other layers are
 * left alone.
 */
function useFastConvGradients(net: tf.LayersModel, options: FastGradientOptions = {}): void {
  weightGradientsOf.set(net, options.weightGradients ?? true);
  for (const layer of net.layers) {
    const name = layer.getClassName();
    const conv = layer as unknown as WeightLayer;
    if (
      (name !== 'Conv2D' && name !== 'Conv2DTranspose') ||
      conv.dataFormat !== 'channelsLast' ||
      !dilationIsOne(conv)
    )
      continue;
    const record = layer as unknown as Record<symbol, boolean> & { call: LayerCall };
    if (record[FAST_CONV]) continue;
    const original = record.call.bind(layer);
    record.call = (inputs, kwargs) => {
      const x = (Array.isArray(inputs) ? inputs[0] : inputs) as Tensor4D;
      if (x.rank !== 4 || (name === 'Conv2D' && !isRecordingGradients())) return original(inputs, kwargs);
      return tf.tidy(() => {
        const pad = conv.padding === 'same' ? 'same' : 'valid';
        const kernel = conv.kernel.read() as Tensor4D;
        const weightGradients = weightGradientsOf.get(net) ?? true;
        const outShape = name === 'Conv2D' ? null : transposedOutputShape(conv, x);
        let y: tf.Tensor =
          outShape === null
            ? fastConv2d(x, kernel, conv.strides, pad, weightGradients)
            : isRecordingGradients()
              ? fastConv2dTranspose(x, kernel, outShape, conv.strides, pad, weightGradients)
              : conv2dInputGradient(x, kernel, outShape, conv.strides, pad); // inference: no custom-gradient wrapper
        if (conv.bias !== null) y = tf.add(y, conv.bias.read());
        return conv.activation.apply(y);
      });
    };
    record[FAST_CONV] = true;
  }
}

/**
 * The layer patches for a network that is trained (or attacked while it trains): unfused Conv2D and Dense
 * layers under a gradient tape, then convolution gradients as forward convolutions, with weight
 * gradients per `options` (off for a network that only ever needs input gradients, e.g. a generator
 * inverted by a projection defense). Idempotent; what TfjsModel installed is kept.
 */
export function useFastGradientLayers(net: tf.LayersModel, options: FastGradientOptions = {}): void {
  useUnfusedLayersUnderGradients(net);
  useFastConvGradients(net, options);
}
