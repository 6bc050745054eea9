/**
 * A layers topology must not declare layers larger than its weights: tfjs allocates every layer's weights
 * when it builds the model, before it compares them with the weights given, so a 2 kB model.json with
 * `units: 30000000` takes minutes and gigabytes to fail. A Dense layer of `units` outputs, a convolution
 * of `filters` (times its kernel), an embedding of `input_dim` x `output_dim` hold at least that many
 * values, and their weights in the manifest have those sizes as dimensions: both are checked before
 * building. (Sizes tfjs infers while building, e.g. a Dense layer's input width after an enlarged input
 * shape, are not: that needs the build itself.)
 */
import type { ModelJson } from './model-files.js';
import { printable } from './printable.js';

/** Config keys whose value is a lower bound of the layer's weight values. */
const SIZE_KEYS = ['units', 'filters', 'output_dim', 'input_dim', 'depth_multiplier'] as const;

/** Most values one input may have (2^28 floats: 1 GiB). */
export const MAX_INPUT_VALUES = 2 ** 28;

interface LayerNode {
  class_name: string;
  config: Record<string, unknown>;
}

const isLayerNode = (v: unknown): v is LayerNode =>
  v !== null &&
  typeof v === 'object' &&
  typeof (v as LayerNode).class_name === 'string' &&
  (v as LayerNode).config !== null &&
  typeof (v as LayerNode).config === 'object';

/** Every object of the topology that looks like a layer ({class_name, config}), nested models included. */
function layerNodes(value: unknown, out: LayerNode[] = [], depth = 0): LayerNode[] {
  if (value === null || typeof value !== 'object' || depth > 64) return out;
  if (isLayerNode(value)) out.push(value);
  for (const child of Object.values(value)) layerNodes(child, out, depth + 1);
  return out;
}

const product = (values: unknown): number =>
  (Array.isArray(values) ? values : [values]).reduce<number>(
    (p, d) => p * (typeof d === 'number' && Number.isFinite(d) ? d : 1),
    1,
  );

/** The number of weight values the manifest declares (shapes multiplied out, all groups). */
export function manifestValues(json: ModelJson): number {
  return json.weightsManifest.reduce(
    (sum, group) => sum + group.weights.reduce((s, w) => s + product(w.shape), 0),
    0,
  );
}

/** The manifest's weights of the layer named `name` (tfjs names them `<layer>/<weight>`). */
function layerWeights(json: ModelJson, name: unknown): number[][] {
  if (typeof name !== 'string' || name === '') return [];
  return json.weightsManifest.flatMap((group) =>
    group.weights.filter((w) => w.name.split('/').includes(name)).map((w) => w.shape),
  );
}

/**
 * Throws a one-line error naming the layer when the topology declares more than the weights can hold: a
 * size (units, filters...) above all the weight values of the model, or one that divides no dimension of
 * the layer's own weights in the manifest (a Dense layer of `units` has a kernel [in, units]; an LSTM's
 * are multiples of its units).
 */
export function checkTopologySizes(json: ModelJson, file: string): void {
  const total = manifestValues(json);
  for (const { class_name: kind, config } of layerNodes(json.modelTopology)) {
    const name = printable(typeof config.name === 'string' ? `'${config.name}' (${kind})` : kind);
    const own = layerWeights(json, config.name);
    const dims = own.flat();
    for (const key of SIZE_KEYS) {
      const value = config[key];
      if (typeof value !== 'number') continue;
      if (value > total)
        throw new Error(
          `${file}: layer ${name} declares ${key} ${value}, more than the ${total} weight values of the model`,
        );
      if (own.length > 0 && value > 0 && !dims.some((d) => d % value === 0))
        throw new Error(
          `${file}: layer ${name} declares ${key} ${value}, but its weights have shapes ${own.map((w) => `[${w.join(',')}]`).join(', ')}`,
        );
    }
    if (config.kernel_size !== undefined && product(config.kernel_size) * product(config.filters) > total)
      throw new Error(
        `${file}: layer ${name} declares a kernel of ${product(config.kernel_size) * product(config.filters)} values, more than the ${total} weight values of the model`,
      );
    for (const key of ['batch_input_shape', 'batch_shape']) {
      const shape = config[key];
      if (Array.isArray(shape) && product(shape.slice(1)) > MAX_INPUT_VALUES)
        throw new Error(
          `${file}: layer ${name} declares inputs of shape [${printable(shape.join(','))}], more than ${MAX_INPUT_VALUES} values each`,
        );
    }
  }
}
