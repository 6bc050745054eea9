/**
 * Appends nodes and constant initializers to a graph under fresh, collision-free names. Every graph
 * rewrite in the ONNX engine (canonical classifier, loss head, gradient rules) emits through one of these.
 */
import { floatTensor, int64Tensor, makeNode, onnx, type AttributeValue } from './proto.js';

export type Attributes = Record<string, AttributeValue | undefined>;

export class GraphBuilder {
  readonly nodes: onnx.INodeProto[] = [];
  readonly initializers: onnx.ITensorProto[] = [];
  private readonly taken: Set<string>;
  private readonly constantCache = new Map<string, string>();
  private counter = 0;

  /** `taken`: every tensor and node name already in the graph. */
  constructor(
    taken: Iterable<string>,
    private readonly prefix = 'advx/',
  ) {
    this.taken = new Set(taken);
  }

  /** A name nobody uses yet, built from `hint`. */
  fresh(hint: string): string {
    let name = `${this.prefix}${hint}`;
    while (this.taken.has(name)) name = `${this.prefix}${hint}_${++this.counter}`;
    this.taken.add(name);
    return name;
  }

  /** Marks names as used (e.g. the graph's fixed input and output names). */
  reserve(...names: string[]): void {
    for (const name of names) this.taken.add(name);
  }

  /** Appends a node with `outputs` fresh outputs (or the given names) and returns their names. */
  nodeWithOutputs(
    opType: string,
    inputs: readonly string[],
    outputs: number | readonly string[],
    attributes: Attributes = {},
    floatAttributes: readonly string[] = [],
  ): string[] {
    const names =
      typeof outputs === 'number'
        ? Array.from({ length: outputs }, (_, i) => this.fresh(`${opType}${i === 0 ? '' : `_${i}`}`))
        : [...outputs];
    this.nodes.push(makeNode(opType, inputs, names, attributes, names[0], floatAttributes));
    return names;
  }

  /** Appends a single-output node and returns its output's name. */
  op(opType: string, inputs: readonly string[], attributes: Attributes = {}, floatAttributes: string[] = []) {
    return this.nodeWithOutputs(opType, inputs, 1, attributes, floatAttributes)[0];
  }

  /** Appends a single-output node writing to `output`. */
  opInto(output: string, opType: string, inputs: readonly string[], attributes: Attributes = {}): string {
    return this.nodeWithOutputs(opType, inputs, [output], attributes)[0];
  }

  /** A FLOAT initializer. */
  floats(values: Float32Array | readonly number[], dims: readonly number[], hint = 'const'): string {
    const name = this.fresh(hint);
    const data = values instanceof Float32Array ? values : Float32Array.from(values);
    this.initializers.push(floatTensor(name, dims, data));
    return name;
  }

  /** An INT64 initializer. */
  ints(values: readonly number[], dims: readonly number[] = [values.length], hint = 'ints'): string {
    const name = this.fresh(hint);
    this.initializers.push(int64Tensor(name, dims, values));
    return name;
  }

  /** A shared small FLOAT constant (cached by value and shape). */
  floatConstant(values: readonly number[], dims: readonly number[] = [values.length]): string {
    const key = `f${JSON.stringify(values)}${JSON.stringify(dims)}`;
    let name = this.constantCache.get(key);
    if (name === undefined) {
      name = this.floats(values, dims, 'float');
      this.constantCache.set(key, name);
    }
    return name;
  }

  /** A shared small INT64 constant (cached by value and shape). */
  intConstant(values: readonly number[], dims: readonly number[] = [values.length]): string {
    const key = `i${JSON.stringify(values)}${JSON.stringify(dims)}`;
    let name = this.constantCache.get(key);
    if (name === undefined) {
      name = this.ints(values, dims, 'int');
      this.constantCache.set(key, name);
    }
    return name;
  }

  /** A float scalar (rank 0), shared. */
  scalar(value: number): string {
    return this.floatConstant([value], []);
  }
}

/** Every tensor, node and initializer name a graph uses. */
export function namesInGraph(graph: onnx.IGraphProto): Set<string> {
  const names = new Set<string>();
  for (const v of [...(graph.input ?? []), ...(graph.output ?? []), ...(graph.valueInfo ?? [])]) {
    if (v.name) names.add(v.name);
  }
  for (const t of graph.initializer ?? []) if (t.name) names.add(t.name);
  for (const n of graph.node ?? []) {
    if (n.name) names.add(n.name);
    for (const x of [...(n.input ?? []), ...(n.output ?? [])]) if (x) names.add(x);
  }
  return names;
}
