/**
 * Gradients of activations. ReLU and Clip masks come from the forward OUTPUT (y > 0 iff x > 0), so ONNX
 * Runtime can still fuse Conv + activation in the forward pass. At the kinks the gradient is 0 (strict
 * inequalities), as PyTorch's threshold/hardtanh backward does.
 */
import { DataType, floatAttribute, intAttribute } from '../proto.js';
import type { GradientContext, GradientRule } from './gradient-context.js';
import { reduce } from './reduce-to-shape.js';

/** `g` where `condition` holds, 0 elsewhere (g * Cast(condition): measured faster than Where in ORT). */
export function masked(ctx: GradientContext, condition: string, g: string): string {
  const b = ctx.builder;
  return b.op('Mul', [g, b.op('Cast', [condition], { to: DataType.FLOAT })]);
}

export const reluGradient: GradientRule = (node, [g], wanted, ctx) => {
  if (g === undefined || !wanted[0]) return [];
  const b = ctx.builder;
  const y = node.output?.[0] ?? '';
  return [masked(ctx, b.op('Greater', [y, b.scalar(0)]), g)];
};

export const clipGradient: GradientRule = (node, [g], wanted, ctx) => {
  if (g === undefined || !wanted[0]) return [];
  const b = ctx.builder;
  const y = node.output?.[0] ?? '';
  const min = node.input?.[1] ?? '';
  const max = node.input?.[2] ?? '';
  const conditions: string[] = [];
  if (min !== '') conditions.push(b.op('Greater', [y, min]));
  if (max !== '') conditions.push(b.op('Less', [y, max]));
  if (conditions.length === 0) return [g];
  const condition = conditions.length === 1 ? conditions[0] : b.op('And', conditions);
  return [masked(ctx, condition, g)];
};

export const leakyReluGradient: GradientRule = (node, [g], wanted, ctx) => {
  if (g === undefined || !wanted[0]) return [];
  const b = ctx.builder;
  const x = node.input?.[0] ?? '';
  const alpha = floatAttribute(node, 'alpha', 0.01);
  const positive = b.op('Greater', [x, b.scalar(0)]);
  return [b.op('Where', [positive, g, b.op('Mul', [g, b.scalar(alpha)])])];
};

export const sigmoidGradient: GradientRule = (node, [g], wanted, ctx) => {
  if (g === undefined || !wanted[0]) return [];
  const b = ctx.builder;
  const y = node.output?.[0] ?? '';
  const slope = b.op('Mul', [y, b.op('Sub', [b.scalar(1), y])]);
  return [b.op('Mul', [g, slope])];
};

export const tanhGradient: GradientRule = (node, [g], wanted, ctx) => {
  if (g === undefined || !wanted[0]) return [];
  const b = ctx.builder;
  const y = node.output?.[0] ?? '';
  const slope = b.op('Sub', [b.scalar(1), b.op('Mul', [y, y])]);
  return [b.op('Mul', [g, slope])];
};

function softmaxAxis(ctx: GradientContext, node: Parameters<GradientRule>[0]): number {
  const axis = intAttribute(node, 'axis', -1);
  const rank = ctx.shapes.rank(node.input?.[0] ?? '');
  if (axis >= 0) return axis;
  if (rank === undefined)
    throw new Error(`ONNX node '${node.name}' (${node.opType}): the rank of its input is unknown`);
  return axis + rank;
}

/** y = softmax(x): dx = y * (g - sum(g * y)). */
export const softmaxGradient: GradientRule = (node, [g], wanted, ctx) => {
  if (g === undefined || !wanted[0]) return [];
  const b = ctx.builder;
  const y = node.output?.[0] ?? '';
  const dot = reduce(ctx, 'ReduceSum', b.op('Mul', [g, y]), [softmaxAxis(ctx, node)], true);
  return [b.op('Mul', [y, b.op('Sub', [g, dot])])];
};

/** y = logsoftmax(x): dx = g - exp(y) * sum(g). */
export const logSoftmaxGradient: GradientRule = (node, [g], wanted, ctx) => {
  if (g === undefined || !wanted[0]) return [];
  const b = ctx.builder;
  const y = node.output?.[0] ?? '';
  const total = reduce(ctx, 'ReduceSum', g, [softmaxAxis(ctx, node)], true);
  return [b.op('Sub', [g, b.op('Mul', [b.op('Exp', [y]), total])])];
};
