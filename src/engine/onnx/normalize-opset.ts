/**
 * Rewrites the nodes of an older-opset graph (7..12) into their opset-13+ forms, so that the rest of the
 * ONNX engine reads one form: axes/split/pads/min/max as inputs instead of attributes, Softmax over one
 * axis, Dropout as Identity. The graph is then declared at opset 17 (13..17 forms are compatible; the
 * gradient graph needs 16+ for ScatterElements' reduction); later opsets are kept and generated nodes
 * follow them.
 */
import { GraphBuilder } from './graph-builder.js';
import {
  AttributeType,
  defaultOpset,
  floatAttribute,
  intAttribute,
  intsAttribute,
  onnx,
  stringAttribute,
} from './proto.js';

/** The opset advx declares for graphs of an older opset. */
export const UPGRADED_OPSET = 17;

export interface NormalizedNodes {
  nodes: onnx.INodeProto[];
  initializers: onnx.ITensorProto[];
  opset: number;
}

const isDefaultDomain = (node: onnx.INodeProto) => !node.domain || node.domain === 'ai.onnx';

function without(node: onnx.INodeProto, ...names: string[]): onnx.IAttributeProto[] {
  return (node.attribute ?? []).filter((a) => !names.includes(a.name ?? ''));
}

function hasAttribute(node: onnx.INodeProto, name: string): boolean {
  return (node.attribute ?? []).some((a) => a.name === name);
}

/**
 * Nodes in opset >= 13 forms. `usedOutputs` tells which tensors anything reads (Dropout's mask, when
 * read, keeps the Dropout).
 */
export function normalizeOpset(
  model: onnx.IModelProto,
  builder: GraphBuilder,
  usedOutputs: ReadonlySet<string>,
): NormalizedNodes {
  const version = defaultOpset(model);
  const source = model.graph?.node ?? [];
  if (version < 7) {
    throw new Error(`ONNX opset ${version} is too old for advx (7 or later; re-export the model)`);
  }
  const nodes: onnx.INodeProto[] = [];
  for (const node of source) {
    if (!isDefaultDomain(node)) {
      nodes.push(node);
      continue;
    }
    nodes.push(...rewrite(node, version, builder, usedOutputs));
  }
  const opset = Math.max(version, UPGRADED_OPSET);
  return { nodes, initializers: builder.initializers, opset };
}

function rewrite(
  node: onnx.INodeProto,
  version: number,
  b: GraphBuilder,
  usedOutputs: ReadonlySet<string>,
): onnx.INodeProto[] {
  const inputs = node.input ?? [];
  switch (node.opType) {
    case 'Dropout': {
      const mask = node.output?.[1];
      if (mask && usedOutputs.has(mask)) return [node];
      return [
        { ...node, opType: 'Identity', input: [inputs[0]], output: [node.output?.[0] ?? ''], attribute: [] },
      ];
    }
    case 'BatchNormalization':
      return [{ ...node, attribute: without(node, 'spatial', 'is_test', 'consumed_inputs', 'momentum') }];
  }
  if (version >= 13) return [node];
  switch (node.opType) {
    case 'Squeeze':
    case 'Unsqueeze':
    case 'ReduceSum': {
      if (!hasAttribute(node, 'axes')) return [node];
      const axes = b.ints(intsAttribute(node, 'axes', []), undefined, `${node.opType}_axes`);
      return [{ ...node, input: [inputs[0], axes], attribute: without(node, 'axes') }];
    }
    case 'Split': {
      if (!hasAttribute(node, 'split')) return [node];
      const split = b.ints(intsAttribute(node, 'split', []), undefined, 'split_sizes');
      return [{ ...node, input: [inputs[0], split], attribute: without(node, 'split') }];
    }
    case 'Clip': {
      if (version >= 11) return [node];
      const min = hasAttribute(node, 'min') ? b.floats([floatAttribute(node, 'min', 0)], [], 'clip_min') : '';
      const max = hasAttribute(node, 'max') ? b.floats([floatAttribute(node, 'max', 0)], [], 'clip_max') : '';
      return [{ ...node, input: [inputs[0], min, max], attribute: [] }];
    }
    case 'Pad': {
      if (version >= 11) return [node];
      const pads = b.ints(intsAttribute(node, 'pads', []), undefined, 'pads');
      const value = b.floats([floatAttribute(node, 'value', 0)], [], 'pad_value');
      const mode = stringAttribute(node, 'mode', 'constant');
      return [
        {
          ...node,
          input: [inputs[0], pads, value],
          attribute: [{ name: 'mode', type: AttributeType.STRING, s: new TextEncoder().encode(mode) }],
        },
      ];
    }
    case 'Slice': {
      if (version >= 10) return [node];
      const starts = b.ints(intsAttribute(node, 'starts', []), undefined, 'starts');
      const ends = b.ints(intsAttribute(node, 'ends', []), undefined, 'ends');
      const axesInput = hasAttribute(node, 'axes')
        ? [b.ints(intsAttribute(node, 'axes', []), undefined, 'axes')]
        : [];
      return [{ ...node, input: [inputs[0], starts, ends, ...axesInput], attribute: [] }];
    }
    case 'Softmax':
    case 'LogSoftmax':
      return coercedSoftmax(node, b);
  }
  return [node];
}

/**
 * Before opset 13, Softmax(axis) flattened the input to 2-D at `axis` (default 1). Written as
 * Flatten(axis) -> Softmax(-1) -> Reshape(original shape), which is the same for every rank.
 */
function coercedSoftmax(node: onnx.INodeProto, b: GraphBuilder): onnx.INodeProto[] {
  const x = node.input?.[0] ?? '';
  const y = node.output?.[0] ?? '';
  const axis = intAttribute(node, 'axis', 1);
  const flat = b.fresh(`${y}/flat`);
  const soft = b.fresh(`${y}/2d`);
  const shape = b.fresh(`${y}/shape`);
  const attr = (name: string, value: number): onnx.IAttributeProto => ({
    name,
    type: AttributeType.INT,
    i: value,
  });
  return [
    {
      opType: 'Flatten',
      input: [x],
      output: [flat],
      name: b.fresh('Flatten'),
      attribute: [attr('axis', axis)],
    },
    { opType: node.opType, input: [flat], output: [soft], name: node.name, attribute: [attr('axis', -1)] },
    { opType: 'Shape', input: [x], output: [shape], name: b.fresh('Shape'), attribute: [] },
    { opType: 'Reshape', input: [soft, shape], output: [y], name: b.fresh('Reshape'), attribute: [] },
  ];
}
