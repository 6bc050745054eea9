/**
 * The geometry of ONNX Conv and pooling windows: kernel, strides, dilations and the explicit pads that
 * `auto_pad` stands for, with the output size they give (ONNX Runtime's rules, PyTorch's for ceil_mode).
 */
import { intAttribute, intsAttribute, onnx, stringAttribute } from './proto.js';

export interface WindowGeometry {
  kernel: number[];
  strides: number[];
  dilations: number[];
  /** Explicit pads, ONNX order: all begins then all ends. */
  pads: number[];
  /** Output spatial size. */
  output: number[];
}

/**
 * Resolves a Conv/pool node's window for input spatial size `input` (static) and kernel size `kernel`
 * (from the weight for Conv, the attribute for pools).
 */
export function windowGeometry(node: onnx.INodeProto, input: readonly number[], kernel: readonly number[]) {
  const rank = input.length;
  const strides = intsAttribute(node, 'strides', new Array<number>(rank).fill(1));
  const dilations = intsAttribute(node, 'dilations', new Array<number>(rank).fill(1));
  const autoPad = stringAttribute(node, 'auto_pad', 'NOTSET');
  const ceilMode = intAttribute(node, 'ceil_mode', 0) === 1;
  let pads = intsAttribute(node, 'pads', new Array<number>(2 * rank).fill(0));
  const output: number[] = [];
  if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
    pads = new Array<number>(2 * rank).fill(0);
    for (let i = 0; i < rank; i++) {
      const out = Math.ceil(input[i] / strides[i]);
      const total = Math.max((out - 1) * strides[i] + (kernel[i] - 1) * dilations[i] + 1 - input[i], 0);
      const head = autoPad === 'SAME_LOWER' ? Math.ceil(total / 2) : Math.floor(total / 2);
      pads[i] = head;
      pads[i + rank] = total - head;
      output.push(out);
    }
  } else {
    if (autoPad === 'VALID') pads = new Array<number>(2 * rank).fill(0);
    for (let i = 0; i < rank; i++) {
      const span = input[i] + pads[i] + pads[i + rank] - (kernel[i] - 1) * dilations[i] - 1;
      let out = (ceilMode ? Math.ceil(span / strides[i]) : Math.floor(span / strides[i])) + 1;
      // ceil_mode: the last window must start inside the input or its leading pad.
      if (ceilMode && (out - 1) * strides[i] >= input[i] + pads[i]) out--;
      output.push(out);
    }
  }
  return { kernel: [...kernel], strides, dilations, pads, output } satisfies WindowGeometry;
}
