/**
 * Folds inference BatchNormalization into the Conv before it (when the Conv feeds only that
 * BatchNormalization and all parameters are constants): W' = W * f, b' = (b - mean) * f + beta with
 * f = scale / sqrt(var + eps) per output channel. The backward convolutions then use the folded kernels.
 */
import { ConstantTable } from './constants.js';
import { GraphBuilder, namesInGraph } from './graph-builder.js';
import { pruneGraph } from './prune-graph.js';
import { floatAttribute, intAttribute, onnx } from './proto.js';

export function foldBatchNorm(model: onnx.IModelProto): onnx.ModelProto {
  const graph = model.graph ?? {};
  const nodes = [...(graph.node ?? [])];
  const constants = new ConstantTable(graph);
  const builder = new GraphBuilder(namesInGraph(graph), 'folded/');
  const consumers = new Map<string, number>();
  for (const node of nodes)
    for (const input of node.input ?? []) consumers.set(input, (consumers.get(input) ?? 0) + 1);
  const graphOutputs = new Set((graph.output ?? []).map((o) => o.name));
  const producer = new Map<string, number>();
  nodes.forEach((node, i) => (node.output ?? []).forEach((o) => producer.set(o, i)));
  const removed = new Set<number>();

  nodes.forEach((bn, index) => {
    if (bn.opType !== 'BatchNormalization' || (bn.domain ?? '') !== '') return;
    if (intAttribute(bn, 'training_mode', 0) !== 0) return;
    if ((bn.output ?? []).slice(1).some((o) => o && (consumers.has(o) || graphOutputs.has(o)))) return;
    const [x, scaleName, betaName, meanName, varName] = bn.input ?? [];
    const convIndex = producer.get(x);
    if (convIndex === undefined || removed.has(convIndex)) return;
    const conv = nodes[convIndex];
    if (conv.opType !== 'Conv' || (conv.domain ?? '') !== '') return;
    if (consumers.get(x) !== 1 || graphOutputs.has(x)) return;
    const weight = constants.floats(conv.input?.[1] ?? '');
    const weightDims = constants.get(conv.input?.[1] ?? '')?.dims;
    const params = [scaleName, betaName, meanName, varName].map((n) => constants.floats(n ?? ''));
    const bias = conv.input?.[2] ? constants.floats(conv.input[2]) : new Float32Array(weightDims?.[0] ?? 0);
    if (weight === undefined || weightDims === undefined || bias === undefined) return;
    if (params.some((p) => p === undefined)) return;
    const [scale, beta, mean, variance] = params as Float32Array[];
    const channels = weightDims[0];
    if ([scale, beta, mean, variance, bias].some((p) => p.length !== channels)) return;
    const epsilon = floatAttribute(bn, 'epsilon', 1e-5);
    const perChannel = weight.length / channels;
    const foldedWeight = new Float32Array(weight.length);
    const foldedBias = new Float32Array(channels);
    for (let m = 0; m < channels; m++) {
      const f = scale[m] / Math.sqrt(variance[m] + epsilon);
      for (let i = 0; i < perChannel; i++) foldedWeight[m * perChannel + i] = weight[m * perChannel + i] * f;
      foldedBias[m] = (bias[m] - mean[m]) * f + beta[m];
    }
    const hint = conv.name || conv.output?.[0] || 'conv';
    const w = builder.floats(foldedWeight, weightDims, `${hint}/weight`);
    const b = builder.floats(foldedBias, [channels], `${hint}/bias`);
    nodes[convIndex] = { ...conv, input: [conv.input?.[0] ?? '', w, b], output: [bn.output?.[0] ?? ''] };
    removed.add(index);
  });

  if (removed.size === 0) return onnx.ModelProto.create(model);
  const folded: onnx.IGraphProto = {
    ...graph,
    node: nodes.filter((_, i) => !removed.has(i)),
    initializer: [...(graph.initializer ?? []), ...builder.initializers],
  };
  return onnx.ModelProto.create({ ...model, graph: pruneGraph(folded) });
}
