/**
 * The input gradient of a convolution with a constant kernel, in the forms ONNX Runtime 1.30 runs fastest
 * on CPU (measured against the alternatives; see the notes in gradient-model.ts):
 *
 * - stride 1: a forward Conv of dy with the spatially flipped, in/out-swapped kernel (folded here, once),
 *   which takes ORT's NCHWc convolution path;
 * - 1x1 with stride s: that Conv at low resolution, then zeros interleaved by a depthwise ConvTranspose
 *   with an identity 1x1 kernel;
 * - kxk with stride s, few input channels (an image's 1 or 3), or a kernel computed at run time:
 *   ConvTranspose with the forward kernel.
 */
import type { WindowGeometry } from '../sliding-window.js';
import type { GradientContext } from './gradient-context.js';

/** Below this many input channels a convolution's input gradient is a ConvTranspose. */
const FEW_CHANNELS = 8;

export interface ConvBackwardSpec {
  /**
   * Forward kernel [M, C/group, k...] (undefined when computed at run time) and its tensor name (reused by
   * ConvTranspose).
   */
  weight: Float32Array | undefined;
  weightDims: readonly number[];
  weightName?: string;
  group: number;
  geometry: WindowGeometry;
  /** Input channels and spatial size of the forward input. */
  channels: number;
  inputSpatial: readonly number[];
}

/** dx [N, C, H...] from dy [N, M, Ho...]. */
export function convInputGradient(ctx: GradientContext, dy: string, spec: ConvBackwardSpec): string {
  const { geometry } = spec;
  const rank = spec.inputSpatial.length;
  const weight = spec.weight;
  if (weight === undefined) return convTranspose(ctx, dy, spec);
  const known = { ...spec, weight };
  // Few input channels (an image's 1 or 3): ORT would pad the backward Conv's outputs to its NCHWc block
  // (8 or 16) and do up to 16x the work; ConvTranspose is ~8x faster there (measured).
  if (spec.group === 1 && spec.channels < FEW_CHANNELS) return convTranspose(ctx, dy, spec);
  if (geometry.strides.every((s) => s === 1)) return flippedConv(ctx, dy, known);
  const s = geometry.strides[0];
  const pointwise = geometry.kernel.every((k) => k === 1) && geometry.strides.every((v) => v === s);
  if (rank === 2 && pointwise) return pointwiseStrided(ctx, dy, known);
  return convTranspose(ctx, dy, spec);
}

/** Kernel [M, Cg, k...] -> [C, Mg, k...] with every spatial axis reversed (per group). */
export function flippedKernel(weight: Float32Array, dims: readonly number[], group: number) {
  const [m, cg] = dims;
  const k = dims.slice(2).reduce((a, b) => a * b, 1);
  const mg = m / group;
  const out = new Float32Array(weight.length);
  for (let gi = 0; gi < group; gi++) {
    for (let mi = 0; mi < mg; mi++) {
      for (let ci = 0; ci < cg; ci++) {
        const src = ((gi * mg + mi) * cg + ci) * k;
        const dst = ((gi * cg + ci) * mg + mi) * k + (k - 1);
        for (let t = 0; t < k; t++) out[dst - t] = weight[src + t];
      }
    }
  }
  return { values: out, dims: [cg * group, mg, ...dims.slice(2)] };
}

type KnownKernel = ConvBackwardSpec & { weight: Float32Array };

function flippedConv(ctx: GradientContext, dy: string, spec: KnownKernel): string {
  const b = ctx.builder;
  const { geometry, inputSpatial } = spec;
  const rank = inputSpatial.length;
  const kernel = flippedKernel(spec.weight, spec.weightDims, spec.group);
  const w = b.floats(kernel.values, kernel.dims, 'flipped_kernel');
  const pads = new Array<number>(2 * rank);
  for (let i = 0; i < rank; i++) {
    const reach = geometry.dilations[i] * (geometry.kernel[i] - 1);
    const covered = geometry.output[i] - 1 + reach + 1 - geometry.pads[i] - geometry.pads[i + rank];
    pads[i] = reach - geometry.pads[i];
    pads[i + rank] = reach - geometry.pads[i + rank] + (inputSpatial[i] - covered);
  }
  const conv = b.op('Conv', [dy, w], {
    group: spec.group,
    dilations: geometry.dilations,
    kernel_shape: geometry.kernel,
    pads: pads.map((p) => Math.max(p, 0)),
    strides: new Array<number>(rank).fill(1),
  });
  if (pads.every((p) => p >= 0)) return conv;
  // A forward pad larger than the kernel's reach: crop what the clamped pads left over.
  const have = inputSpatial.map((h, i) => h + Math.max(-pads[i], 0) + Math.max(-pads[i + rank], 0));
  return fitSpatial(
    ctx,
    conv,
    have,
    inputSpatial.map((_, i) => Math.max(-pads[i], 0)),
    inputSpatial,
  );
}

function pointwiseStrided(ctx: GradientContext, dy: string, spec: KnownKernel): string {
  const b = ctx.builder;
  const { geometry, inputSpatial, channels } = spec;
  const kernel = flippedKernel(spec.weight, spec.weightDims, spec.group);
  const w = b.floats(kernel.values, kernel.dims, 'transposed_kernel');
  const low = b.op('Conv', [dy, w], { group: spec.group, kernel_shape: [1, 1], pads: [0, 0, 0, 0] });
  return interleaveZeros(
    ctx,
    low,
    channels,
    geometry.strides[0],
    geometry.output,
    geometry.pads.slice(0, 2),
    inputSpatial,
  );
}

/**
 * out[s*q - offset] = x[q] on the spatial axes, zeros elsewhere, cropped/padded to `want`: a depthwise
 * ConvTranspose with a 1x1 identity kernel (measured much faster than Pad or DepthToSpace).
 */
export function interleaveZeros(
  ctx: GradientContext,
  x: string,
  channels: number,
  stride: number,
  have: readonly number[],
  offset: readonly number[],
  want: readonly number[],
): string {
  const b = ctx.builder;
  const ones = b.floats(new Float32Array(channels).fill(1), [channels, 1, 1, 1], 'identity_kernel');
  const full = have.map((h) => (h - 1) * stride + 1);
  const extra = want.map((w, i) => w + offset[i] - full[i]);
  const fits = extra.every((e) => e >= 0 && e < stride);
  const out = b.op('ConvTranspose', [x, ones], {
    group: channels,
    kernel_shape: [1, 1],
    strides: [stride, stride],
    pads: fits ? [...offset, 0, 0] : [0, 0, 0, 0],
    output_padding: fits && extra.some((e) => e > 0) ? extra : undefined,
  });
  if (fits) return out;
  return fitSpatial(ctx, out, full, offset, want);
}

function convTranspose(ctx: GradientContext, dy: string, spec: ConvBackwardSpec): string {
  const b = ctx.builder;
  const { geometry, inputSpatial } = spec;
  const rank = inputSpatial.length;
  const weight = spec.weightName ?? b.floats(spec.weight ?? new Float32Array(0), spec.weightDims, 'kernel');
  const full = inputSpatial.map(
    (_, i) =>
      (geometry.output[i] - 1) * geometry.strides[i] +
      geometry.dilations[i] * (geometry.kernel[i] - 1) +
      1 -
      geometry.pads[i] -
      geometry.pads[i + rank],
  );
  const extra = inputSpatial.map((h, i) => h - full[i]);
  const outputPadding = extra.map((e, i) =>
    e >= 0 && e < Math.max(geometry.strides[i], geometry.dilations[i]) ? e : 0,
  );
  const out = b.op('ConvTranspose', [dy, weight], {
    group: spec.group,
    dilations: geometry.dilations,
    kernel_shape: geometry.kernel,
    pads: geometry.pads,
    strides: geometry.strides,
    output_padding: outputPadding.some((p) => p > 0) ? outputPadding : undefined,
  });
  const have = full.map((f, i) => f + outputPadding[i]);
  return fitSpatial(
    ctx,
    out,
    have,
    inputSpatial.map(() => 0),
    inputSpatial,
  );
}

/**
 * The window [offset, offset + want) of the spatial axes (2, 3, ...) of `x`, whose spatial size is
 * `have`; positions past `have` are zeros.
 */
export function fitSpatial(
  ctx: GradientContext,
  x: string,
  have: readonly number[],
  offset: readonly number[],
  want: readonly number[],
): string {
  const b = ctx.builder;
  const rank = want.length;
  let out = x;
  const shortfall = want.map((w, i) => Math.max(0, offset[i] + w - have[i]));
  if (shortfall.some((p) => p > 0)) {
    const pads = [0, 0, ...new Array<number>(rank).fill(0), 0, 0, ...shortfall];
    out = b.op('Pad', [out, b.intConstant(pads)]);
  }
  const size = have.map((h, i) => h + shortfall[i]);
  const axes = want.map((_, i) => i).filter((i) => offset[i] > 0 || offset[i] + want[i] < size[i]);
  if (axes.length === 0) return out;
  return b.op('Slice', [
    out,
    b.intConstant(axes.map((i) => offset[i])),
    b.intConstant(axes.map((i) => offset[i] + want[i])),
    b.intConstant(axes.map((i) => i + 2)),
  ]);
}
