/**
 * Gradients of ops that only move values: Identity, Dropout (inference), Cast, Flatten, Reshape, Squeeze,
 * Unsqueeze, Transpose, Concat, Pad (constant mode), Gather with constant indices.
 */
import { DataType, intAttribute, intsAttribute, stringAttribute } from '../proto.js';
import { UnsupportedOpError } from '../unsupported-op-error.js';
import { nodeLabel, requireShape, type GradientContext, type GradientRule } from './gradient-context.js';

export const identityGradient: GradientRule = (_node, [g], wanted) => (wanted[0] ? [g] : []);

export const castGradient: GradientRule = (node, [g], wanted, ctx) => {
  if (g === undefined || !wanted[0]) return [];
  const to = intAttribute(node, 'to', DataType.FLOAT);
  return [to === DataType.FLOAT ? g : ctx.builder.op('Cast', [g], { to: DataType.FLOAT })];
};

/** Flatten, Reshape, Squeeze, Unsqueeze: the gradient is reshaped back to the input's run-time shape. */
export const reshapeGradient: GradientRule = (node, [g], wanted, ctx) => {
  if (g === undefined || !wanted[0]) return [];
  const x = node.input?.[0] ?? '';
  return [ctx.builder.op('Reshape', [g, ctx.runtimeShape(x)])];
};

export const transposeGradient: GradientRule = (node, [g], wanted, ctx) => {
  if (g === undefined || !wanted[0]) return [];
  const rank = requireShape(ctx, node, node.input?.[0] ?? '').length;
  const perm = intsAttribute(
    node,
    'perm',
    Array.from({ length: rank }, (_, i) => rank - 1 - i),
  );
  const inverse = new Array<number>(perm.length);
  perm.forEach((p, i) => (inverse[p] = i));
  return [ctx.builder.op('Transpose', [g], { perm: inverse })];
};

export const concatGradient: GradientRule = (node, [g], wanted, ctx) => {
  if (g === undefined) return [];
  const b = ctx.builder;
  const inputs = node.input ?? [];
  const rank = requireShape(ctx, node, inputs[0]).length;
  let axis = intAttribute(node, 'axis', 0);
  if (axis < 0) axis += rank;
  const sizes = inputs.map((x) => ctx.shapes.get(x)?.[axis]);
  let split: string;
  if (sizes.every((s) => typeof s === 'number')) {
    split = b.intConstant(sizes as number[]);
  } else {
    const parts = inputs.map((x) =>
      b.op('Gather', [ctx.runtimeShape(x), b.intConstant([axis])], { axis: 0 }),
    );
    split = b.op('Concat', parts, { axis: 0 });
  }
  const outputs = b.nodeWithOutputs('Split', [g, split], inputs.length, { axis });
  return outputs.map((o, i) => (wanted[i] ? o : undefined));
};

export const padGradient: GradientRule = (node, [g], wanted, ctx) => {
  if (g === undefined || !wanted[0]) return [];
  const mode = stringAttribute(node, 'mode', 'constant');
  if (mode !== 'constant') throw new UnsupportedOpError('Pad', nodeLabel(node), `mode '${mode}'`);
  const rank = requireShape(ctx, node, node.input?.[0] ?? '').length;
  const pads = ctx.constants.ints(node.input?.[1] ?? '');
  if (pads === undefined) throw new UnsupportedOpError('Pad', nodeLabel(node), 'pads computed at run time');
  const axesInput = node.input?.[3];
  let full = pads;
  if (axesInput) {
    const axes = ctx.constants.ints(axesInput);
    if (axes === undefined) throw new UnsupportedOpError('Pad', nodeLabel(node), 'axes computed at run time');
    full = new Array<number>(2 * rank).fill(0);
    axes.forEach((a, k) => {
      const axis = a < 0 ? a + rank : a;
      full[axis] = pads[k];
      full[axis + rank] = pads[k + axes.length];
    });
  }
  return [unpad(ctx, g, full, rank)];
};

/** Inverse of a constant Pad with `pads` (negative pads cropped, so the inverse pads them back). */
export function unpad(ctx: GradientContext, g: string, pads: readonly number[], rank: number): string {
  const b = ctx.builder;
  let out = g;
  const crop = pads.map((p) => Math.max(p, 0));
  const refill = pads.map((p) => Math.max(-p, 0));
  if (refill.some((p) => p > 0)) out = b.op('Pad', [out, b.intConstant(refill)], { mode: 'constant' });
  const axes = [...Array(rank).keys()].filter((i) => crop[i] > 0 || crop[i + rank] > 0);
  if (axes.length > 0) {
    const big = Number.MAX_SAFE_INTEGER;
    out = b.op('Slice', [
      out,
      b.intConstant(axes.map((i) => crop[i])),
      b.intConstant(axes.map((i) => (crop[i + rank] > 0 ? -crop[i + rank] : big))),
      b.intConstant(axes),
    ]);
  }
  return out;
}

export const gatherGradient: GradientRule = (node, [g], wanted, ctx) => {
  if (g === undefined || !wanted[0]) return [];
  if (wanted[1]) throw new UnsupportedOpError('Gather', nodeLabel(node), 'indices that depend on the input');
  const b = ctx.builder;
  const [x, indicesName] = node.input ?? [];
  const shape = requireShape(ctx, node, x);
  const rank = shape.length;
  let axis = intAttribute(node, 'axis', 0);
  if (axis < 0) axis += rank;
  const indices = ctx.constants.ints(indicesName);
  const indexDims = ctx.constants.get(indicesName)?.dims;
  const size = shape[axis];
  if (indices === undefined || indexDims === undefined || indexDims.length > 1) {
    throw new UnsupportedOpError('Gather', nodeLabel(node), 'indices must be a constant scalar or list');
  }
  if (typeof size !== 'number') {
    throw new Error(
      `ONNX node '${nodeLabel(node)}' (Gather): the size of axis ${axis} of '${x}' must be static`,
    );
  }
  const normalized = indices.map((i) => (i < 0 ? i + size : i));
  const grad = indexDims.length === 0 ? b.op('Unsqueeze', [g, b.intConstant([axis])]) : g;
  if (isPermutation(normalized, size)) {
    const inverse = new Array<number>(size);
    normalized.forEach((p, i) => (inverse[p] = i));
    return [b.op('Gather', [grad, b.intConstant(inverse)], { axis })];
  }
  // Selection (possibly repeated): multiply by the one-hot matrix P [m, size] along the axis.
  const m = normalized.length;
  const oneHot = new Float32Array(m * size);
  normalized.forEach((p, j) => (oneHot[j * size + p] += 1));
  const matrix = b.floats(oneHot, [m, size], 'gather_one_hot');
  if (axis === rank - 1) return [b.op('MatMul', [grad, matrix])];
  const toLast = [...Array(rank).keys()].filter((i) => i !== axis).concat([axis]);
  const back = new Array<number>(rank);
  toLast.forEach((p, i) => (back[p] = i));
  const moved = b.op('Transpose', [grad], { perm: toLast });
  return [b.op('Transpose', [b.op('MatMul', [moved, matrix])], { perm: back })];
};

function isPermutation(indices: readonly number[], size: number): boolean {
  if (indices.length !== size) return false;
  const seen = new Set(indices);
  return seen.size === size && indices.every((i) => i >= 0 && i < size);
}
