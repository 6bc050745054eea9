/**
 * Static shapes of a graph's tensors, with the batch (and any other unknown) dim kept symbolic. The
 * gradient rules use them to choose fast static forms (conv pads, constant reduction axes); where a shape
 * is unknown they fall back to run-time Shape ops or report that the size must be static.
 *
 * Integer tensors that describe shapes (Shape -> Gather -> Concat -> Reshape chains, as exporters write
 * them) are tracked by value, so that `x.view(x.size(0), -1)` resolves to `[N, 2048]`.
 */
import type { ConstantTable } from './constants.js';
import { windowGeometry } from './sliding-window.js';
import { DataType, intAttribute, intsAttribute, onnx, valueInfoDims } from './proto.js';

/** A dimension: a number, or a symbol (the same symbol is the same size). */
export type Dim = number | string;
export type Shape = Dim[];

let unknownCounter = 0;
/** A fresh symbol for a size nothing is known about. */
export function unknownDim(): string {
  return `?${++unknownCounter}`;
}

export function isStatic(shape: readonly Dim[] | undefined): shape is number[] {
  return shape !== undefined && shape.every((d) => typeof d === 'number');
}

/** Product of dims: a number when all are, the symbol when the rest multiply to 1, else unknown. */
export function dimProduct(dims: readonly Dim[]): Dim {
  let product = 1;
  const symbols: string[] = [];
  for (const d of dims) {
    if (typeof d === 'number') product *= d;
    else symbols.push(d);
  }
  if (symbols.length === 0) return product;
  if (symbols.length === 1 && product === 1) return symbols[0];
  return unknownDim();
}

function broadcastDim(a: Dim, b: Dim): Dim {
  if (a === b) return a;
  if (a === 1) return b;
  if (b === 1) return a;
  if (typeof a === 'number') return a;
  if (typeof b === 'number') return b;
  return unknownDim();
}

/** Numpy-style broadcast of shapes. */
export function broadcastShapes(shapes: readonly Shape[]): Shape {
  const rank = Math.max(...shapes.map((s) => s.length));
  const out: Shape = [];
  for (let i = 0; i < rank; i++) {
    let dim: Dim = 1;
    for (const s of shapes) {
      const j = i - (rank - s.length);
      if (j >= 0) dim = broadcastDim(dim, s[j]);
    }
    out.push(dim);
  }
  return out;
}

const SAME_SHAPE_OPS = new Set([
  'Relu',
  'Clip',
  'LeakyRelu',
  'Sigmoid',
  'Tanh',
  'Identity',
  'Dropout',
  'Cast',
  'Softmax',
  'LogSoftmax',
  'BatchNormalization',
  'Exp',
  'Log',
  'Neg',
  'Abs',
  'Sqrt',
  'Reciprocal',
  'Erf',
  'Elu',
  'Selu',
  'HardSigmoid',
  'HardSwish',
  'Softplus',
  'Not',
  'Sign',
  'Floor',
  'Ceil',
  'Round',
  'LRN',
  'InstanceNormalization',
]);

const BROADCAST_OPS = new Set([
  'Add',
  'Sub',
  'Mul',
  'Div',
  'Pow',
  'Equal',
  'Greater',
  'Less',
  'GreaterOrEqual',
  'LessOrEqual',
  'And',
  'Or',
  'Max',
  'Min',
  'Sum',
  'Mean',
  'Where',
  'PRelu',
]);

const REDUCE_OPS = new Set([
  'ReduceMean',
  'ReduceSum',
  'ReduceMax',
  'ReduceMin',
  'ReduceProd',
  'ReduceL1',
  'ReduceL2',
  'ReduceSumSquare',
  'ReduceLogSumExp',
]);

export class ShapeTable {
  readonly shapes = new Map<string, Shape>();
  /** Values of small integer tensors that hold shapes or indices. */
  readonly values = new Map<string, Dim[]>();

  get(name: string): Shape | undefined {
    return this.shapes.get(name);
  }

  rank(name: string): number | undefined {
    return this.shapes.get(name)?.length;
  }
}

function normalizeAxis(axis: number, rank: number): number {
  return axis < 0 ? axis + rank : axis;
}

/** Shapes of every tensor of `graph` whose shape follows from its inputs' (opset-17 node forms). */
export function inferShapes(graph: onnx.IGraphProto, constants: ConstantTable): ShapeTable {
  const table = new ShapeTable();
  for (const t of graph.initializer ?? []) {
    if (!t.name) continue;
    table.shapes.set(
      t.name,
      (t.dims ?? []).map((d) => Number(d)),
    );
    const ints = constants.ints(t.name);
    if (ints !== undefined && ints.length <= 16) table.values.set(t.name, ints);
  }
  for (const input of graph.input ?? []) {
    if (!input.name || table.shapes.has(input.name)) continue;
    const info = input.type?.tensorType?.shape?.dim ?? [];
    if (input.type?.tensorType?.shape === null || input.type?.tensorType?.shape === undefined) continue;
    const dims = valueInfoDims(input);
    table.shapes.set(
      input.name,
      dims.map((d, i) => (d >= 0 ? d : info[i].dimParam ? String(info[i].dimParam) : unknownDim())),
    );
  }
  for (const node of graph.node ?? []) inferNode(node, table, constants);
  return table;
}

function inferNode(node: onnx.INodeProto, table: ShapeTable, constants: ConstantTable): void {
  const inputs = node.input ?? [];
  const outputs = node.output ?? [];
  const shape = (i: number) => (inputs[i] ? table.get(inputs[i]) : undefined);
  const value = (i: number) => (inputs[i] ? table.values.get(inputs[i]) : undefined);
  const set = (i: number, s: Shape | undefined) => {
    if (s !== undefined && outputs[i]) table.shapes.set(outputs[i], s);
  };
  const setValue = (v: Dim[] | undefined) => {
    if (v !== undefined && outputs[0]) table.values.set(outputs[0], v);
  };
  const op = node.opType ?? '';
  if ((node.domain ?? '') !== '' && node.domain !== 'ai.onnx') return;

  if (op === 'Constant') {
    const c = constants.get(outputs[0] ?? '');
    if (c !== undefined) {
      set(0, c.dims);
      const ints = constants.ints(outputs[0]);
      if (ints !== undefined && ints.length <= 16) setValue(ints);
    }
    return;
  }
  if (SAME_SHAPE_OPS.has(op)) {
    set(0, shape(0));
    if (op === 'Identity' || op === 'Cast') setValue(value(0));
    return;
  }
  if (BROADCAST_OPS.has(op)) {
    const shapes = inputs.map((_, i) => shape(i));
    if (shapes.every((s) => s !== undefined)) set(0, broadcastShapes(shapes as Shape[]));
    const values = inputs.map((_, i) => value(i));
    if (['Add', 'Sub', 'Mul', 'Div'].includes(op) && values.length === 2 && values.every((v) => v)) {
      setValue(integerArithmetic(op, values[0] as Dim[], values[1] as Dim[]));
    }
    return;
  }
  if (REDUCE_OPS.has(op)) {
    const s = shape(0);
    if (s === undefined) return;
    const axesValue = node.attribute?.some((a) => a.name === 'axes')
      ? intsAttribute(node, 'axes', [])
      : (value(1) as number[] | undefined);
    const keep = intAttribute(node, 'keepdims', 1) === 1;
    const axes = (axesValue ?? s.map((_, i) => i)).map((a) => normalizeAxis(Number(a), s.length));
    set(
      0,
      s.flatMap((d, i) => (axes.includes(i) ? (keep ? [1] : []) : [d])),
    );
    return;
  }
  switch (op) {
    case 'Shape': {
      const s = shape(0);
      if (s === undefined) return;
      const start = normalizeAxis(intAttribute(node, 'start', 0), s.length);
      const endAttr = intAttribute(node, 'end', s.length);
      const end = Math.min(normalizeAxis(endAttr, s.length), s.length);
      const dims = s.slice(Math.max(0, start), end);
      set(0, [dims.length]);
      setValue(dims);
      return;
    }
    case 'Size': {
      const s = shape(0);
      set(0, []);
      if (s !== undefined) setValue([dimProduct(s)]);
      return;
    }
    case 'Conv':
    case 'MaxPool':
    case 'AveragePool': {
      const s = shape(0);
      if (s === undefined) return;
      const spatial = s.slice(2);
      let channels: Dim = s[1];
      let kernel: number[];
      if (op === 'Conv') {
        const w = shape(1);
        if (w === undefined) return;
        channels = w[0];
        kernel = w.slice(2).map(Number);
      } else {
        kernel = intsAttribute(node, 'kernel_shape', []);
      }
      const out: Dim[] = isStatic(spatial)
        ? windowGeometry(node, spatial, kernel).output
        : spatial.map(() => unknownDim());
      set(0, [s[0], channels, ...out]);
      if (op === 'MaxPool') set(1, [s[0], channels, ...out]);
      return;
    }
    case 'GlobalAveragePool':
    case 'GlobalMaxPool': {
      const s = shape(0);
      if (s !== undefined) set(0, [s[0], s[1], ...s.slice(2).map(() => 1)]);
      return;
    }
    case 'Gemm': {
      const a = shape(0);
      const b = shape(1);
      if (a === undefined || b === undefined) return;
      const m = intAttribute(node, 'transA', 0) ? a[1] : a[0];
      const n = intAttribute(node, 'transB', 0) ? b[0] : b[1];
      set(0, [m, n]);
      return;
    }
    case 'MatMul': {
      const a = shape(0);
      const b = shape(1);
      if (a === undefined || b === undefined) return;
      if (a.length === 1 && b.length === 1) return set(0, []);
      const a2 = a.length === 1 ? [1, a[0]] : a;
      const b2 = b.length === 1 ? [b[0], 1] : b;
      const batch = broadcastShapes([a2.slice(0, -2), b2.slice(0, -2)]);
      const out = [...batch, a2[a2.length - 2], b2[b2.length - 1]];
      if (a.length === 1) out.splice(out.length - 2, 1);
      if (b.length === 1) out.splice(out.length - 1, 1);
      set(0, out);
      return;
    }
    case 'Flatten': {
      const s = shape(0);
      if (s === undefined) return;
      const axis = normalizeAxis(intAttribute(node, 'axis', 1), s.length);
      set(0, [dimProduct(s.slice(0, axis)), dimProduct(s.slice(axis))]);
      return;
    }
    case 'Reshape': {
      const s = shape(0);
      const target = value(1);
      if (target === undefined) {
        const t = shape(1);
        if (t !== undefined && isStatic(t))
          set(
            0,
            new Array<Dim>(t[0]).fill('').map(() => unknownDim()),
          );
        return;
      }
      set(0, reshapeTarget(s, target, intAttribute(node, 'allowzero', 0) === 1));
      if (value(0) !== undefined && target.length === 1) setValue(value(0));
      return;
    }
    case 'Transpose': {
      const s = shape(0);
      if (s === undefined) return;
      const perm = intsAttribute(
        node,
        'perm',
        s.map((_, i) => s.length - 1 - i),
      );
      set(
        0,
        perm.map((p) => s[p]),
      );
      return;
    }
    case 'Concat': {
      const shapes = inputs.map((_, i) => shape(i));
      const values = inputs.map((_, i) => value(i));
      if (values.every((v) => v !== undefined)) setValue((values as Dim[][]).flat());
      if (shapes.some((s) => s === undefined)) return;
      const first = shapes[0] as Shape;
      const axis = normalizeAxis(intAttribute(node, 'axis', 0), first.length);
      const out = [...first];
      out[axis] = dimSum((shapes as Shape[]).map((s) => s[axis]));
      set(0, out);
      return;
    }
    case 'Pad': {
      const s = shape(0);
      const pads = constants.ints(inputs[1] ?? '') ?? (value(1) as number[] | undefined);
      if (s === undefined) return;
      if (pads === undefined || pads.some((p) => typeof p !== 'number')) {
        set(
          0,
          s.map(() => unknownDim()),
        );
        return;
      }
      set(
        0,
        s.map((d, i) => dimSum([d, pads[i] + pads[i + s.length]])),
      );
      return;
    }
    case 'Squeeze': {
      const s = shape(0);
      if (s === undefined) return;
      const axesValue = value(1) as number[] | undefined;
      const axes = axesValue?.map((a) => normalizeAxis(Number(a), s.length));
      const out = s.filter((d, i) => (axes === undefined ? d !== 1 : !axes.includes(i)));
      set(0, out);
      if (value(0) !== undefined) setValue(value(0));
      return;
    }
    case 'Unsqueeze': {
      const s = shape(0);
      const axesValue = value(1) as number[] | undefined;
      if (s === undefined || axesValue === undefined) return;
      const rank = s.length + axesValue.length;
      const axes = axesValue.map((a) => normalizeAxis(Number(a), rank));
      const out: Shape = [];
      let j = 0;
      for (let i = 0; i < rank; i++) out.push(axes.includes(i) ? 1 : s[j++]);
      set(0, out);
      if (value(0) !== undefined) setValue(value(0));
      return;
    }
    case 'Gather': {
      const s = shape(0);
      const idx = shape(1);
      if (s === undefined || idx === undefined) return;
      const axis = normalizeAxis(intAttribute(node, 'axis', 0), s.length);
      set(0, [...s.slice(0, axis), ...idx, ...s.slice(axis + 1)]);
      const v = value(0);
      const iv = value(1);
      if (v !== undefined && iv !== undefined && axis === 0 && iv.every((i) => typeof i === 'number')) {
        setValue((iv as number[]).map((i) => v[normalizeAxis(i, v.length)]));
      }
      return;
    }
    case 'Slice': {
      const s = shape(0);
      if (s === undefined) return;
      const starts = value(1);
      const ends = value(2);
      const axesValue = inputs[3] ? value(3) : s.map((_, i) => i);
      const steps = inputs[4] ? value(4) : undefined;
      if (starts === undefined || ends === undefined || axesValue === undefined) return;
      const all = [starts, ends, axesValue, steps ?? []];
      if (all.some((a) => a.some((x) => typeof x !== 'number'))) return;
      const out = [...s];
      const v = value(0);
      let sliced: Dim[] | undefined = v;
      axesValue.forEach((a, k) => {
        const axis = normalizeAxis(a as number, s.length);
        const dim = s[axis];
        const step = (steps?.[k] as number | undefined) ?? 1;
        if (typeof dim !== 'number') {
          out[axis] = unknownDim();
          sliced = undefined;
          return;
        }
        const range = sliceRange(starts[k] as number, ends[k] as number, step, dim);
        out[axis] = range.length;
        if (sliced !== undefined && axis === 0) sliced = range.map((i) => (sliced as Dim[])[i]);
      });
      set(0, out);
      if (v !== undefined && s.length === 1) setValue(sliced);
      return;
    }
    case 'ConstantOfShape': {
      const v = value(0);
      if (v !== undefined) set(0, v);
      return;
    }
    case 'Expand': {
      const s = shape(0);
      const v = value(1);
      if (s !== undefined && v !== undefined) set(0, broadcastShapes([s, v]));
      return;
    }
    case 'Split': {
      const s = shape(0);
      if (s === undefined) return;
      const axis = normalizeAxis(intAttribute(node, 'axis', 0), s.length);
      const sizes = value(1);
      outputs.forEach((_, i) => {
        const out = [...s];
        const dim = s[axis];
        if (sizes !== undefined) out[axis] = sizes[i];
        else out[axis] = typeof dim === 'number' ? dim / outputs.length : unknownDim();
        set(i, out);
      });
      return;
    }
    case 'Tile': {
      const s = shape(0);
      const reps = value(1);
      if (s !== undefined && reps !== undefined) {
        set(
          0,
          s.map((d, i) => dimProductPair(d, reps[i])),
        );
      }
      return;
    }
    case 'ArgMax':
    case 'ArgMin': {
      const s = shape(0);
      if (s === undefined) return;
      const axis = normalizeAxis(intAttribute(node, 'axis', 0), s.length);
      const keep = intAttribute(node, 'keepdims', 1) === 1;
      set(
        0,
        s.flatMap((d, i) => (i === axis ? (keep ? [1] : []) : [d])),
      );
      return;
    }
    case 'DepthToSpace':
    case 'SpaceToDepth': {
      const s = shape(0);
      if (s === undefined || !isStatic(s.slice(1))) return;
      const b = intAttribute(node, 'blocksize', 1);
      const [n, c, h, w] = s as [Dim, number, number, number];
      set(0, op === 'DepthToSpace' ? [n, c / (b * b), h * b, w * b] : [n, c * b * b, h / b, w / b]);
      return;
    }
  }
}

function dimSum(dims: readonly Dim[]): Dim {
  return dims.every((d) => typeof d === 'number')
    ? (dims as number[]).reduce((a, b) => a + b, 0)
    : unknownDim();
}

function dimProductPair(a: Dim, b: Dim): Dim {
  return dimProduct([a, b]);
}

function integerArithmetic(op: string, a: Dim[], b: Dim[]): Dim[] | undefined {
  if (a.length !== b.length && a.length !== 1 && b.length !== 1) return undefined;
  const n = Math.max(a.length, b.length);
  const out: Dim[] = [];
  for (let i = 0; i < n; i++) {
    const x = a[a.length === 1 ? 0 : i];
    const y = b[b.length === 1 ? 0 : i];
    if (typeof x !== 'number' || typeof y !== 'number') {
      if (op === 'Mul' && (x === 1 || y === 1)) out.push(x === 1 ? y : x);
      else if (op === 'Div' && y === 1) out.push(x);
      else out.push(unknownDim());
      continue;
    }
    if (op === 'Add') out.push(x + y);
    else if (op === 'Sub') out.push(x - y);
    else if (op === 'Mul') out.push(x * y);
    else out.push(Math.trunc(x / y));
  }
  return out;
}

/** Indices a Slice with these (already numeric) parameters selects along a dim of size `dim`. */
export function sliceRange(start: number, end: number, step: number, dim: number): number[] {
  const clamp = (v: number, lo: number, hi: number) => Math.min(Math.max(v, lo), hi);
  let s = start < 0 ? start + dim : start;
  let e = end < 0 ? end + dim : end;
  const out: number[] = [];
  if (step > 0) {
    s = clamp(s, 0, dim);
    e = clamp(e, 0, dim);
    for (let i = s; i < e; i += step) out.push(i);
  } else {
    s = clamp(s, -1, dim - 1);
    e = clamp(e, -1, dim - 1);
    for (let i = s; i > e; i += step) out.push(i);
  }
  return out;
}

/** The output shape of Reshape(input of shape `s`, `target`) (0 copies unless allowzero; -1 infers). */
function reshapeTarget(s: Shape | undefined, target: readonly Dim[], allowZero: boolean): Shape {
  const out: Dim[] = target.map((t, i) => (t === 0 && !allowZero ? (s?.[i] ?? unknownDim()) : t));
  const inferred = out.indexOf(-1);
  if (inferred >= 0) {
    if (s === undefined) {
      out[inferred] = unknownDim();
    } else {
      out[inferred] = dimQuotient(
        s,
        out.filter((_, i) => i !== inferred),
      );
    }
  }
  return out;
}

/** prod(numerator) / prod(denominator) with symbols cancelled where they match. */
function dimQuotient(numerator: readonly Dim[], denominator: readonly Dim[]): Dim {
  const num = [...numerator];
  const den: Dim[] = [];
  for (const d of denominator) {
    const k = typeof d === 'string' ? num.indexOf(d) : -1;
    if (k >= 0) num.splice(k, 1);
    else den.push(d);
  }
  const nSymbols = num.filter((d) => typeof d === 'string');
  if (den.some((d) => typeof d === 'string')) return unknownDim();
  const nProduct = (num.filter((d) => typeof d === 'number') as number[]).reduce((a, b) => a * b, 1);
  const dProduct = (den as number[]).reduce((a, b) => a * b, 1);
  if (nProduct % dProduct !== 0) return unknownDim();
  const q = nProduct / dProduct;
  if (nSymbols.length === 0) return q;
  if (nSymbols.length === 1 && q === 1) return nSymbols[0];
  return unknownDim();
}

/** The element type a graph input or output declares. */
export function elementType(info: onnx.IValueInfoProto): number {
  return info.type?.tensorType?.elemType ?? DataType.UNDEFINED;
}
