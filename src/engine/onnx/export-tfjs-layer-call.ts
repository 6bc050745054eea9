/**
 * One call of a tfjs layer as the exporter sees it (the layer, its config, its input values, its output
 * shape, the graph to write into), typed readers of its config and weights, and the one error type for
 * what the exporter cannot write.
 */
import { tf } from '../tf.js';
import type { OnnxGraphBuilder, Value } from './export-tfjs-graph.js';

export interface LayerCall {
  layer: tf.layers.Layer;
  className: string;
  config: tf.serialization.ConfigDict;
  inputs: Value[];
  /** Keras shape of the output (batch dim first, null when unknown). */
  outputShape: readonly (number | null)[];
  graph: OnnxGraphBuilder;
}

/** A layer (or one of its settings) the exporter does not support; the message names class and layer. */
export class UnsupportedLayerError extends Error {
  constructor(call: Pick<LayerCall, 'className' | 'layer'>, what?: string) {
    const detail = what === undefined ? ' is not supported' : `: ${what} is not supported`;
    super(`cannot export to ONNX: layer '${call.layer.name}' (${call.className})${detail}`);
  }
}

/** Base for the names of the nodes and initializers of a layer: the layer's name. */
export function baseName(call: LayerCall): string {
  return call.layer.name;
}

export function single(call: LayerCall): Value {
  if (call.inputs.length !== 1) throw new UnsupportedLayerError(call, `${call.inputs.length} inputs`);
  return call.inputs[0];
}

export function stringOption(call: LayerCall, key: string, fallback: string): string {
  const value = call.config[key];
  return typeof value === 'string' ? value : fallback;
}

export function numberOption(call: LayerCall, key: string, fallback: number): number {
  const value = call.config[key];
  return typeof value === 'number' ? value : fallback;
}

export function booleanOption(call: LayerCall, key: string, fallback: boolean): boolean {
  const value = call.config[key];
  return typeof value === 'boolean' ? value : fallback;
}

/** An option given as one number or a pair (kernel size, strides, dilation) -> a pair. */
export function pairOption(call: LayerCall, key: string, fallback: [number, number]): [number, number] {
  const value = call.config[key];
  if (typeof value === 'number') return [value, value];
  if (Array.isArray(value) && value.length === 2 && value.every((v) => typeof v === 'number'))
    return [value[0] as number, value[1] as number];
  if (Array.isArray(value) && value.length === 1 && typeof value[0] === 'number') return [value[0], value[0]];
  return fallback;
}

/** Layers whose `dataFormat` is channels-first are refused (tfjs runs them rarely, and only on some ops). */
export function requireChannelsLast(call: LayerCall): void {
  const format = stringOption(call, 'dataFormat', 'channelsLast');
  if (format !== 'channelsLast') throw new UnsupportedLayerError(call, `data format '${format}'`);
}

/** The weight variable `property` of the layer (e.g. 'kernel', 'bias', 'gamma'), or null if it has none. */
export function weightOf(call: LayerCall, property: string): tf.LayerVariable | null {
  const variable = (call.layer as unknown as Record<string, unknown>)[property];
  return variable instanceof tf.LayerVariable ? variable : null;
}

/**
 * The initializer holding weight `property`, its axes permuted by `perm` and then reshaped to `dims`
 * (default: the permuted shape). Made once per layer and weight.
 */
export function weightInitializer(
  call: LayerCall,
  property: string,
  options: { perm?: readonly number[]; dims?: (permuted: number[]) => number[] } = {},
): string {
  const variable = weightOf(call, property);
  if (variable === null) throw new UnsupportedLayerError(call, `a layer without its '${property}' weight`);
  return call.graph.floatConstant(`${call.layer.name}/${property}`, () => {
    const value = variable.read();
    const permuted = options.perm === undefined ? value.shape : options.perm.map((axis) => value.shape[axis]);
    // (dataSync outside tf.tidy: tidy would walk a returned typed array element by element)
    const transposed = options.perm === undefined ? null : tf.transpose(value, [...options.perm]);
    const data = Float32Array.from((transposed ?? value).dataSync());
    transposed?.dispose();
    return {
      dims: options.dims === undefined ? permuted : options.dims(permuted),
      data,
    };
  });
}
