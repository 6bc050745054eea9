/** Gradient of Conv w.r.t. its input (the kernel and bias are constants: no gradient is built for them). */
import { intAttribute } from '../proto.js';
import { windowGeometry } from '../sliding-window.js';
import { convInputGradient } from './conv-backward.js';
import { nodeLabel, requireShape, requireStaticImage, type GradientRule } from './gradient-context.js';

export const convGradient: GradientRule = (node, [g], wanted, ctx) => {
  if (g === undefined || !wanted[0]) return [];
  if (wanted[1] || wanted[2]) {
    throw new Error(
      `ONNX node '${nodeLabel(node)}' (Conv): its kernel depends on the input; advx only differentiates w.r.t. the input`,
    );
  }
  const [x, w] = node.input ?? [];
  const { channels, spatial } = requireStaticImage(ctx, node, x);
  const weightShape = requireShape(ctx, node, w);
  if (!weightShape.every((d) => typeof d === 'number')) {
    throw new Error(`ONNX node '${nodeLabel(node)}' (Conv): the kernel's shape must be static`);
  }
  const weightDims = weightShape as number[];
  const group = intAttribute(node, 'group', 1);
  const geometry = windowGeometry(node, spatial, weightDims.slice(2));
  const weight = ctx.constants.floats(w);
  return [
    convInputGradient(ctx, g, {
      weight,
      weightDims,
      weightName: w,
      group,
      geometry,
      channels,
      inputSpatial: spatial,
    }),
  ];
};
