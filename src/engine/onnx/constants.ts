/**
 * The constant tensors of a graph: initializers, `Constant` nodes and `Identity` of either. Gradient rules
 * read weights from here to transform them once at build time instead of at every run.
 */
import { AttributeType, DataType, dimsOf, floatValues, intValues, onnx, toNumber } from './proto.js';

export interface ConstantTensor {
  dims: number[];
  tensor: onnx.ITensorProto;
}

export class ConstantTable {
  private readonly tensors = new Map<string, ConstantTensor>();

  constructor(graph: onnx.IGraphProto) {
    const inputs = new Set((graph.input ?? []).map((i) => i.name));
    for (const t of graph.initializer ?? []) {
      // An initializer that is also a graph input can be overridden at run time: not a constant.
      if (t.name && !inputs.has(t.name)) this.tensors.set(t.name, { dims: dimsOf(t), tensor: t });
    }
    for (const node of graph.node ?? []) {
      const output = node.output?.[0];
      if (!output) continue;
      if (node.opType === 'Constant' && (node.domain ?? '') === '') {
        const tensor = constantNodeTensor(node);
        if (tensor !== undefined) this.tensors.set(output, { dims: dimsOf(tensor), tensor });
      } else if (node.opType === 'Identity') {
        const source = this.tensors.get(node.input?.[0] ?? '');
        if (source !== undefined) this.tensors.set(output, source);
      }
    }
  }

  has(name: string): boolean {
    return this.tensors.has(name);
  }

  get(name: string): ConstantTensor | undefined {
    return this.tensors.get(name);
  }

  /** Values of a FLOAT constant, or undefined when `name` is not a float constant. */
  floats(name: string): Float32Array | undefined {
    const c = this.tensors.get(name);
    if (c === undefined || c.tensor.dataType !== DataType.FLOAT) return undefined;
    return floatValues(c.tensor);
  }

  /** Values of an integer constant, or undefined when `name` is not one. */
  ints(name: string): number[] | undefined {
    const c = this.tensors.get(name);
    if (c === undefined) return undefined;
    if (c.tensor.dataType !== DataType.INT64 && c.tensor.dataType !== DataType.INT32) return undefined;
    return intValues(c.tensor);
  }

  /** Values of a numeric constant of any of the float/int types, as numbers. */
  numbers(name: string): number[] | undefined {
    return this.floats(name) !== undefined ? Array.from(this.floats(name) as Float32Array) : this.ints(name);
  }
}

/** The tensor a `Constant` node produces (value, value_float(s), value_int(s)). */
export function constantNodeTensor(node: onnx.INodeProto): onnx.ITensorProto | undefined {
  const a = node.attribute?.[0];
  if (a === undefined) return undefined;
  switch (a.name) {
    case 'value':
      return a.t ?? undefined;
    case 'value_float':
      return { dims: [], dataType: DataType.FLOAT, floatData: [a.f ?? 0] };
    case 'value_floats':
      return { dims: [a.floats?.length ?? 0], dataType: DataType.FLOAT, floatData: [...(a.floats ?? [])] };
    case 'value_int':
      return { dims: [], dataType: DataType.INT64, int64Data: [toNumber(a.i as number)] };
    case 'value_ints':
      return {
        dims: [a.ints?.length ?? 0],
        dataType: DataType.INT64,
        int64Data: (a.ints ?? []).map((v) => toNumber(v as number)),
      };
    default:
      return a.type === AttributeType.TENSOR ? (a.t ?? undefined) : undefined;
  }
}
