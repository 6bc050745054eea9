/**
 * The gradient graph of a canonical classifier (classifier-graph.ts) for one loss kind, by reverse-mode
 * differentiation written out as ONNX nodes, so that ONE ONNX Runtime `run` gives a PGD step's logits,
 * loss and input gradient.
 *
 * Inputs: `pixels` [N,H,W,C] and the loss's inputs (loss-head.ts). Outputs: `logits` [N,K], `loss` [N]
 * (= lossOfLogits) and `gradient` [N,H,W,C] = d(sum_n loss_n)/d(pixels).
 *
 * Only the nodes on a path from `pixels` to `logits` are differentiated; weights are constants and no
 * gradient is built for them. BatchNormalization is folded into the Conv before it first.
 *
 * Speed notes (ONNX Runtime 1.30 CPU, per-node kernel times of ResNet-50, MobileNet v1 and the Fashion-MNIST
 * CNN; what each rule file does follows them):
 * - A stride-1 Conv's input gradient as a forward Conv with the flipped kernel runs on ORT's NCHWc path,
 *   like the forward; kernels are flipped once here, not at run time.
 * - Strided kxk (ResNet's 3x3/7x7, MobileNet's depthwise): ConvTranspose beat one polyphase Conv with all
 *   phases as channels (2.3x the FLOPs in zero taps plus DepthToSpace, ~1.5x slower) and one exact Conv per
 *   phase + DepthToSpace (DepthToSpace alone is slow in ORT).
 * - 1x1 strided: a low-resolution Conv, then zeros interleaved by an identity depthwise ConvTranspose
 *   (several times faster than Pad on a 6-D view or DepthToSpace).
 * - 1 or 3 input channels: ORT pads a Conv's outputs to its NCHWc block (16 here), 16x the work;
 *   ConvTranspose is ~8x faster.
 * - MaxPool: asking the forward node for Indices takes it off the NCHWc path (~40x slower pooling); the
 *   taps + ArgMax + ConvTranspose form keeps the forward fast.
 * - ReLU/Clip masks: g * Cast(y > 0) beat Where(y > 0, g, 0) and g * Sign(y) (Sign is not vectorized);
 *   a mask kept in NCHWc layout (depthwise Conv + Tanh) cost more than the reorders it saved.
 */
import type { LossKind } from '../../models/loss.js';
import { LOGITS, PIXELS } from './classifier-graph.js';
import { ConstantTable } from './constants.js';
import { foldBatchNorm } from './fold-batch-norm.js';
import { GraphBuilder, namesInGraph } from './graph-builder.js';
import type { GradientContext } from './gradients/gradient-context.js';
import { GRADIENT_RULES } from './gradients/registry.js';
import { buildLossHead } from './loss-head.js';
import { pruneGraph } from './prune-graph.js';
import { renameTensors } from './rename-tensors.js';
import { DataType, defaultOpset, intAttribute, onnx, valueInfo } from './proto.js';
import { inferShapes } from './shape-inference.js';
import { UnsupportedOpError } from './unsupported-op-error.js';

export const LOSS = 'loss';
export const GRADIENT = 'gradient';

/** Ops whose outputs carry no gradient (integer or boolean results). */
const NON_DIFFERENTIABLE = new Set([
  'Shape',
  'Size',
  'ArgMax',
  'ArgMin',
  'Equal',
  'Greater',
  'GreaterOrEqual',
  'Less',
  'LessOrEqual',
  'Not',
  'And',
  'Or',
  'Xor',
  'NonZero',
  'IsNaN',
  'IsInf',
]);

const FLOAT_TYPES = new Set<number>([DataType.FLOAT, DataType.DOUBLE, DataType.FLOAT16, DataType.BFLOAT16]);

/** The outputs of `node` that can carry a gradient. */
function differentiableOutputs(node: onnx.INodeProto): string[] {
  const outputs = (node.output ?? []).filter((o) => o);
  const op = node.opType ?? '';
  if (NON_DIFFERENTIABLE.has(op)) return [];
  if (op === 'Cast' && !FLOAT_TYPES.has(intAttribute(node, 'to', DataType.FLOAT))) return [];
  if (op === 'MaxPool' || op === 'TopK' || op === 'Dropout') return outputs.slice(0, 1);
  return outputs;
}

const isDefaultDomain = (node: onnx.INodeProto) => !node.domain || node.domain === 'ai.onnx';

/** The nodes on a path from `pixels` to `logits` and the tensors that need a gradient. */
export function gradientPath(nodes: readonly onnx.INodeProto[]) {
  const varying = new Set([PIXELS]);
  for (const node of nodes) {
    if ((node.input ?? []).some((x) => varying.has(x)))
      for (const o of differentiableOutputs(node)) varying.add(o);
  }
  const needed = new Set([LOGITS]);
  const onPath = new Set<onnx.INodeProto>();
  for (let i = nodes.length - 1; i >= 0; i--) {
    const node = nodes[i];
    if (!differentiableOutputs(node).some((o) => needed.has(o))) continue;
    const inputs = (node.input ?? []).filter((x) => varying.has(x));
    if (inputs.length === 0) continue;
    onPath.add(node);
    for (const x of inputs) needed.add(x);
  }
  return { varying, needed, onPath };
}

/** Names the gradient graph gives its own inputs and outputs. */
const RESERVED = [LOSS, GRADIENT, 'labels', 'targets', 'sign', 'weights'];

/** The classifier with any of its tensors that use a reserved name renamed. */
function withoutReservedNames(graph: onnx.IGraphProto): onnx.IGraphProto {
  const names = namesInGraph(graph);
  const builder = new GraphBuilder([...names, ...RESERVED], 'net/');
  const renames = new Map(RESERVED.filter((n) => names.has(n)).map((n) => [n, builder.fresh(n)] as const));
  return renameTensors(graph, renames);
}

export function gradientModel(classifier: onnx.IModelProto, loss: LossKind): onnx.ModelProto {
  const model = foldBatchNorm(classifier);
  const graph = withoutReservedNames(model.graph ?? {});
  const inputNames = (graph.input ?? []).map((i) => i.name);
  const outputNames = (graph.output ?? []).map((o) => o.name);
  if (!inputNames.includes(PIXELS) || !outputNames.includes(LOGITS)) {
    throw new Error(
      `gradientModel: the graph needs input '${PIXELS}' and output '${LOGITS}' (build it with classifierGraph)`,
    );
  }
  const opset = defaultOpset(model);
  const forward = graph.node ?? [];
  const path = gradientPath(forward);
  for (const node of path.onPath) {
    if (!isDefaultDomain(node) || GRADIENT_RULES[node.opType ?? ''] === undefined) {
      throw new UnsupportedOpError(node.opType ?? '?', node.name || node.output?.[0] || '');
    }
  }

  const constants = new ConstantTable(graph);
  const shapes = inferShapes(graph, constants);
  const builder = new GraphBuilder(namesInGraph(graph), 'grad/');
  builder.reserve(...RESERVED);
  const shapeNodes = new Map<string, string>();
  const ctx: GradientContext = {
    builder,
    shapes,
    constants,
    opset,
    runtimeShape(name) {
      let shape = shapeNodes.get(name);
      if (shape === undefined) {
        shape = builder.op('Shape', [name]);
        shapeNodes.set(name, shape);
      }
      return shape;
    },
  };

  const head = buildLossHead(builder, opset, LOGITS, loss, LOSS);
  const contributions = new Map<string, string[]>([[LOGITS, [head.gradient]]]);
  const total = (name: string): string | undefined => {
    const parts = contributions.get(name);
    if (parts === undefined || parts.length === 0) return undefined;
    if (parts.length > 1) contributions.set(name, [builder.op(parts.length === 2 ? 'Add' : 'Sum', parts)]);
    return contributions.get(name)?.[0];
  };

  for (const node of [...forward].reverse()) {
    if (!path.onPath.has(node)) continue;
    const outputGradients = (node.output ?? []).map((o) => (o ? total(o) : undefined));
    if (outputGradients.every((g) => g === undefined)) continue;
    const inputs = node.input ?? [];
    const wanted = inputs.map((x) => x !== '' && path.varying.has(x) && path.needed.has(x));
    const rule = GRADIENT_RULES[node.opType ?? ''];
    const inputGradients = rule(node, outputGradients, wanted, ctx);
    inputs.forEach((x, i) => {
      const g = inputGradients[i];
      if (!wanted[i]) return;
      if (g === undefined)
        throw new Error(`gradientModel: no gradient for input '${x}' of node '${node.name}'`);
      contributions.set(x, [...(contributions.get(x) ?? []), g]);
    });
  }

  const pixelGradient = total(PIXELS);
  if (pixelGradient === undefined) {
    builder.opInto(GRADIENT, 'ConstantOfShape', [builder.op('Shape', [PIXELS])]);
  } else {
    builder.opInto(GRADIENT, 'Identity', [pixelGradient]);
  }

  const pixels = (graph.input ?? []).find((i) => i.name === PIXELS) as onnx.IValueInfoProto;
  const logits = (graph.output ?? []).find((o) => o.name === LOGITS) as onnx.IValueInfoProto;
  const gradientInfo = { ...pixels, name: GRADIENT };
  const result: onnx.IGraphProto = {
    ...graph,
    node: [...forward, ...builder.nodes],
    initializer: [...(graph.initializer ?? []), ...builder.initializers],
    input: [pixels, ...head.inputs],
    output: [logits, valueInfo(LOSS, ['N']), gradientInfo],
    valueInfo: [],
  };
  return onnx.ModelProto.create({ ...model, graph: pruneGraph(result) });
}
