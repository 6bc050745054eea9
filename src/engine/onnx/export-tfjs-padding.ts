/**
 * TensorFlow's padding rules as explicit ONNX pads. TF's 'same' pads so that the output has
 * ceil(size / stride) positions and, when the total is odd, puts the extra row/column at the END
 * (bottom/right); tfjs follows it for convolutions and pooling alike.
 */
import type { Value } from './export-tfjs-graph.js';
import { stringOption, UnsupportedLayerError, type LayerCall } from './export-tfjs-layer-call.js';

/** [begin, end] padding of one spatial axis. */
export type AxisPads = [number, number];

/** TF 'same' padding of one axis for a window `kernel` (dilated by `dilation`) moving by `stride`. */
export function samePads(size: number, kernel: number, stride: number, dilation = 1): AxisPads {
  const span = (kernel - 1) * dilation + 1;
  const out = Math.ceil(size / stride);
  const total = Math.max((out - 1) * stride + span - size, 0);
  const begin = Math.floor(total / 2);
  return [begin, total - begin];
}

/** Pads of both spatial axes in ONNX order: [top, left, bottom, right]. */
export function onnxPads(rows: AxisPads, cols: AxisPads): number[] {
  return [rows[0], cols[0], rows[1], cols[1]];
}

/**
 * A transposed convolution as tfjs' conv2dTranspose computes it (the adjoint of a TF conv with the same
 * padding rule), as ONNX ConvTranspose pads and output_padding of one axis. The output has `size*stride`
 * positions for 'same', `size*stride + max(kernel - stride, 0)` for 'valid'.
 */
export function transposedConvPads(
  size: number,
  kernel: number,
  stride: number,
  padding: 'same' | 'valid',
): { pads: AxisPads; outputPadding: number } {
  const full = (size - 1) * stride + kernel;
  const out = padding === 'same' ? size * stride : size * stride + Math.max(kernel - stride, 0);
  if (out >= full) return { pads: [0, 0], outputPadding: out - full };
  // Only 'same' with kernel > stride gets here: the forward conv padded `full - out` in TF's way.
  const total = full - out;
  const begin = Math.floor(total / 2);
  return { pads: [begin, total - begin], outputPadding: 0 };
}

export interface Window {
  kernel: [number, number];
  strides: [number, number];
  dilations: [number, number];
}

/** ONNX padding attributes for a TF 'same'/'valid' window over `x` (explicit pads when H, W are known). */
export function paddingAttributes(
  call: LayerCall,
  x: Value,
  window: Window,
): { pads?: number[]; auto_pad?: string } {
  const padding = stringOption(call, 'padding', 'valid');
  if (padding === 'valid') return {};
  if (padding !== 'same') throw new UnsupportedLayerError(call, `padding '${padding}'`);
  const [, height, width] = x.shape;
  if (height === null || width === null) return { auto_pad: 'SAME_UPPER' };
  const { kernel, strides, dilations } = window;
  return {
    pads: onnxPads(
      samePads(height, kernel[0], strides[0], dilations[0]),
      samePads(width, kernel[1], strides[1], dilations[1]),
    ),
  };
}
