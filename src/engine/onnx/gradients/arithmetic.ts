/** Gradients of the broadcasting arithmetic ops: Add, Sub, Mul, Div, Sum, Neg. */
import type { GradientRule } from './gradient-context.js';
import { reduceToShape } from './reduce-to-shape.js';

export const addGradient: GradientRule = (node, [g], wanted, ctx) => {
  const [a, b] = node.input ?? [];
  const y = node.output?.[0] ?? '';
  if (g === undefined) return [];
  return [
    wanted[0] ? reduceToShape(ctx, g, a, y) : undefined,
    wanted[1] ? reduceToShape(ctx, g, b, y) : undefined,
  ];
};

export const sumGradient: GradientRule = (node, [g], wanted, ctx) => {
  const y = node.output?.[0] ?? '';
  if (g === undefined) return [];
  return (node.input ?? []).map((x, i) => (wanted[i] ? reduceToShape(ctx, g, x, y) : undefined));
};

export const subGradient: GradientRule = (node, [g], wanted, ctx) => {
  const [a, b] = node.input ?? [];
  const y = node.output?.[0] ?? '';
  if (g === undefined) return [];
  return [
    wanted[0] ? reduceToShape(ctx, g, a, y) : undefined,
    wanted[1] ? reduceToShape(ctx, ctx.builder.op('Neg', [g]), b, y) : undefined,
  ];
};

export const negGradient: GradientRule = (_node, [g], wanted, ctx) => {
  if (g === undefined || !wanted[0]) return [];
  return [ctx.builder.op('Neg', [g])];
};

export const mulGradient: GradientRule = (node, [g], wanted, ctx) => {
  const [a, b] = node.input ?? [];
  const y = node.output?.[0] ?? '';
  if (g === undefined) return [];
  const mul = (x: string) => ctx.builder.op('Mul', [g, x]);
  return [
    wanted[0] ? reduceToShape(ctx, mul(b), a, y) : undefined,
    wanted[1] ? reduceToShape(ctx, mul(a), b, y) : undefined,
  ];
};

export const divGradient: GradientRule = (node, [g], wanted, ctx) => {
  const [a, b] = node.input ?? [];
  const y = node.output?.[0] ?? '';
  if (g === undefined) return [];
  const builder = ctx.builder;
  // d(a/b)/db = -a/b^2 = -y/b.
  return [
    wanted[0] ? reduceToShape(ctx, builder.op('Div', [g, b]), a, y) : undefined,
    wanted[1]
      ? reduceToShape(ctx, builder.op('Neg', [builder.op('Div', [builder.op('Mul', [g, y]), b])]), b, y)
      : undefined,
  ];
};
