/**
 * What a gradient rule sees: the builder it emits backward nodes into, and the forward graph's static
 * shapes and constants. A rule maps the gradients of a node's
 * outputs to the gradients of the inputs that need one (`wanted`).
 */
import type { ConstantTable } from '../constants.js';
import type { GraphBuilder } from '../graph-builder.js';
import { onnx } from '../proto.js';
import type { Dim, ShapeTable } from '../shape-inference.js';

export interface GradientContext {
  readonly builder: GraphBuilder;
  readonly shapes: ShapeTable;
  readonly constants: ConstantTable;
  /** Default-domain opset of the graph being written. */
  readonly opset: number;
  /** A run-time Shape of `name` (one node per tensor). */
  runtimeShape(name: string): string;
}

/** Gradients of a node's inputs (undefined: none) from those of its outputs. */
export type GradientRule = (
  node: onnx.INodeProto,
  outputGradients: readonly (string | undefined)[],
  wanted: readonly boolean[],
  ctx: GradientContext,
) => (string | undefined)[];

/** The node's name for messages. */
export function nodeLabel(node: onnx.INodeProto): string {
  return node.name || node.output?.[0] || node.opType || '?';
}

/** The static shape of `name`, or a clear error naming the node and what needs it. */
export function requireShape(ctx: GradientContext, node: onnx.INodeProto, name: string): Dim[] {
  const shape = ctx.shapes.get(name);
  if (shape === undefined) {
    throw new Error(
      `ONNX node '${nodeLabel(node)}' (${node.opType}): the shape of '${name}' is unknown; advx's gradient builder needs its rank`,
    );
  }
  return shape;
}

/** Static spatial dims (all but batch and channels) and channel count of an N,C,... tensor. */
export function requireStaticImage(ctx: GradientContext, node: onnx.INodeProto, name: string) {
  const shape = requireShape(ctx, node, name);
  const rest = shape.slice(1);
  if (shape.length < 3 || rest.some((d) => typeof d !== 'number')) {
    throw new Error(
      `ONNX node '${nodeLabel(node)}' (${node.opType}): input '${name}' has shape [${shape.join(',')}]; advx's gradient builder needs static channel and spatial sizes`,
    );
  }
  return { channels: rest[0] as number, spatial: rest.slice(1) as number[] };
}
