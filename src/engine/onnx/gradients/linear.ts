/** Gradients of Gemm and MatMul (constant weights are transposed once, at build time). */
import { floatAttribute, intAttribute } from '../proto.js';
import { UnsupportedOpError } from '../unsupported-op-error.js';
import { nodeLabel, requireShape, type GradientContext, type GradientRule } from './gradient-context.js';
import { reduceToShape } from './reduce-to-shape.js';

/** A constant 2-D matrix transposed, as a new initializer; undefined when `name` is not a constant. */
function transposedConstant(ctx: GradientContext, name: string): string | undefined {
  const values = ctx.constants.floats(name);
  const dims = ctx.constants.get(name)?.dims;
  if (values === undefined || dims?.length !== 2) return undefined;
  const [rows, cols] = dims;
  const out = new Float32Array(values.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = values[r * cols + c];
  return ctx.builder.floats(out, [cols, rows], `${name}_T`);
}

/** Y = alpha * op(A) op(B) + beta * C. */
export const gemmGradient: GradientRule = (node, [g], wanted, ctx) => {
  if (g === undefined) return [];
  const b = ctx.builder;
  const [, w, c] = node.input ?? [];
  const y = node.output?.[0] ?? '';
  const alpha = floatAttribute(node, 'alpha', 1);
  const beta = floatAttribute(node, 'beta', 1);
  const transA = intAttribute(node, 'transA', 0);
  const transB = intAttribute(node, 'transB', 0);
  const scaled = (attrs: Record<string, number>) => (alpha === 1 ? attrs : { ...attrs, alpha });
  const float = ['alpha'];
  let da: string | undefined;
  if (wanted[0]) {
    if (transA === 0) {
      // dA = alpha * g op(B)^T. With a constant B, store op(B)^T so the Gemm needs no transpose flag.
      const direct = transB === 1 ? w : undefined;
      const folded = transB === 0 ? transposedConstant(ctx, w) : undefined;
      const weight = direct ?? folded;
      da =
        weight !== undefined
          ? b.op('Gemm', [g, weight], scaled({}), float)
          : b.op('Gemm', [g, w], scaled({ transB: 1 - transB }), float);
    } else {
      da = b.op('Gemm', [w, g], scaled({ transA: transB, transB: 1 }), float);
    }
  }
  if (wanted[1])
    throw new UnsupportedOpError('Gemm', nodeLabel(node), 'a second operand that depends on the input');
  let dc: string | undefined;
  if (wanted[2] && c) {
    const gc = beta === 1 ? g : b.op('Mul', [g, b.scalar(beta)]);
    dc = reduceToShape(ctx, gc, c, y);
  }
  return [da, undefined, dc];
};

/** Y = A B (numpy matmul broadcasting); rank-1 A is not supported on the path. */
export const matMulGradient: GradientRule = (node, [g], wanted, ctx) => {
  if (g === undefined) return [];
  const b = ctx.builder;
  const [a, w] = node.input ?? [];
  const y = node.output?.[0] ?? '';
  const rankA = requireShape(ctx, node, a).length;
  const rankB = requireShape(ctx, node, w).length;
  if (rankA < 2) throw new UnsupportedOpError('MatMul', nodeLabel(node), 'a 1-D first operand');
  const swapLast = (rank: number) =>
    [...Array(rank).keys()].map((i) => (i < rank - 2 ? i : 2 * rank - 3 - i));
  const transpose = (x: string, rank: number) => b.op('Transpose', [x], { perm: swapLast(rank) });
  let da: string | undefined;
  if (wanted[0]) {
    if (rankB === 1) {
      // Y[..., m] = sum_k A[..., m, k] B[k]: dA = g[..., m, 1] * B[k].
      da = b.op('Mul', [b.op('Unsqueeze', [g, b.intConstant([-1])]), w]);
    } else {
      const wT = (rankB === 2 ? transposedConstant(ctx, w) : undefined) ?? transpose(w, rankB);
      const ys = ctx.shapes.get(y);
      const aShape = ctx.shapes.get(a);
      const productShape = ys && aShape ? [...ys.slice(0, -1), aShape[aShape.length - 1]] : undefined;
      da = reduceToShape(ctx, b.op('MatMul', [g, wT]), a, productShape);
    }
  }
  let dw: string | undefined;
  if (wanted[1]) {
    if (rankB === 1)
      throw new UnsupportedOpError('MatMul', nodeLabel(node), 'a 1-D second operand on the path');
    const product = b.op('MatMul', [transpose(a, rankA), g]);
    const ys = ctx.shapes.get(y);
    const aShape = ctx.shapes.get(a);
    const productShape =
      ys && aShape ? [...ys.slice(0, -2), aShape[aShape.length - 1], ys[ys.length - 1]] : undefined;
    dw = reduceToShape(ctx, product, w, productShape);
  }
  return [da, dw];
};
