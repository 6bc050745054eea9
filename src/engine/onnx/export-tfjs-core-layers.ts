/**
 * Dense, BatchNormalization, the shape layers (Flatten, Reshape, ZeroPadding2D), Rescaling, and the
 * layers that are the identity at inference (Dropout and the noise layers).
 *
 * Flatten, Reshape and Dense work on Keras' element order, so their input is brought back to
 * channels-last first: that is what keeps a Dense layer's kernel rows in the order Keras trained them.
 */
import { layerActivation } from './export-tfjs-activations.js';
import type { Value } from './export-tfjs-graph.js';
import {
  baseName,
  booleanOption,
  numberOption,
  requireChannelsLast,
  single,
  UnsupportedLayerError,
  weightInitializer,
  weightOf,
  type LayerCall,
} from './export-tfjs-layer-call.js';

export function convertDense(call: LayerCall): Value {
  const x = call.graph.inLayout(single(call), 'NHWC');
  const base = baseName(call);
  const kernel = weightInitializer(call, 'kernel');
  const useBias = booleanOption(call, 'useBias', true) && weightOf(call, 'bias') !== null;
  const bias = useBias ? [weightInitializer(call, 'bias')] : [];
  let name: string;
  if (x.shape.length === 2) {
    name = call.graph.node('Gemm', [x.name, kernel, ...bias], {}, { output: `${base}/Gemm` });
  } else {
    // Dense on a higher-rank input acts on the last axis: MatMul broadcasts over the others.
    name = call.graph.node('MatMul', [x.name, kernel], {}, { output: `${base}/MatMul` });
    if (useBias) name = call.graph.node('Add', [name, bias[0]], {}, { output: `${base}/BiasAdd` });
  }
  return layerActivation(call, { name, shape: call.outputShape, layout: 'NHWC' });
}

/** Keras' `axis` option (a number or a one-element list) as a non-negative axis of the Keras shape. */
function kerasAxis(call: LayerCall, rank: number, fallback: number): number {
  const option = call.config.axis;
  const axis = Array.isArray(option) && option.length === 1 ? option[0] : (option ?? fallback);
  if (typeof axis !== 'number') throw new UnsupportedLayerError(call, `axis ${JSON.stringify(option)}`);
  return axis < 0 ? rank + axis : axis;
}

/** A per-channel constant the layer lacks (gamma without `scale`, beta without `center`). */
function filled(call: LayerCall, property: string, channels: number, value: number): string {
  return call.graph.floatConstant(`${call.layer.name}/${property}`, () => ({
    dims: [channels],
    data: new Float32Array(channels).fill(value),
  }));
}

/** Inference batch normalization with the moving statistics, over the channel axis. */
export function convertBatchNormalization(call: LayerCall): Value {
  const input = single(call);
  const rank = input.shape.length;
  if (kerasAxis(call, rank, -1) !== rank - 1 || (rank !== 2 && rank !== 4))
    throw new UnsupportedLayerError(
      call,
      `normalizing axis ${JSON.stringify(call.config.axis)} of rank ${rank}`,
    );
  const x = rank === 4 ? call.graph.inLayout(input, 'NCHW') : input;
  const channels = x.shape[rank - 1];
  if (channels === null) throw new UnsupportedLayerError(call, 'an unknown number of channels');
  const has = (property: string) => weightOf(call, property) !== null;
  const scale = has('gamma') ? weightInitializer(call, 'gamma') : filled(call, 'gamma', channels, 1);
  const offset = has('beta') ? weightInitializer(call, 'beta') : filled(call, 'beta', channels, 0);
  const name = call.graph.node(
    'BatchNormalization',
    [x.name, scale, offset, weightInitializer(call, 'movingMean'), weightInitializer(call, 'movingVariance')],
    { epsilon: numberOption(call, 'epsilon', 1e-3) },
    { output: `${baseName(call)}/BatchNormalization`, floatAttributes: ['epsilon'] },
  );
  return { name, shape: call.outputShape, layout: x.layout };
}

export function convertFlatten(call: LayerCall): Value {
  const x = call.graph.inLayout(single(call), 'NHWC');
  if (x.shape.length === 2) return x;
  const name = call.graph.node('Flatten', [x.name], { axis: 1 }, { output: `${baseName(call)}/Flatten` });
  return { name, shape: call.outputShape, layout: 'NHWC' };
}

export function convertReshape(call: LayerCall): Value {
  const x = call.graph.inLayout(single(call), 'NHWC');
  const target = call.config.targetShape;
  if (!Array.isArray(target) || !target.every((d) => typeof d === 'number' && Number.isInteger(d)))
    throw new UnsupportedLayerError(call, `target shape ${JSON.stringify(target)}`);
  // 0 copies the batch dim from the input; -1 (at most one) is inferred.
  const shape = call.graph.int64Constant(`${baseName(call)}/shape`, [0, ...(target as number[])]);
  const name = call.graph.node('Reshape', [x.name, shape], {}, { output: `${baseName(call)}/Reshape` });
  return { name, shape: call.outputShape, layout: 'NHWC' };
}

/** Dropout and noise layers: the identity at inference. */
export function convertIdentity(call: LayerCall): Value {
  return single(call);
}

/** [[top, bottom], [left, right]] from ZeroPadding2D's `padding` (a number, a pair, or pairs). */
function zeroPadding(call: LayerCall): [[number, number], [number, number]] {
  const padding = call.config.padding;
  if (typeof padding === 'number')
    return [
      [padding, padding],
      [padding, padding],
    ];
  if (Array.isArray(padding) && padding.length === 2) {
    const [rows, cols] = padding as unknown[];
    if (typeof rows === 'number' && typeof cols === 'number')
      return [
        [rows, rows],
        [cols, cols],
      ];
    const isPair = (p: unknown): p is [number, number] =>
      Array.isArray(p) && p.length === 2 && p.every((v) => typeof v === 'number');
    if (isPair(rows) && isPair(cols)) return [rows, cols];
  }
  throw new UnsupportedLayerError(call, `padding ${JSON.stringify(padding)}`);
}

/** Zero padding of H and W, in whichever layout the input already is. */
export function convertZeroPadding2d(call: LayerCall): Value {
  requireChannelsLast(call);
  const x = single(call);
  const [[top, bottom], [left, right]] = zeroPadding(call);
  const pads =
    x.layout === 'NCHW' ? [0, 0, top, left, 0, 0, bottom, right] : [0, top, left, 0, 0, bottom, right, 0];
  const padsName = call.graph.int64Constant(`${baseName(call)}/pads`, pads);
  const name = call.graph.node('Pad', [x.name, padsName], {}, { output: `${baseName(call)}/Pad` });
  return { name, shape: call.outputShape, layout: x.layout };
}

/** Rescaling: x * scale + offset (layout-free). */
export function convertRescaling(call: LayerCall): Value {
  const x = single(call);
  const base = baseName(call);
  const scale = numberOption(call, 'scale', 1);
  const offset = numberOption(call, 'offset', 0);
  let name = call.graph.node(
    'Mul',
    [x.name, call.graph.scalarConstant(`${base}/scale`, scale)],
    {},
    {
      output: `${base}/Mul`,
    },
  );
  if (offset !== 0)
    name = call.graph.node(
      'Add',
      [name, call.graph.scalarConstant(`${base}/offset`, offset)],
      {},
      {
        output: `${base}/Add`,
      },
    );
  return { ...x, name };
}
