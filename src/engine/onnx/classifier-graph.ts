/**
 * advx's canonical classifier graph: ONE float input `pixels` [N,H,W,C] (NHWC, values in the model's
 * bounds) and ONE output `logits` [N,K], built from a user's forward graph:
 *
 * - preprocessing (channel flip, scale, mean, std: src/models/preprocessing.ts) as graph nodes, then a
 *   Transpose to NCHW for networks that take NCHW (PyTorch);
 * - a final Softmax / LogSoftmax (possibly followed by Reshape / Flatten / Identity, or the Transpose and
 *   Squeeze of an NHWC export) dropped, so the output is logits;
 * - `outputOrder` (canonical class j = network output outputOrder[j]) as a Gather on axis 1;
 * - any batch size: a fixed batch dim becomes symbolic (constant Reshape targets that spelled the fixed
 *   batch copy it instead);
 * - nodes of older opsets (7..12) rewritten to their opset-13+ forms.
 */
import type { Preprocessing } from '../../models/preprocessing.js';
import { ConstantTable } from './constants.js';
import { GraphBuilder, namesInGraph } from './graph-builder.js';
import { normalizeOpset } from './normalize-opset.js';
import { pruneGraph } from './prune-graph.js';
import { renameTensors } from './rename-tensors.js';
import { DataType, intAttribute, onnx, valueInfo, valueInfoDims } from './proto.js';
import { dimProduct, inferShapes } from './shape-inference.js';

export type InputLayout = 'NCHW' | 'NHWC';

export interface ClassifierGraphOptions {
  preprocessing?: Preprocessing;
  /** The network's own input layout (NCHW for PyTorch exports). */
  layout: InputLayout;
  /** Canonical class j is network output outputOrder[j]. */
  outputOrder?: readonly number[];
  /** [H, W, C] for a network whose input has symbolic spatial dims. */
  inputSize?: readonly [number, number, number];
}

export const PIXELS = 'pixels';
export const LOGITS = 'logits';

/** The network's one image input (graph inputs that are initializers are weights, not inputs). */
function imageInput(model: onnx.IModelProto): onnx.IValueInfoProto {
  const graph = model.graph;
  if (!graph || (graph.node?.length ?? 0) === 0) throw new Error('ONNX model: no graph');
  const weights = new Set((graph.initializer ?? []).map((t) => t.name));
  const inputs = (graph.input ?? []).filter((i) => !weights.has(i.name));
  if (inputs.length !== 1) {
    throw new Error(
      `ONNX model has ${inputs.length} inputs (${inputs.map((i) => i.name).join(', ')}); advx needs a classifier with one image input`,
    );
  }
  return inputs[0];
}

/** NCHW or NHWC from the input's static dims (a channel dim of 1 or 3); undefined when ambiguous. */
export function inputLayout(model: onnx.IModelProto): InputLayout | undefined {
  const dims = valueInfoDims(imageInput(model));
  if (dims.length !== 4) return undefined;
  const isChannels = (d: number) => d === 1 || d === 3;
  if (isChannels(dims[1]) && !isChannels(dims[3])) return 'NCHW';
  if (isChannels(dims[3]) && !isChannels(dims[1])) return 'NHWC';
  return undefined;
}

/** [H, W, C] of one input, or undefined when the layout is unknown or a size is symbolic. */
export function inputSize(
  model: onnx.IModelProto,
  layout: InputLayout | undefined = inputLayout(model),
): [number, number, number] | undefined {
  const dims = valueInfoDims(imageInput(model));
  if (dims.length !== 4 || layout === undefined) return undefined;
  const size: [number, number, number] =
    layout === 'NCHW' ? [dims[2], dims[3], dims[1]] : [dims[1], dims[2], dims[3]];
  return size.every((d) => d > 0) ? size : undefined;
}

export function classifierGraph(model: onnx.IModelProto, options: ClassifierGraphOptions): onnx.ModelProto {
  const input = imageInput(model);
  const graph = model.graph as onnx.IGraphProto;
  const outputs = graph.output ?? [];
  if (outputs.length !== 1) {
    throw new Error(
      `ONNX model has ${outputs.length} outputs (${outputs.map((o) => o.name).join(', ')}); advx needs one output (the class scores)`,
    );
  }
  const elementType = input.type?.tensorType?.elemType;
  if (elementType !== DataType.FLOAT) {
    throw new Error(
      `ONNX model input '${input.name}' has element type ${elementType}; advx needs float32 pixels`,
    );
  }
  const [height, width, channels] = imageSize(input, options);
  const builder = new GraphBuilder([...namesInGraph(graph), PIXELS, LOGITS], 'advx/');
  const { source, networkInput, networkOutput } = withoutCanonicalNames(graph, builder, input.name ?? '');

  let nodes = withoutFinalSoftmax(source.node ?? [], networkOutput);
  const used = new Set([networkOutput, ...nodes.flatMap((n) => n.input ?? [])]);
  const normalized = normalizeOpset({ ...model, graph: { ...source, node: nodes } }, builder, used);
  nodes = normalized.nodes;
  const pre = preprocessingNodes(builder, options, channels, networkInput);
  const fixedBatch = valueInfoDims(input)[0];
  if (fixedBatch > 0) {
    const constants = new ConstantTable({
      ...source,
      node: nodes,
      initializer: [...(source.initializer ?? []), ...builder.initializers],
    });
    nodes = withSymbolicBatch(nodes, fixedBatch, networkInput, constants, builder);
  }

  const network: onnx.IGraphProto = {
    ...source,
    node: [...pre, ...nodes],
    initializer: [...(source.initializer ?? []), ...builder.initializers],
    input: [valueInfo(PIXELS, ['N', height, width, channels])],
    output: [valueInfo(networkOutput, ['N', 'K'])],
    valueInfo: [],
  };
  const opsetImport = [
    ...(model.opsetImport ?? []).filter((o) => o.domain && o.domain !== 'ai.onnx'),
    { domain: '', version: normalized.opset },
  ];
  const irVersion = Math.max(Number(model.irVersion ?? 0), 8);
  const result = withLogitsOutput(network, networkOutput, networkInput, options.outputOrder);
  return onnx.ModelProto.create({ ...model, irVersion, opsetImport, graph: pruneGraph(result) });
}

/** The graph with any tensor named `pixels` or `logits` renamed, and its input's and output's new names. */
function withoutCanonicalNames(graph: onnx.IGraphProto, builder: GraphBuilder, inputName: string) {
  const taken = namesInGraph(graph);
  const renames = new Map(
    [PIXELS, LOGITS].filter((n) => taken.has(n)).map((n) => [n, builder.fresh(n)] as const),
  );
  const outputName = graph.output?.[0]?.name ?? '';
  return {
    source: renameTensors(graph, renames),
    networkInput: renames.get(inputName) ?? inputName,
    networkOutput: renames.get(outputName) ?? outputName,
  };
}

/**
 * `network` ending in a `logits` output [N, K]: the network's output flattened when it has more than 2
 * dims, reordered by `outputOrder`, and renamed.
 */
function withLogitsOutput(
  network: onnx.IGraphProto,
  networkOutput: string,
  networkInput: string,
  outputOrder: readonly number[] | undefined,
): onnx.IGraphProto {
  const shape = inferShapes(network, new ConstantTable(network)).get(networkOutput);
  const post = new GraphBuilder([...namesInGraph(network), PIXELS, LOGITS], 'advx/');
  let output = networkOutput;
  if (shape !== undefined && shape.length > 2) output = post.op('Flatten', [output], { axis: 1 });
  const total = shape === undefined ? undefined : dimProduct(shape.slice(1));
  let classes = typeof total === 'number' ? total : undefined;
  if (outputOrder !== undefined) {
    const bad = outputOrder.find(
      (j) => !Number.isInteger(j) || j < 0 || (classes !== undefined && j >= classes),
    );
    if (bad !== undefined) {
      throw new Error(
        `outputOrder: class ${bad} is out of range for a network with ${classes ?? '?'} outputs`,
      );
    }
    output = post.op('Gather', [output, post.intConstant([...outputOrder])], { axis: 1 });
    classes = outputOrder.length;
  }
  let nodes = [...(network.node ?? []), ...post.nodes];
  if (output === networkInput || !nodes.some((n) => (n.output ?? []).includes(output))) {
    post.opInto(LOGITS, 'Identity', [output]);
    nodes = [...(network.node ?? []), ...post.nodes];
  } else {
    const rename = (x: string) => (x === output ? LOGITS : x);
    nodes = nodes.map((n) => ({
      ...n,
      input: (n.input ?? []).map(rename),
      output: (n.output ?? []).map(rename),
    }));
  }
  return {
    ...network,
    node: nodes,
    initializer: [...(network.initializer ?? []), ...post.initializers],
    output: [valueInfo(LOGITS, ['N', classes ?? 'K'])],
  };
}

function imageSize(input: onnx.IValueInfoProto, options: ClassifierGraphOptions): [number, number, number] {
  const dims = valueInfoDims(input);
  if (dims.length !== 4) {
    throw new Error(
      `ONNX model input '${input.name}' has rank ${dims.length}; advx needs an image batch [N,C,H,W] or [N,H,W,C]`,
    );
  }
  const declared = options.layout === 'NCHW' ? [dims[2], dims[3], dims[1]] : [dims[1], dims[2], dims[3]];
  const size = declared.map((d, i) => {
    const given = options.inputSize?.[i];
    if (d > 0 && given !== undefined && given !== d) {
      throw new Error(
        `inputSize [${options.inputSize?.join(',')}] does not match the ONNX model's input [${declared.join(',')}] (H,W,C)`,
      );
    }
    return d > 0 ? d : (given ?? -1);
  });
  if (size.some((d) => d <= 0)) {
    throw new Error(
      `ONNX model input '${input.name}' has symbolic size [${declared.map((d) => (d > 0 ? d : '?')).join(',')}] (H,W,C); give the input size`,
    );
  }
  return size as [number, number, number];
}

/** Ops that only move values; a softmax followed by them is still the network's last operation. */
const LAYOUT_ONLY = ['Identity', 'Reshape', 'Flatten', 'Squeeze', 'Transpose'];

/** Replaces a Softmax/LogSoftmax that only leads, through ops of LAYOUT_ONLY, to `output`. */
function withoutFinalSoftmax(nodes: onnx.INodeProto[], output: string): onnx.INodeProto[] {
  const producer = new Map<string, number>();
  nodes.forEach((n, i) => (n.output ?? []).forEach((o) => producer.set(o, i)));
  const consumers = new Map<string, number>();
  for (const n of nodes) for (const x of n.input ?? []) consumers.set(x, (consumers.get(x) ?? 0) + 1);
  let tensor = output;
  for (;;) {
    const index = producer.get(tensor);
    if (index === undefined) return nodes;
    const node = nodes[index];
    const op = node.opType ?? '';
    if ((node.domain ?? '') !== '' && node.domain !== 'ai.onnx') return nodes;
    if (op === 'Softmax' || op === 'LogSoftmax') {
      const copy = [...nodes];
      copy[index] = { ...node, opType: 'Identity', attribute: [], input: [node.input?.[0] ?? ''] };
      return copy;
    }
    if (!LAYOUT_ONLY.includes(op)) return nodes;
    tensor = node.input?.[0] ?? '';
    if ((consumers.get(tensor) ?? 0) !== 1) return nodes;
  }
}

/** pixels [N,H,W,C] -> flip -> * scale/std + (-mean/std) -> (NCHW) -> `networkInput`. */
function preprocessingNodes(
  b: GraphBuilder,
  options: ClassifierGraphOptions,
  channels: number,
  networkInput: string,
): onnx.INodeProto[] {
  const start = b.nodes.length;
  const p = options.preprocessing ?? {};
  const perChannel = (value: number | readonly number[] | undefined, fallback: number, what: string) => {
    if (value === undefined) return new Array<number>(channels).fill(fallback);
    if (typeof value === 'number') return new Array<number>(channels).fill(value);
    if (value.length !== channels) {
      throw new Error(`preprocessing ${what} has ${value.length} values for ${channels} input channels`);
    }
    return [...value];
  };
  const scale = p.scale ?? 1;
  const mean = perChannel(p.mean, 0, 'mean');
  const std = perChannel(p.std, 1, 'std');
  const factor = std.map((s) => scale / s);
  const offset = mean.map((m, c) => -m / std[c]);
  const constant = (values: number[]) =>
    values.every((v) => v === values[0]) ? b.scalar(values[0]) : b.floatConstant(values, [values.length]);

  let x = PIXELS;
  if (p.flipChannels) {
    const reversed = Array.from({ length: channels }, (_, c) => channels - 1 - c);
    x = b.op('Gather', [x, b.intConstant(reversed)], { axis: 3 });
  }
  if (factor.some((f) => f !== 1)) x = b.op('Mul', [x, constant(factor)]);
  if (offset.some((o) => o !== 0)) x = b.op('Add', [x, constant(offset)]);
  if (options.layout === 'NCHW') x = b.op('Transpose', [x], { perm: [0, 3, 1, 2] });
  // The last step writes the network's own input name.
  if (x === PIXELS) b.opInto(networkInput, 'Identity', [x]);
  else b.nodes[b.nodes.length - 1].output = [networkInput];
  return b.nodes.slice(start);
}

/**
 * A network exported with a fixed batch B often spells B in constant Reshape targets ([1, 2048]); those
 * on the pixels' path get 0 (copy the batch dim) so that any batch size runs.
 */
function withSymbolicBatch(
  nodes: onnx.INodeProto[],
  batch: number,
  networkInput: string,
  constants: ConstantTable,
  b: GraphBuilder,
): onnx.INodeProto[] {
  const varying = new Set([networkInput]);
  return nodes.map((node) => {
    if (!(node.input ?? []).some((x) => varying.has(x))) return node;
    for (const o of node.output ?? []) varying.add(o);
    if (node.opType !== 'Reshape' || intAttribute(node, 'allowzero', 0) === 1) return node;
    const target = constants.ints(node.input?.[1] ?? '');
    if (
      target === undefined ||
      target.length < 2 ||
      target[0] !== batch ||
      !varying.has(node.input?.[0] ?? '')
    )
      return node;
    const fixed = b.ints([0, ...target.slice(1)], undefined, 'reshape_target');
    return { ...node, input: [node.input?.[0] ?? '', fixed] };
  });
}
