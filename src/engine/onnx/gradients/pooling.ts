/**
 * Gradients of pooling: MaxPool (the gradient goes to the FIRST maximum of each window, as in PyTorch and
 * tfjs-cpu), AveragePool (a depthwise transposed convolution with a ones
 * kernel after dividing by each window's count), GlobalAveragePool and ReduceMean.
 */
import { DataType, intAttribute, intsAttribute } from '../proto.js';
import { windowGeometry, type WindowGeometry } from '../sliding-window.js';
import { UnsupportedOpError } from '../unsupported-op-error.js';
import { convInputGradient, fitSpatial } from './conv-backward.js';
import {
  nodeLabel,
  requireShape,
  requireStaticImage,
  type GradientContext,
  type GradientRule,
} from './gradient-context.js';

/**
 * MaxPool backward without the forward's Indices output (asking for it takes ORT off its fast NCHWc
 * pooling, ~40x slower): the K window taps of every output are gathered by strided Slices into
 * [N, C, K, Ho...], ArgMax over the taps picks the FIRST maximum (raster order, as PyTorch and ONNX Runtime),
 * its one-hot mask times dy is scattered back by a grouped ConvTranspose with a one-hot kernel per tap.
 */
export const maxPoolGradient: GradientRule = (node, [g], wanted, ctx) => {
  if (g === undefined || !wanted[0]) return [];
  const b = ctx.builder;
  const x = node.input?.[0] ?? '';
  const { channels, spatial } = requireStaticImage(ctx, node, x);
  const kernel = intsAttribute(node, 'kernel_shape', []);
  const { strides, dilations, pads, output } = windowGeometry(node, spatial, kernel);
  const rank = spatial.length;
  // Extent of the padded input the windows reach (ceil_mode windows may run past the end pad).
  const reach = output.map((o, i) => (o - 1) * strides[i] + (kernel[i] - 1) * dilations[i] + 1);
  const endPad = reach.map((r, i) => Math.max(r - spatial[i] - pads[i], 0));
  let padded = x;
  if ([...pads.slice(0, rank), ...endPad].some((p) => p > 0)) {
    const allPads = [0, 0, ...pads.slice(0, rank), 0, 0, ...endPad];
    padded = b.op('Pad', [x, b.intConstant(allPads), b.floats([-Infinity], [], 'minus_infinity')]);
  }
  const taps = kernelTaps(kernel).map((tap) => {
    const starts = tap.map((t, i) => t * dilations[i]);
    const slice = b.op('Slice', [
      padded,
      b.intConstant(starts),
      b.intConstant(starts.map((s0, i) => s0 + (output[i] - 1) * strides[i] + 1)),
      b.intConstant(spatial.map((_, i) => i + 2)),
      b.intConstant(strides),
    ]);
    return b.op('Unsqueeze', [slice, b.intConstant([2])]);
  });
  const count = taps.length;
  const windows = count === 1 ? taps[0] : b.op('Concat', taps, { axis: 2 });
  const first = b.op('ArgMax', [windows], { axis: 2, keepdims: 1, select_last_index: 0 });
  const tapIndex = b.intConstant([...Array(count).keys()], [1, 1, count, ...spatial.map(() => 1)]);
  const mask = b.op('Cast', [b.op('Equal', [first, tapIndex])], { to: DataType.FLOAT });
  const spread = b.op('Mul', [mask, b.op('Unsqueeze', [g, b.intConstant([2])])]);
  const perTap = b.op('Reshape', [spread, b.intConstant([0, channels * count, ...output])]);
  const oneHot = new Float32Array(channels * count * count);
  for (let c = 0; c < channels; c++) for (let t = 0; t < count; t++) oneHot[(c * count + t) * count + t] = 1;
  const weight = b.floats(oneHot, [channels * count, 1, ...kernel], 'maxpool_taps');
  // ConvTranspose output: reach - pads; cut the end pad down (or pad out rows no window reached).
  const covered = reach.map((r, i) => r - pads[i]);
  const cut = covered.map((c, i) => Math.max(c - spatial[i], 0));
  const short = covered.map((c, i) => Math.max(spatial[i] - c, 0));
  const fits = short.every((v, i) => v < strides[i]);
  const scattered = b.op('ConvTranspose', [perTap, weight], {
    group: channels,
    kernel_shape: kernel,
    strides,
    dilations,
    pads: [...pads.slice(0, rank), ...cut],
    output_padding: fits && short.some((v) => v > 0) ? short : undefined,
  });
  if (fits) return [scattered];
  return [
    fitSpatial(
      ctx,
      scattered,
      covered.map((c, i) => c - cut[i]),
      spatial.map(() => 0),
      spatial,
    ),
  ];
};

/** Every position of a kernel, in raster order. */
function kernelTaps(kernel: readonly number[]): number[][] {
  let taps: number[][] = [[]];
  for (const k of kernel) taps = taps.flatMap((t) => Array.from({ length: k }, (_, i) => [...t, i]));
  return taps;
}

/**
 * The divisor ONNX Runtime uses for each output position of an AveragePool (row-major over the output's
 * spatial dims): the window clipped to the padded input when counting pads, the valid elements otherwise.
 */
export function averagePoolDivisors(
  geometry: WindowGeometry,
  input: readonly number[],
  countIncludePad: boolean,
): Float64Array {
  const rank = input.length;
  const perAxis = input.map((size, i) => {
    const counts: number[] = [];
    const s = geometry.strides[i];
    const d = geometry.dilations[i];
    for (let o = 0; o < geometry.output[i]; o++) {
      const start = o * s - geometry.pads[i];
      const end = Math.min(start + geometry.kernel[i] * d, size + geometry.pads[i + rank]);
      let valid = 0;
      for (let p = start; p < end; p += d) if (p >= 0 && p < size) valid++;
      counts.push(countIncludePad ? 1 + Math.floor((end - start - 1) / d) : valid);
    }
    return counts;
  });
  const total = geometry.output.reduce((a, b) => a * b, 1);
  const out = new Float64Array(total);
  for (let flat = 0; flat < total; flat++) {
    let rest = flat;
    let product = 1;
    for (let i = rank - 1; i >= 0; i--) {
      product *= perAxis[i][rest % geometry.output[i]];
      rest = Math.floor(rest / geometry.output[i]);
    }
    out[flat] = product;
  }
  return out;
}

export const averagePoolGradient: GradientRule = (node, [g], wanted, ctx) => {
  if (g === undefined || !wanted[0]) return [];
  const b = ctx.builder;
  const x = node.input?.[0] ?? '';
  const { channels, spatial } = requireStaticImage(ctx, node, x);
  const kernel = intsAttribute(node, 'kernel_shape', []);
  const geometry = windowGeometry(node, spatial, kernel);
  const divisors = averagePoolDivisors(geometry, spatial, intAttribute(node, 'count_include_pad', 0) === 1);
  const uniform = divisors.every((d) => d === divisors[0]);
  const windowSize = kernel.reduce((a, k) => a * k, 1);
  const weight = new Float32Array(channels * windowSize).fill(uniform ? 1 / divisors[0] : 1);
  let scaled = g;
  if (!uniform) {
    const inverse = Float32Array.from(divisors, (d) => (d > 0 ? 1 / d : 0));
    scaled = b.op('Mul', [g, b.floats(inverse, geometry.output, 'avgpool_inverse_counts')]);
  }
  return [
    convInputGradient(ctx, scaled, {
      weight,
      weightDims: [channels, 1, ...kernel],
      group: channels,
      geometry,
      channels,
      inputSpatial: spatial,
    }),
  ];
};

export const globalAveragePoolGradient: GradientRule = (node, [g], wanted, ctx) => {
  if (g === undefined || !wanted[0]) return [];
  const x = node.input?.[0] ?? '';
  const shape = requireShape(ctx, node, x);
  const axes = shape.map((_, i) => i).slice(2);
  return [spreadMean(ctx, g, x, axes)];
};

export const reduceMeanGradient: GradientRule = (node, [g], wanted, ctx) => {
  if (g === undefined || !wanted[0]) return [];
  const b = ctx.builder;
  const x = node.input?.[0] ?? '';
  const rank = requireShape(ctx, node, x).length;
  let axes: number[] | undefined;
  if (node.attribute?.some((a) => a.name === 'axes')) axes = intsAttribute(node, 'axes', []);
  else if (node.input?.[1]) {
    axes = ctx.constants.ints(node.input[1]);
    if (axes === undefined)
      throw new UnsupportedOpError('ReduceMean', nodeLabel(node), 'axes computed at run time');
  }
  if (axes === undefined || axes.length === 0) {
    if (axes !== undefined && intAttribute(node, 'noop_with_empty_axes', 0) === 1) return [g];
    axes = [...Array(rank).keys()];
  }
  axes = axes.map((a) => (a < 0 ? a + rank : a));
  const kept = intAttribute(node, 'keepdims', 1) === 1 ? g : b.op('Unsqueeze', [g, b.intConstant(axes)]);
  return [spreadMean(ctx, kept, x, axes)];
};

/** `g` (reduced over `axes` with keepdims) spread back over x's shape and divided by the count. */
function spreadMean(ctx: GradientContext, g: string, x: string, axes: readonly number[]): string {
  const b = ctx.builder;
  const shape = ctx.shapes.get(x) ?? [];
  const sizes = axes.map((a) => shape[a]);
  let scaled: string;
  if (sizes.every((s) => typeof s === 'number')) {
    const count = (sizes as number[]).reduce((p, s) => p * s, 1);
    scaled = b.op('Mul', [g, b.scalar(1 / count)]);
  } else {
    const dims = b.op('Gather', [ctx.runtimeShape(x), b.intConstant([...axes])], { axis: 0 });
    const count = b.op('Cast', [b.op('ReduceProd', [dims], { keepdims: 0 })], { to: 1 });
    scaled = b.op('Div', [g, count]);
  }
  return b.op('Expand', [scaled, ctx.runtimeShape(x)]);
}
