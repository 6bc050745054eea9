/**
 * Summing a broadcast gradient back to an operand's shape, and reductions written in the form the graph's
 * opset wants (axes as an attribute until opset 17, as an input from 18; ReduceSum takes an input from 13).
 */
import type { GraphBuilder } from '../graph-builder.js';
import type { GradientContext } from './gradient-context.js';
import type { Dim } from '../shape-inference.js';

/** A Reduce* node over constant `axes`, in the form of `opset`. */
export function reduceNode(
  b: GraphBuilder,
  opset: number,
  op: 'ReduceSum' | 'ReduceMax' | 'ReduceMean',
  x: string,
  axes: readonly number[],
  keepdims: boolean,
): string {
  if (op === 'ReduceSum' || opset >= 18) {
    return b.op(op, [x, b.intConstant(axes)], { keepdims: keepdims ? 1 : 0 });
  }
  return b.op(op, [x], { axes: [...axes], keepdims: keepdims ? 1 : 0 });
}

/** A Reduce* node over constant `axes` in the gradient graph. */
export function reduce(
  ctx: GradientContext,
  op: 'ReduceSum' | 'ReduceMax' | 'ReduceMean',
  x: string,
  axes: readonly number[],
  keepdims: boolean,
): string {
  return reduceNode(ctx.builder, ctx.opset, op, x, axes, keepdims);
}

/**
 * `grad` (of static shape `gradShape`, or the shape of the tensor named so) summed over the axes along
 * which `operand` was broadcast. Decided statically when both shapes are known, at run time otherwise.
 */
export function reduceToShape(
  ctx: GradientContext,
  grad: string,
  operand: string,
  gradShape: string | readonly Dim[] | undefined,
): string {
  const a = ctx.shapes.get(operand);
  const y = typeof gradShape === 'string' ? ctx.shapes.get(gradShape) : gradShape;
  if (a !== undefined && y !== undefined) {
    const axes = staticBroadcastAxes(a, y);
    if (axes !== undefined) {
      if (axes.length === 0) return grad;
      const summed = reduce(ctx, 'ReduceSum', grad, axes, true);
      if (a.length === y.length) return summed;
      return reshapeTo(ctx, summed, operand, a);
    }
  }
  return runtimeReduceToShape(ctx, grad, operand, a?.length, y?.length);
}

/** Axes of `output` that `operand` was broadcast along, or undefined when the static shapes cannot tell. */
export function staticBroadcastAxes(operand: readonly Dim[], output: readonly Dim[]): number[] | undefined {
  const lead = output.length - operand.length;
  if (lead < 0) return undefined;
  const axes: number[] = [];
  for (let i = 0; i < output.length; i++) {
    if (i < lead) {
      axes.push(i);
      continue;
    }
    const d = operand[i - lead];
    if (d === output[i]) continue;
    if (d === 1 && typeof output[i] === 'number') axes.push(i);
    else return undefined;
  }
  return axes;
}

function reshapeTo(ctx: GradientContext, x: string, like: string, shape: readonly Dim[]): string {
  const b = ctx.builder;
  if (shape.every((d) => typeof d === 'number'))
    return b.op('Reshape', [x, b.intConstant(shape as number[])]);
  return b.op('Reshape', [x, ctx.runtimeShape(like)]);
}

function runtimeReduceToShape(
  ctx: GradientContext,
  grad: string,
  operand: string,
  operandRank: number | undefined,
  outputRank: number | undefined,
): string {
  const b = ctx.builder;
  if (operandRank === undefined || outputRank === undefined) {
    throw new Error(
      `advx's gradient builder cannot sum a broadcast gradient back to '${operand}': the ranks are unknown`,
    );
  }
  const gradShape = b.op('Shape', [grad]);
  let operandShape = ctx.runtimeShape(operand);
  if (outputRank > operandRank) {
    const ones = b.intConstant(new Array<number>(outputRank - operandRank).fill(1));
    operandShape = b.op('Concat', [ones, operandShape], { axis: 0 });
  }
  const differs = b.op('Not', [b.op('Equal', [operandShape, gradShape])]);
  const axes = b.op('Reshape', [b.op('NonZero', [differs]), b.intConstant([-1])]);
  const summed = b.op('ReduceSum', [grad, axes], { keepdims: 1, noop_with_empty_axes: 1 });
  return b.op('Reshape', [summed, ctx.runtimeShape(operand)]);
}
