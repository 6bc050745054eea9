/**
 * Reading a TensorFlow.js model (`model.json` + weight files) safely: model.json must be a model (a
 * topology, a well-formed weights manifest) of a sane size; every weights path must stay inside the
 * model's folder (also through symbolic links); every declared file must exist, be a regular file and
 * hold as many bytes as the manifest says. Errors are one line naming the file and what is wrong.
 */
import { closeSync, existsSync, fstatSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { tf } from '../engine/tf.js';
import { resolveInside, type OutsideReason } from './inside-folder.js';
import { printable } from './printable.js';
import { checkTopologySizes } from './topology-sizes.js';

export interface ModelJson {
  format?: string;
  modelTopology: unknown;
  weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
  /** advx's own description of models it saved (bounds, labels, preprocessing...): advx-metadata.ts. */
  advx?: Record<string, unknown>;
  userDefinedMetadata?: Record<string, unknown>;
  signature?: unknown;
}

/** model.json holds the topology and the manifest, never weights: larger than this is not a model.json. */
export const MAX_MODEL_JSON_BYTES = 32 * 2 ** 20;

/** The model.json a spec names: a folder's `model.json`, or the .json file itself (whatever its name). */
export function modelJsonPath(folderOrFile: string): string {
  return existsSync(folderOrFile) && statSync(folderOrFile).isDirectory()
    ? join(folderOrFile, 'model.json')
    : folderOrFile;
}

const DTYPE_BYTES: Record<string, number | undefined> = {
  float32: 4,
  int32: 4,
  bool: 1,
  complex64: 8,
  string: undefined, // variable length
};
const QUANTIZED_BYTES: Record<string, number> = { uint8: 1, uint16: 2, float16: 2 };

const isObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

const describe = (v: unknown): string =>
  v === null ? 'null' : Array.isArray(v) ? 'a list' : typeof v === 'string' ? 'a string' : typeof v;

/** Checks one manifest entry: name, shape (non-negative integers) and dtype. */
function checkWeightSpec(spec: unknown, where: string): void {
  if (!isObject(spec)) throw new Error(`${where} must be an object with name, shape and dtype`);
  if (typeof spec.name !== 'string' || spec.name === '') throw new Error(`${where} has no name`);
  where = `${where} ('${printable(spec.name)}')`;
  if (!Array.isArray(spec.shape)) throw new Error(`${where} has no shape`);
  if (!spec.shape.every((d) => Number.isSafeInteger(d) && (d as number) >= 0))
    throw new Error(`${where} has an invalid shape [${printable(spec.shape.join(','))}]`);
  if (typeof spec.dtype !== 'string' || !Object.hasOwn(DTYPE_BYTES, spec.dtype))
    throw new Error(`${where} has an unknown dtype '${printable(String(spec.dtype))}'`);
  const q = spec.quantization;
  if (
    q !== undefined &&
    (!isObject(q) || typeof q.dtype !== 'string' || !Object.hasOwn(QUANTIZED_BYTES, q.dtype))
  )
    throw new Error(`${where} has an unknown quantization`);
}

/** Checks the shape of a parsed model.json: a topology and a manifest of groups {paths, weights}. */
export function checkModelJson(json: unknown, file: string): asserts json is ModelJson {
  if (!isObject(json) || json.modelTopology === undefined || json.modelTopology === null)
    throw new Error(`${file}: not a TensorFlow.js model.json (no modelTopology)`);
  if (!isObject(json.modelTopology)) throw new Error(`${file}: modelTopology must be an object`);
  const manifest = json.weightsManifest;
  if (!Array.isArray(manifest)) throw new Error(`${file}: no weightsManifest list`);
  manifest.forEach((group: unknown, g) => {
    const where = `${file}: weightsManifest[${g}]`;
    if (!isObject(group)) throw new Error(`${where} must be an object with paths and weights`);
    if (!Array.isArray(group.paths) || !group.paths.every((p) => typeof p === 'string'))
      throw new Error(`${where}.paths must be a list of file names (got ${describe(group.paths)})`);
    if (!Array.isArray(group.weights))
      throw new Error(`${where}.weights must be a list (got ${describe(group.weights)})`);
    group.weights.forEach((spec: unknown, w) => checkWeightSpec(spec, `${where}.weights[${w}]`));
  });
  if (json.advx !== undefined && !isObject(json.advx))
    throw new Error(`${file}: advx must be an object (got ${describe(json.advx)})`);
  checkTopologySizes(json as unknown as ModelJson, file);
}

/** Reads and checks a model.json (at most MAX_MODEL_JSON_BYTES). */
export function readModelJson(file: string): ModelJson {
  if (!existsSync(file)) throw new Error(`${file}: no such file`);
  const stat = statSync(file);
  if (!stat.isFile()) throw new Error(`${file}: not a regular file`);
  if (stat.size > MAX_MODEL_JSON_BYTES)
    throw new Error(
      `${file}: ${Math.round(stat.size / 1e6)} MB is too large for a model.json (at most ${MAX_MODEL_JSON_BYTES / 2 ** 20} MiB: topology and manifest, not weights)`,
    );
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(`${file}: not valid JSON (${printable((error as Error).message)})`, { cause: error });
  }
  checkModelJson(json, file);
  return json;
}

const OUTSIDE: Record<OutsideReason, string> = {
  'not relative': 'must be a relative file name inside the model folder',
  escapes: 'escapes the model folder',
  'links outside': 'escapes the model folder (through a symbolic link)',
};

/** Resolves a weights path of the manifest, refusing any that leaves the model folder (also by symlink). */
export function weightsPathInside(dir: string, path: string, modelFile: string): string {
  return resolveInside(
    dir,
    path,
    (reason) => new Error(`${modelFile}: weights path '${printable(String(path))}' ${OUTSIDE[reason]}`),
  );
}

/** Bytes a weight takes in the weights files, or undefined when it cannot be known (strings). */
function expectedBytes(spec: tf.io.WeightsManifestEntry): number | undefined {
  const count = spec.shape.reduce((a, b) => a * b, 1);
  const q = spec.quantization;
  if (q !== undefined) return count * QUANTIZED_BYTES[q.dtype];
  const bytes = DTYPE_BYTES[spec.dtype];
  return bytes === undefined ? undefined : count * bytes;
}

/** One weights file of a manifest group, checked: inside the folder, a regular file. */
interface WeightsFile {
  path: string;
  file: string;
  size: number;
}

/**
 * The weights files of a model.json, checked without reading them: every path inside the model folder
 * (also by real path), each a regular file, each group's files as large as its weights declare.
 */
export function checkWeightsFiles(
  modelFile: string,
  json: ModelJson = readModelJson(modelFile),
): WeightsFile[][] {
  const dir = dirname(modelFile);
  return json.weightsManifest.map((group) => {
    const files = group.paths.map((path) => {
      const file = weightsPathInside(dir, path, modelFile);
      if (!existsSync(file)) throw new Error(`${modelFile}: weights file '${printable(path)}' is missing`);
      const stat = statSync(file);
      if (!stat.isFile())
        throw new Error(`${modelFile}: weights path '${printable(path)}' is not a regular file`);
      return { path, file, size: stat.size };
    });
    const sizes = group.weights.map(expectedBytes);
    if (sizes.every((size) => size !== undefined)) {
      const declared = sizes.reduce((a, b) => a + b, 0);
      const actual = files.reduce((sum, f) => sum + f.size, 0);
      if (actual !== declared) {
        const names = group.paths.length > 0 ? printable(group.paths.join(', ')) : 'no files';
        throw new Error(
          `${modelFile}: weights of group [${names}] hold ${actual} bytes, the manifest declares ${declared}`,
        );
      }
    }
    return files;
  });
}

/** A checked weights file's bytes: exactly the size checked (a file that changed meanwhile is an error). */
function readWeightsFile({ path, file, size }: WeightsFile, modelFile: string): Buffer {
  const fd = openSync(file, 'r');
  try {
    if (fstatSync(fd).size !== size)
      throw new Error(`${modelFile}: weights file '${path}' changed while read`);
    const bytes = Buffer.alloc(size);
    for (let at = 0; at < size;) {
      const n = readSync(fd, bytes, at, size - at, at);
      if (n === 0) throw new Error(`${modelFile}: weights file '${path}' changed while read`);
      at += n;
    }
    return bytes;
  } finally {
    closeSync(fd);
  }
}

export interface ModelFolder {
  json: ModelJson;
  artifacts: tf.io.ModelArtifacts;
}

/**
 * Reads a model.json (a folder's `model.json`, or the .json file named) and its weights into memory
 * artifacts for tf.loadLayersModel / loadGraphModel.
 */
export function readModelFolder(folderOrFile: string): ModelFolder {
  const modelFile = modelJsonPath(folderOrFile);
  const json = readModelJson(modelFile);
  const files = checkWeightsFiles(modelFile, json).flat();
  const all = Buffer.concat(files.map((f) => readWeightsFile(f, modelFile)));
  const weightData = all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength) as ArrayBuffer;
  return {
    json,
    artifacts: {
      modelTopology: json.modelTopology as tf.io.ModelArtifacts['modelTopology'],
      format: json.format,
      weightSpecs: json.weightsManifest.flatMap((group) => group.weights),
      weightData,
      signature: json.signature as tf.io.ModelArtifacts['signature'],
      userDefinedMetadata: json.userDefinedMetadata as tf.io.ModelArtifacts['userDefinedMetadata'],
    },
  };
}

export function isGraphModel(json: ModelJson): boolean {
  if (json.format === 'graph-model') return true;
  const topology = json.modelTopology as Record<string, unknown>;
  return topology !== null && typeof topology === 'object' && Array.isArray(topology.node);
}

/**
 * The outputs a layers model's topology declares (Keras' `output_layers`; a Sequential model has one), or
 * undefined for graph models and topologies that do not say.
 */
export function declaredOutputCount(json: ModelJson): number | undefined {
  const topology = json.modelTopology as Record<string, unknown>;
  const model = (topology.model_config ?? topology) as { class_name?: unknown; config?: unknown };
  if (model.class_name === 'Sequential') return 1;
  const outputs = (model.config as { output_layers?: unknown } | undefined)?.output_layers;
  return Array.isArray(outputs) ? outputs.length : undefined;
}

/**
 * tfjs' build errors as one line: the first sentence of the first line ("Unknown layer: Foo. This may be
 * due to one of the following reasons: 1. ..." -> "Unknown layer: Foo").
 */
export function buildErrorSummary(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const first = message
    .split('\n')[0]
    .replace(/\. This may be due to.*$/, '')
    .trim();
  return printable(first) || 'unknown error';
}

/** Loads the network of a model.json (a folder's, or the file named): layers or graph model. */
export async function loadNetwork(
  folderOrFile: string,
): Promise<{ net: tf.LayersModel | tf.GraphModel; json: ModelJson }> {
  if (!existsSync(folderOrFile)) throw new Error(`${folderOrFile}: no such model folder`);
  const modelFile = modelJsonPath(folderOrFile);
  const { json, artifacts } = readModelFolder(modelFile);
  try {
    const handler = tf.io.fromMemory(artifacts);
    const net = isGraphModel(json) ? await tf.loadGraphModel(handler) : await tf.loadLayersModel(handler);
    return { net, json };
  } catch (error) {
    throw new Error(`${modelFile}: could not build the model (${buildErrorSummary(error)})`, {
      cause: error,
    });
  }
}
