/**
 * Input-only gradients for tfjs layers models.
 *
 * tfjs-layers runs Conv2D and Dense through fused ops whose custom gradient always computes the weight
 * gradient too (and on wasm that needs Conv2DBackpropFilter). While a gradient tape is recording, the
 * layers patched here run the plain ops instead: their registered gradients are lazy, so only the
 * gradients that lie on the path to what is differentiated (the input, for an attack; the weights, for
 * training) are computed. Without a tape (plain inference) the fast fused path is kept.
 */
import { tf } from './tf.js';

type Layer = tf.layers.Layer;
type LayerCall = (
  inputs: tf.Tensor | tf.Tensor[],
  kwargs: Record<string, unknown>,
) => tf.Tensor | tf.Tensor[];
interface ConvLike {
  kernel: tf.LayerVariable;
  bias: tf.LayerVariable | null;
  strides: number[];
  padding: string;
  dataFormat: string;
  dilationRate: number | number[];
  activation: { apply(x: tf.Tensor): tf.Tensor };
  rank: number;
}

const PATCHED = Symbol('advx.unfused');

function isRecordingGradients(): boolean {
  return (tf.engine().state as unknown as { gradientDepth: number }).gradientDepth > 0;
}

function single(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
  return Array.isArray(inputs) ? inputs[0] : inputs;
}

function unfusedConv2d(layer: ConvLike, x: tf.Tensor): tf.Tensor {
  const dilation = (
    Array.isArray(layer.dilationRate) ? layer.dilationRate : [layer.dilationRate, layer.dilationRate]
  ) as [number, number];
  let y: tf.Tensor = tf.conv2d(
    x as tf.Tensor4D,
    layer.kernel.read() as tf.Tensor4D,
    layer.strides as [number, number],
    layer.padding === 'same' ? 'same' : 'valid',
    'NHWC',
    dilation,
  );
  if (layer.bias !== null) y = tf.add(y, layer.bias.read());
  return layer.activation.apply(y);
}

function unfusedDense(layer: ConvLike, x: tf.Tensor): tf.Tensor {
  let y: tf.Tensor = tf.matMul(x as tf.Tensor2D, layer.kernel.read() as tf.Tensor2D);
  if (layer.bias !== null) y = tf.add(y, layer.bias.read());
  return layer.activation.apply(y);
}

function patch(
  layer: Layer,
  unfused: (layer: ConvLike, x: tf.Tensor) => tf.Tensor,
  applies: (x: tf.Tensor) => boolean,
) {
  const record = layer as unknown as Record<symbol, boolean> & { call: LayerCall };
  if (record[PATCHED]) return;
  const original = record.call.bind(layer);
  record.call = (inputs, kwargs) => {
    const x = single(inputs);
    if (!isRecordingGradients() || !applies(x)) return original(inputs, kwargs);
    return tf.tidy(() => unfused(layer as unknown as ConvLike, x));
  };
  record[PATCHED] = true;
}

/** Patches every Conv2D and Dense layer of `model` (nested models included). Idempotent. */
export function useUnfusedLayersUnderGradients(model: tf.LayersModel): void {
  const visit = (layers: Layer[]) => {
    for (const layer of layers) {
      const name = layer.getClassName();
      const conv = layer as unknown as ConvLike;
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
