/**
 * Gradient of inference BatchNormalization that could not be folded into a convolution:
 * dx = g * scale / sqrt(var + eps), per channel (axis 1).
 */
import { floatAttribute, intAttribute } from '../proto.js';
import { nodeLabel, requireShape, type GradientRule } from './gradient-context.js';

export const batchNormGradient: GradientRule = (node, [g], wanted, ctx) => {
  if (g === undefined || !wanted[0]) return [];
  if (wanted.slice(1).some((w) => w)) {
    throw new Error(
      `ONNX node '${nodeLabel(node)}' (BatchNormalization): its parameters depend on the input; advx only differentiates w.r.t. the input`,
    );
  }
  if (intAttribute(node, 'training_mode', 0) === 1) {
    throw new Error(`ONNX node '${nodeLabel(node)}' (BatchNormalization): training mode is not supported`);
  }
  const b = ctx.builder;
  const [x, scale, , , variance] = node.input ?? [];
  const rank = requireShape(ctx, node, x).length;
  const epsilon = floatAttribute(node, 'epsilon', 1e-5);
  const trailing = new Array<number>(Math.max(rank - 2, 0)).fill(1);
  const scaleValues = ctx.constants.floats(scale);
  const varianceValues = ctx.constants.floats(variance);
  let factor: string;
  if (scaleValues !== undefined && varianceValues !== undefined) {
    const values = scaleValues.map((s, c) => s / Math.sqrt(varianceValues[c] + epsilon));
    factor = b.floats(values, [values.length, ...trailing], 'bn_factor');
  } else {
    const perChannel = b.op('Div', [scale, b.op('Sqrt', [b.op('Add', [variance, b.scalar(epsilon)])])]);
    factor = b.op('Reshape', [perChannel, b.intConstant([-1, ...trailing])]);
  }
  return [b.op('Mul', [g, factor])];
};
