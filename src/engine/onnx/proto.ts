/**
 * Reading and writing ONNX `ModelProto`s (the official onnx.proto, compiled by protobufjs in the
 * `onnx-proto` package) and small builders for tensors, nodes and attributes. Everything else in the
 * ONNX engine works on these objects.
 */
import onnxProto from 'onnx-proto';

export const onnx = onnxProto.onnx;
// eslint-disable-next-line @typescript-eslint/no-namespace
export declare namespace onnx {
  type ModelProto = onnxProto.onnx.ModelProto;
  type GraphProto = onnxProto.onnx.GraphProto;
  type NodeProto = onnxProto.onnx.NodeProto;
  type TensorProto = onnxProto.onnx.TensorProto;
  type AttributeProto = onnxProto.onnx.AttributeProto;
  type ValueInfoProto = onnxProto.onnx.ValueInfoProto;
  type IModelProto = onnxProto.onnx.IModelProto;
  type IGraphProto = onnxProto.onnx.IGraphProto;
  type INodeProto = onnxProto.onnx.INodeProto;
  type ITensorProto = onnxProto.onnx.ITensorProto;
  type IAttributeProto = onnxProto.onnx.IAttributeProto;
  type IValueInfoProto = onnxProto.onnx.IValueInfoProto;
}

export const DataType = onnxProto.onnx.TensorProto.DataType;
export const AttributeType = onnxProto.onnx.AttributeProto.AttributeType;

/** The opset advx writes (ONNX Runtime 1.30 supports up to 21+). */
export const OPSET = 17;

/** An int64 field as protobufjs returns it (number or Long) -> number. */
export function toNumber(value: number | { toNumber(): number } | null | undefined): number {
  if (value === null || value === undefined) return 0;
  return typeof value === 'number' ? value : value.toNumber();
}

/** Parses an .onnx file's bytes; a clear error when they are not a model. */
export function decodeModel(bytes: Uint8Array, what = 'model'): onnx.ModelProto {
  let model: onnx.ModelProto;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (error) {
    throw new Error(`${what}: not a valid ONNX file (${(error as Error).message})`, { cause: error });
  }
  if ((model.graph?.node?.length ?? 0) === 0) {
    throw new Error(`${what}: not a valid ONNX file (no graph)`);
  }
  return model;
}

export function encodeModel(model: onnx.IModelProto): Uint8Array {
  return onnx.ModelProto.encode(onnx.ModelProto.create(model)).finish();
}

export type AttributeValue = number | readonly number[] | string | onnx.ITensorProto;

/** Builds an attribute; integers vs floats are told apart by `floats` (names listed there are floats). */
export function attribute(name: string, value: AttributeValue, float = false): onnx.IAttributeProto {
  if (typeof value === 'string')
    return { name, type: AttributeType.STRING, s: new TextEncoder().encode(value) };
  if (typeof value === 'number') {
    return float || !Number.isInteger(value)
      ? { name, type: AttributeType.FLOAT, f: value }
      : { name, type: AttributeType.INT, i: value };
  }
  if (Array.isArray(value)) {
    const list = value as readonly number[];
    return float || list.some((v) => !Number.isInteger(v))
      ? { name, type: AttributeType.FLOATS, floats: [...list] }
      : { name, type: AttributeType.INTS, ints: [...list] };
  }
  return { name, type: AttributeType.TENSOR, t: value as onnx.ITensorProto };
}

/** A node. Attribute names in `floatAttributes` are written as floats even when their value is whole. */
export function makeNode(
  opType: string,
  inputs: readonly string[],
  outputs: readonly string[],
  attributes: Record<string, AttributeValue | undefined> = {},
  name?: string,
  floatAttributes: readonly string[] = [],
): onnx.INodeProto {
  return {
    opType,
    input: [...inputs],
    output: [...outputs],
    name: name ?? outputs[0],
    attribute: Object.entries(attributes)
      .filter((entry): entry is [string, AttributeValue] => entry[1] !== undefined)
      .map(([key, value]) => attribute(key, value, floatAttributes.includes(key))),
  };
}

export function floatTensor(name: string, dims: readonly number[], data: Float32Array): onnx.ITensorProto {
  return {
    name,
    dims: [...dims],
    dataType: DataType.FLOAT,
    rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
  };
}

export function int64Tensor(
  name: string,
  dims: readonly number[],
  values: readonly number[],
): onnx.ITensorProto {
  const data = new BigInt64Array(values.map((v) => BigInt(v)));
  return {
    name,
    dims: [...dims],
    dataType: DataType.INT64,
    rawData: new Uint8Array(data.buffer),
  };
}

/** Values of a FLOAT tensor (raw or typed field). External data must have been inlined before. */
export function floatValues(tensor: onnx.ITensorProto): Float32Array {
  if (tensor.dataType !== DataType.FLOAT)
    throw new Error(`tensor ${tensor.name}: expected FLOAT, got data type ${tensor.dataType}`);
  if (tensor.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL)
    throw new Error(`tensor ${tensor.name}: external data not loaded`);
  const raw = tensor.rawData;
  if (raw !== null && raw !== undefined && raw.length > 0) {
    const copy = new Uint8Array(raw); // aligned copy
    return new Float32Array(copy.buffer, 0, copy.length / 4);
  }
  return Float32Array.from(tensor.floatData ?? []);
}

/** Values of an INT64 or INT32 tensor as numbers. */
export function intValues(tensor: onnx.ITensorProto): number[] {
  const raw = tensor.rawData;
  if (tensor.dataType === DataType.INT64) {
    if (raw !== null && raw !== undefined && raw.length > 0) {
      const copy = new Uint8Array(raw);
      return Array.from(new BigInt64Array(copy.buffer, 0, copy.length / 8), (v) => Number(v));
    }
    return (tensor.int64Data ?? []).map((v) => toNumber(v as number));
  }
  if (tensor.dataType === DataType.INT32) {
    if (raw !== null && raw !== undefined && raw.length > 0) {
      const copy = new Uint8Array(raw);
      return Array.from(new Int32Array(copy.buffer, 0, copy.length / 4));
    }
    return [...(tensor.int32Data ?? [])];
  }
  throw new Error(`tensor ${tensor.name}: expected an integer tensor, got data type ${tensor.dataType}`);
}

export function dimsOf(tensor: onnx.ITensorProto): number[] {
  return (tensor.dims ?? []).map((d) => toNumber(d as number));
}

function findAttribute(node: onnx.INodeProto, name: string): onnx.IAttributeProto | undefined {
  return (node.attribute ?? []).find((a) => a.name === name);
}

export function intAttribute(node: onnx.INodeProto, name: string, fallback: number): number {
  const a = findAttribute(node, name);
  return a === undefined ? fallback : toNumber(a.i as number);
}

export function intsAttribute(node: onnx.INodeProto, name: string, fallback: readonly number[]): number[] {
  const a = findAttribute(node, name);
  return a === undefined ? [...fallback] : (a.ints ?? []).map((v) => toNumber(v as number));
}

export function floatAttribute(node: onnx.INodeProto, name: string, fallback: number): number {
  const a = findAttribute(node, name);
  return a === undefined ? fallback : (a.f ?? fallback);
}

export function stringAttribute(node: onnx.INodeProto, name: string, fallback: string): string {
  const a = findAttribute(node, name);
  return a === undefined || a.s === null || a.s === undefined ? fallback : new TextDecoder().decode(a.s);
}

export function tensorAttribute(node: onnx.INodeProto, name: string): onnx.ITensorProto | undefined {
  return findAttribute(node, name)?.t ?? undefined;
}

/** The opset version of the default ONNX domain a model imports. */
export function defaultOpset(model: onnx.IModelProto): number {
  const entry = (model.opsetImport ?? []).find((o) => o.domain === '' || o.domain === 'ai.onnx' || !o.domain);
  return entry === undefined ? 1 : toNumber(entry.version as number);
}

/** Static dims of a graph input or output (-1 for a symbolic or unknown dim). */
export function valueInfoDims(info: onnx.IValueInfoProto): number[] {
  const dims = info.type?.tensorType?.shape?.dim ?? [];
  return dims.map((d) =>
    d.dimValue !== null && d.dimValue !== undefined ? toNumber(d.dimValue as number) : -1,
  );
}

export function valueInfo(name: string, dims: readonly (number | string)[], elemType = DataType.FLOAT) {
  return {
    name,
    type: {
      tensorType: {
        elemType,
        shape: { dim: dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) },
      },
    },
  } satisfies onnx.IValueInfoProto;
}
