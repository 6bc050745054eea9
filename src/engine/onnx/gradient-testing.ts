/**
 * Test support for the ONNX gradient engine: small forward graphs written with a GraphBuilder, deterministic
 * data, and a finite-difference check of a gradient graph. The check evaluates every perturbed input
 * (x + h e_i and x - h e_i for each pixel i) as one batch of a single session run, so even a few hundred
 * pixels cost one call.
 */
import type { Loss, LossKind } from '../../models/loss.js';
import { classifierGraph, type ClassifierGraphOptions } from './classifier-graph.js';
import { gradientModel } from './gradient-model.js';
import { GraphBuilder } from './graph-builder.js';
import { lossFeeds } from './loss-feeds.js';
import { encodeModel, onnx, OPSET, valueInfo } from './proto.js';
import { createSession, runSession } from './session.js';

/** Deterministic pseudo-random values in [lo, hi) (a hash of index and seed; no state). */
export function values(count: number, seed: number, lo = -1, hi = 1): Float32Array {
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    const s = Math.sin((i + 1) * 12.9898 + seed * 78.233) * 43758.5453;
    out[i] = lo + (hi - lo) * (s - Math.floor(s));
  }
  return out;
}

/**
 * `count` distinct values `spacing` apart in a deterministic shuffled order, centred on 0 and kept
 * `spacing / 2` away from it: inputs no finite-difference step below `spacing / 2` moves across a kink
 * (ReLU at 0, a max between two values).
 */
export function spacedValues(count: number, seed: number, spacing: number): Float32Array {
  const keys = values(count, seed);
  const order = Array.from(keys.keys()).sort((a, b) => keys[a] - keys[b]);
  const out = new Float32Array(count);
  order.forEach((index, rank) => (out[index] = (rank - count / 2 + 0.5) * spacing));
  return out;
}

/**
 * A forward model: input `x` [N, ...inputDims] (float), output `y` as `build` returns it. `build` gets a
 * builder for nodes and initializers.
 */
export function networkModel(
  build: (b: GraphBuilder, x: string) => string,
  inputDims: readonly number[],
  opset = OPSET,
): onnx.ModelProto {
  const b = new GraphBuilder(['x', 'y'], 'net/');
  const out = build(b, 'x');
  b.opInto('y', 'Identity', [out]);
  const output = valueInfo('y', []);
  output.type.tensorType.shape = undefined as unknown as typeof output.type.tensorType.shape;
  return onnx.ModelProto.create({
    irVersion: 8,
    opsetImport: [{ domain: '', version: opset }],
    graph: {
      name: 'test',
      node: b.nodes,
      initializer: b.initializers,
      input: [valueInfo('x', ['N', ...inputDims])],
      output: [output],
    },
  });
}

/** A loss of `kind` for `batch` inputs and `classes` classes with deterministic labels/targets/weights. */
export function sampleLoss(kind: LossKind, batch: number, classes: number, seed = 1, targeted = false): Loss {
  const labels = Array.from(values(batch, seed, 0, classes), Math.floor);
  const targets = labels.map((l, i) => (l + 1 + (i % (classes - 1))) % classes);
  switch (kind) {
    case 'crossentropy':
    case 'margin':
      return { kind, labels, targeted };
    case 'dlr':
      return { kind, labels };
    case 'dlr-targeted':
      return { kind, labels, targets };
    case 'logits':
      return { kind, weights: values(batch * classes, seed + 7) };
  }
}

/** The same loss for every row of a batch of `rows` copies of input 0. */
function repeatLoss(loss: Loss, rows: number, classes: number): Loss {
  const repeat = (list: readonly number[]) => new Array<number>(rows).fill(list[0]);
  switch (loss.kind) {
    case 'crossentropy':
    case 'margin':
      return { ...loss, labels: repeat(loss.labels) };
    case 'dlr':
      return { ...loss, labels: repeat(loss.labels) };
    case 'dlr-targeted':
      return { ...loss, labels: repeat(loss.labels), targets: repeat(loss.targets) };
    case 'logits': {
      const weights = new Float32Array(rows * classes);
      for (let r = 0; r < rows; r++) weights.set(loss.weights.subarray(0, classes), r * classes);
      return { ...loss, weights };
    }
  }
}

export interface GradientCheck {
  /** The gradient graph's gradient at x. */
  analytic: Float32Array;
  /** Central differences of the graph's own `loss` output. */
  numeric: Float32Array;
  /** ||analytic - numeric|| / ||numeric||. */
  relativeError: number;
  logits: Float32Array;
  loss: number;
}

export interface CheckOptions {
  /** Pixels of ONE input, NHWC [H, W, C] of the classifier. */
  x: Float32Array;
  size: readonly [number, number, number];
  classes: number;
  /** For input 0 (labels etc. of row 0 are used). */
  loss: Loss;
  /** Finite-difference step (default 1e-2). */
  step?: number;
}

/** Builds the gradient graph of `classifier` and compares its gradient with central differences. */
export async function checkGradient(
  classifier: onnx.IModelProto,
  options: CheckOptions,
): Promise<GradientCheck> {
  const { x, size, classes } = options;
  const step = options.step ?? 1e-2;
  const pixels = x.length;
  const rows = 2 * pixels + 1;
  const batch = new Float32Array(rows * pixels);
  for (let r = 0; r < rows; r++) batch.set(x, r * pixels);
  for (let i = 0; i < pixels; i++) {
    batch[(2 * i + 1) * pixels + i] += step;
    batch[(2 * i + 2) * pixels + i] -= step;
  }
  const graph = gradientModel(classifier, options.loss.kind);
  const session = await createSession(encodeModel(graph));
  try {
    const out = await runSession(session, {
      pixels: { data: batch, dims: [rows, ...size] },
      ...lossFeeds(repeatLoss(options.loss, rows, classes), rows, classes),
    });
    const analytic = out.gradient.data.slice(0, pixels);
    const loss = out.loss.data;
    const numeric = new Float32Array(pixels);
    for (let i = 0; i < pixels; i++) numeric[i] = (loss[2 * i + 1] - loss[2 * i + 2]) / (2 * step);
    let diff = 0;
    let norm = 0;
    for (let i = 0; i < pixels; i++) {
      diff += (analytic[i] - numeric[i]) ** 2;
      norm += numeric[i] ** 2;
    }
    return {
      analytic,
      numeric,
      relativeError: Math.sqrt(diff / norm),
      logits: out.logits.data.slice(0, classes),
      loss: loss[0],
    };
  } finally {
    await session.release();
  }
}

/** classifierGraph of a test network taking NCHW input [C, H, W] and no preprocessing. */
export function testClassifier(
  build: (b: GraphBuilder, x: string) => string,
  chw: readonly [number, number, number],
  options: Partial<ClassifierGraphOptions> = {},
  opset = OPSET,
): onnx.ModelProto {
  return classifierGraph(networkModel(build, chw, opset), { layout: 'NCHW', ...options });
}

export interface NetworkCheckOptions {
  /** One NCHW input's pixels in NHWC order (default: deterministic values in [-1, 1)). */
  x?: Float32Array;
  step?: number;
  /** Loss kind (default 'logits', linear in the logits). */
  loss?: LossKind;
  targeted?: boolean;
  classifierOptions?: Partial<ClassifierGraphOptions>;
  opset?: number;
}

/** The finite-difference check of a test network with input [C, H, W] (see checkGradient). */
export async function checkNetwork(
  build: (b: GraphBuilder, x: string) => string,
  chw: readonly [number, number, number],
  options: NetworkCheckOptions = {},
): Promise<GradientCheck> {
  const classifier = testClassifier(build, chw, options.classifierOptions, options.opset);
  const classes = classifier.graph?.output?.[0]?.type?.tensorType?.shape?.dim?.[1]?.dimValue;
  if (typeof classes !== 'number' && typeof classes !== 'object') {
    throw new Error('checkNetwork: the number of classes of the test network is not static');
  }
  const k = Number(classes);
  const [c, h, w] = chw;
  return checkGradient(classifier, {
    x: options.x ?? values(c * h * w, 4),
    size: [h, w, c],
    classes: k,
    loss: sampleLoss(options.loss ?? 'logits', 1, k, 1, options.targeted),
    step: options.step,
  });
}
