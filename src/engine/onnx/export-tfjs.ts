/**
 * TensorFlow.js layers models -> ONNX.
 *
 * `tfjsLayersToOnnx(net)` writes the network exactly as it computes: one input `input` [N,H,W,C] (NHWC,
 * as the Keras model takes it, symbolic batch `N`), one output `output` (the network's own output, a
 * final softmax included as a separate Softmax node). Inside, 4-D values are NCHW (ONNX Conv is): one
 * Transpose after the input, one back to NHWC before a Flatten/Reshape/Dense so that Keras' flatten
 * order is kept. Weights are initializers; advx's description of the model (name, bounds,
 * preprocessing, labels, layout) goes into `metadataProps` under `advx.*`.
 *
 * (`exportToOnnx` in src/models/export-onnx.ts does that for a model advx loads and writes the file.)
 */
import type { Bounds } from '../../models/model.js';
import type { Preprocessing } from '../../models/preprocessing.js';
import { tf } from '../tf.js';
import { OnnxGraphBuilder, type Value } from './export-tfjs-graph.js';
import { convertLayer } from './export-tfjs-layers.js';
import { OPSET, valueInfo, type onnx } from './proto.js';

export interface TfjsToOnnxOptions {
  /** Graph name and `advx.name`. */
  name?: string;
  /** `advx.bounds` ("LO,HI"): the pixel range the model takes. */
  bounds?: Bounds;
  /** `advx.preprocessing` (JSON): what turns pixels in bounds into the network's input. */
  preprocessing?: Preprocessing;
  /** `advx.labels` (JSON array): class names by output index (after `outputOrder`). */
  labels?: readonly string[];
  /** Canonical class j = network output outputOrder[j]: a Gather on axis 1 after the network's output. */
  outputOrder?: readonly number[];
  /** Name of the graph input (default `input`). */
  inputName?: string;
  /** Name of the graph output (default `output`). */
  outputName?: string;
}

/** IR version that goes with opset 17. */
const IR_VERSION = 8;

type SymbolicTensor = tf.SymbolicTensor;

function keyOf(t: SymbolicTensor): string {
  return `${t.sourceLayer.name}#${t.nodeIndex}#${t.tensorIndex}`;
}

/** ONNX dims of a Keras shape: batch `N`, unknown dims symbolic. */
function onnxDims(shape: readonly (number | null)[], name: string): (number | string)[] {
  return shape.map((d, i) => (i === 0 ? 'N' : d === null ? `${name}_${i}` : d));
}

/** Writes every layer on the path from the input to `output` (each layer call once), in topological order. */
function convertTopology(net: tf.LayersModel, graph: OnnxGraphBuilder, input: Value): Value {
  const values = new Map<string, Value>([[keyOf(net.inputs[0]), input]]);
  const visit = (t: SymbolicTensor): Value => {
    const known = values.get(keyOf(t));
    if (known !== undefined) return known;
    const layer = t.sourceLayer as tf.layers.Layer;
    const node = layer.inboundNodes[t.nodeIndex];
    if (node === undefined || node.inputTensors.length === 0)
      throw new Error(`cannot export to ONNX: tensor ${t.name} has no producing layer call`);
    const inputs = node.inputTensors.map(visit);
    if (node.outputTensors.length !== 1) {
      throw new Error(
        `cannot export to ONNX: layer '${layer.name}' (${layer.getClassName()}) has ${node.outputTensors.length} outputs`,
      );
    }
    const value = convertLayer({
      layer,
      className: layer.getClassName(),
      config: layer.getConfig(),
      inputs,
      outputShape: t.shape,
      graph,
    });
    values.set(keyOf(t), value);
    return value;
  };
  return visit(net.outputs[0]);
}

function checkOutputOrder(order: readonly number[], width: number | null): void {
  if (width === null)
    throw new Error('cannot export to ONNX: an output order needs a known number of outputs');
  const seen = new Set(order);
  if (order.some((i) => !Number.isInteger(i) || i < 0 || i >= width) || seen.size !== order.length)
    throw new Error(`cannot export to ONNX: the output order must list distinct outputs in [0, ${width})`);
}

/** `advx.*` metadata entries for the options given (the layout is always written). */
function metadata(options: TfjsToOnnxOptions): NonNullable<onnx.IModelProto['metadataProps']> {
  const entries: [string, string | undefined][] = [
    ['advx.name', options.name],
    ['advx.bounds', options.bounds === undefined ? undefined : `${options.bounds[0]},${options.bounds[1]}`],
    [
      'advx.preprocessing',
      options.preprocessing === undefined ? undefined : JSON.stringify(options.preprocessing),
    ],
    ['advx.labels', options.labels === undefined ? undefined : JSON.stringify(options.labels)],
    ['advx.layout', 'NHWC'],
  ];
  return entries
    .filter((e): e is [string, string] => e[1] !== undefined)
    .map(([key, value]) => ({ key, value }));
}

/** The network as an ONNX model (see the file comment). Unsupported layers: an error naming class and layer. */
export function tfjsLayersToOnnx(net: tf.LayersModel, options: TfjsToOnnxOptions = {}): onnx.IModelProto {
  if (net.inputs.length !== 1 || net.outputs.length !== 1) {
    throw new Error(
      `cannot export to ONNX: the model has ${net.inputs.length} inputs and ${net.outputs.length} outputs (1 and 1 supported)`,
    );
  }
  const graph = new OnnxGraphBuilder();
  const inputName = graph.unique(options.inputName ?? 'input');
  const outputName = graph.unique(options.outputName ?? 'output');
  const inputShape = net.inputs[0].shape;
  const input: Value = { name: inputName, shape: inputShape, layout: 'NHWC' };
  let output = graph.inLayout(convertTopology(net, graph, input), 'NHWC');
  if (options.outputOrder !== undefined) {
    if (output.shape.length !== 2)
      throw new Error('cannot export to ONNX: an output order needs [N,K] outputs');
    checkOutputOrder(options.outputOrder, output.shape[1]);
    const indices = graph.int64Constant('output_order', options.outputOrder);
    const name = graph.node('Gather', [output.name, indices], { axis: 1 }, { output: 'ordered' });
    output = { name, shape: [null, options.outputOrder.length], layout: 'NHWC' };
  }
  const producedByNode = graph.nodes.some((n) => (n.output ?? []).includes(output.name));
  if (producedByNode) graph.rename(output.name, outputName);
  else graph.nodes.push({ opType: 'Identity', input: [output.name], output: [outputName], name: outputName });
  return {
    irVersion: IR_VERSION,
    opsetImport: [{ domain: '', version: OPSET }],
    producerName: 'advx',
    docString: 'exported by advx from a TensorFlow.js layers model',
    graph: {
      name: options.name ?? net.name,
      node: graph.nodes,
      initializer: graph.initializers,
      input: [valueInfo(inputName, onnxDims(inputShape, inputName))],
      output: [valueInfo(outputName, onnxDims(output.shape, outputName))],
    },
    metadataProps: metadata(options),
  };
}
