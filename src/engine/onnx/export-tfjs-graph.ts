/**
 * The ONNX graph the tfjs exporter writes into: nodes, weight initializers, unique names, and the layout
 * of every 4-D value. Keras tensors are channels-last (NHWC); ONNX Conv and pooling are channels-first
 * (NCHW). A 4-D value is kept in whichever layout its producer made, and `inLayout` inserts (once per
 * value) the Transpose a consumer needs: convolutions ask for NCHW, Flatten/Reshape/Dense ask for Keras'
 * order so that flattening keeps Keras' element order.
 */
import { floatTensor, int64Tensor, makeNode, type AttributeValue, type onnx } from './proto.js';

/** `NHWC`: Keras' own order (channels last; every value of rank other than 4 is in it). */
export type Layout = 'NHWC' | 'NCHW';

/** A tensor of the graph: its ONNX name, its Keras shape (batch dim null) and its layout in the graph. */
export interface Value {
  name: string;
  /** Keras (channels-last) shape, batch first; null for unknown dims. */
  shape: readonly (number | null)[];
  layout: Layout;
}

const TO_NCHW = [0, 3, 1, 2];
const TO_NHWC = [0, 2, 3, 1];

export interface NodeOptions {
  /** Base of the output name (made unique); default: the op type. */
  output?: string;
  /** Attributes written as floats even when their value is whole (e.g. Clip bounds, LeakyRelu alpha). */
  floatAttributes?: readonly string[];
}

export class OnnxGraphBuilder {
  readonly nodes: onnx.INodeProto[] = [];
  readonly initializers: onnx.ITensorProto[] = [];
  private readonly names = new Set<string>();
  private readonly constants = new Map<string, string>();
  private readonly transposed = new Map<string, Value>();

  /** Reserves `base` (or `base_1`, `base_2`, ...) as a tensor/node name. */
  unique(base: string): string {
    let name = base;
    for (let i = 1; this.names.has(name); i++) name = `${base}_${i}`;
    this.names.add(name);
    return name;
  }

  /** Adds a node with one output and returns the output's name. */
  node(
    opType: string,
    inputs: readonly string[],
    attributes: Record<string, AttributeValue | undefined> = {},
    options: NodeOptions = {},
  ): string {
    const output = this.unique(options.output ?? opType);
    this.nodes.push(makeNode(opType, inputs, [output], attributes, output, options.floatAttributes));
    return output;
  }

  /**
   * A float initializer, made once per `key` (a layer's weight keeps one initializer when the layer is
   * called several times). `make` gives its ONNX dims and values.
   */
  floatConstant(key: string, make: () => { dims: readonly number[]; data: Float32Array }): string {
    const existing = this.constants.get(key);
    if (existing !== undefined) return existing;
    const name = this.unique(key);
    const { dims, data } = make();
    this.initializers.push(floatTensor(name, dims, data));
    this.constants.set(key, name);
    return name;
  }

  /** An int64 initializer (shapes, pads, indices), shared between nodes asking for the same values. */
  int64Constant(base: string, values: readonly number[]): string {
    const key = `int64:${values.join(',')}`;
    const existing = this.constants.get(key);
    if (existing !== undefined) return existing;
    const name = this.unique(base);
    this.initializers.push(int64Tensor(name, [values.length], values));
    this.constants.set(key, name);
    return name;
  }

  /** A float scalar initializer (a Clip bound, a scale), shared between nodes asking for it. */
  scalarConstant(base: string, value: number): string {
    const key = `float:${value}`;
    const existing = this.constants.get(key);
    if (existing !== undefined) return existing;
    const name = this.unique(base);
    this.initializers.push(floatTensor(name, [], Float32Array.of(value)));
    this.constants.set(key, name);
    return name;
  }

  /** `value` in `layout`: itself, or its transpose (made once and reused). Only 4-D values can be NCHW. */
  inLayout(value: Value, layout: Layout): Value {
    if (value.layout === layout) return value;
    if (value.shape.length !== 4) {
      throw new Error(`internal: value ${value.name} of rank ${value.shape.length} cannot be ${layout}`);
    }
    const key = `${value.name}->${layout}`;
    const cached = this.transposed.get(key);
    if (cached !== undefined) return cached;
    const name = this.node(
      'Transpose',
      [value.name],
      { perm: layout === 'NCHW' ? TO_NCHW : TO_NHWC },
      { output: `${value.name}/to_${layout}` },
    );
    const result: Value = { name, shape: value.shape, layout };
    this.transposed.set(key, result);
    return result;
  }

  /** Renames the tensor `from` to `to` everywhere (used to give the graph output its name). */
  rename(from: string, to: string): void {
    for (const node of this.nodes) {
      node.input = (node.input ?? []).map((n) => (n === from ? to : n));
      node.output = (node.output ?? []).map((n) => (n === from ? to : n));
    }
    this.names.add(to);
  }
}

/** The channel axis of a value as stored in the graph (1 for NCHW, the last one otherwise). */
export function channelAxis(value: Value): number {
  return value.layout === 'NCHW' ? 1 : value.shape.length - 1;
}
