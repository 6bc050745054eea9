/**
 * Convolution layers -> ONNX Conv / ConvTranspose in NCHW. Kernels are transposed once, at export:
 * Conv2D HWIO -> OIHW; DepthwiseConv2D [h,w,C,M] -> [C*M,1,h,w] with group C; Conv2DTranspose
 * [h,w,out,in] -> [in,out,h,w]. TF's 'same' padding becomes explicit (possibly asymmetric) pads.
 */
import { layerActivation } from './export-tfjs-activations.js';
import type { Value } from './export-tfjs-graph.js';
import {
  baseName,
  booleanOption,
  numberOption,
  pairOption,
  requireChannelsLast,
  single,
  stringOption,
  UnsupportedLayerError,
  weightInitializer,
  weightOf,
  type LayerCall,
} from './export-tfjs-layer-call.js';
import { onnxPads, paddingAttributes, transposedConvPads, type Window } from './export-tfjs-padding.js';

const HWIO_TO_OIHW = [3, 2, 0, 1];

function windowOf(call: LayerCall): Window {
  return {
    kernel: pairOption(call, 'kernelSize', [1, 1]),
    strides: pairOption(call, 'strides', [1, 1]),
    dilations: pairOption(call, 'dilationRate', [1, 1]),
  };
}

/** The bias initializer when the layer uses one. */
function biasInput(call: LayerCall): string[] {
  if (!booleanOption(call, 'useBias', true) || weightOf(call, 'bias') === null) return [];
  return [weightInitializer(call, 'bias')];
}

function conv(call: LayerCall, x: Value, weights: string[], window: Window, group = 1): Value {
  const name = call.graph.node(
    'Conv',
    [x.name, ...weights],
    {
      kernel_shape: window.kernel,
      strides: window.strides,
      dilations: window.dilations,
      group: group === 1 ? undefined : group,
      ...paddingAttributes(call, x, window),
    },
    { output: `${baseName(call)}/Conv` },
  );
  return { name, shape: call.outputShape, layout: 'NCHW' };
}

export function convertConv2d(call: LayerCall): Value {
  requireChannelsLast(call);
  if (numberOption(call, 'groups', 1) !== 1) throw new UnsupportedLayerError(call, 'grouped convolution');
  const x = call.graph.inLayout(single(call), 'NCHW');
  const kernel = weightInitializer(call, 'kernel', { perm: HWIO_TO_OIHW });
  return layerActivation(call, conv(call, x, [kernel, ...biasInput(call)], windowOf(call)));
}

/** [h,w,C,M] -> [C*M,1,h,w]: output channel c*M+m of group c, as TF orders depthwise outputs. */
function depthwiseKernel(call: LayerCall): string {
  return weightInitializer(call, 'depthwiseKernel', {
    perm: [2, 3, 0, 1],
    dims: ([c, m, h, w]) => [c * m, 1, h, w],
  });
}

export function convertDepthwiseConv2d(call: LayerCall): Value {
  requireChannelsLast(call);
  const x = call.graph.inLayout(single(call), 'NCHW');
  const channels = x.shape[3];
  if (channels === null) throw new UnsupportedLayerError(call, 'an unknown number of input channels');
  const weights = [depthwiseKernel(call), ...biasInput(call)];
  return layerActivation(call, conv(call, x, weights, windowOf(call), channels));
}

/** Depthwise convolution (no bias) then a 1x1 pointwise convolution with the bias. */
export function convertSeparableConv2d(call: LayerCall): Value {
  requireChannelsLast(call);
  const x = call.graph.inLayout(single(call), 'NCHW');
  const channels = x.shape[3];
  if (channels === null) throw new UnsupportedLayerError(call, 'an unknown number of input channels');
  const depthwise = conv(call, x, [depthwiseKernel(call)], windowOf(call), channels);
  const pointwise = weightInitializer(call, 'pointwiseKernel', { perm: HWIO_TO_OIHW });
  const name = call.graph.node(
    'Conv',
    [depthwise.name, pointwise, ...biasInput(call)],
    { kernel_shape: [1, 1] },
    { output: `${baseName(call)}/pointwise` },
  );
  return layerActivation(call, { name, shape: call.outputShape, layout: 'NCHW' });
}

export function convertConv2dTranspose(call: LayerCall): Value {
  requireChannelsLast(call);
  const x = call.graph.inLayout(single(call), 'NCHW');
  const { kernel, strides, dilations } = windowOf(call);
  if (dilations[0] !== 1 || dilations[1] !== 1) throw new UnsupportedLayerError(call, 'dilation');
  const padding = stringOption(call, 'padding', 'valid');
  if (padding !== 'same' && padding !== 'valid')
    throw new UnsupportedLayerError(call, `padding '${padding}'`);
  const [, height, width] = x.shape;
  if (height === null || width === null) throw new UnsupportedLayerError(call, 'an unknown input size');
  const rows = transposedConvPads(height, kernel[0], strides[0], padding);
  const cols = transposedConvPads(width, kernel[1], strides[1], padding);
  const outputPadding = [rows.outputPadding, cols.outputPadding];
  // tfjs stores the kernel as [h, w, out, in]; ONNX ConvTranspose takes [in, out, h, w].
  const weights = [weightInitializer(call, 'kernel', { perm: [3, 2, 0, 1] }), ...biasInput(call)];
  const name = call.graph.node(
    'ConvTranspose',
    [x.name, ...weights],
    {
      kernel_shape: kernel,
      strides,
      pads: onnxPads(rows.pads, cols.pads),
      output_padding: outputPadding.some((p) => p > 0) ? outputPadding : undefined,
    },
    { output: `${baseName(call)}/ConvTranspose` },
  );
  return layerActivation(call, { name, shape: call.outputShape, layout: 'NCHW' });
}
