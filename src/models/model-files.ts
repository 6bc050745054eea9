/**
 * Reading a TensorFlow.js model folder (`model.json` + weight files) safely: every weights path must
 * stay inside the folder, every declared file must exist and hold as many bytes as the manifest says.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { tf } from '../engine/tf.js';

export interface ModelJson {
  format?: string;
  modelTopology: unknown;
  weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
  /** advx's own description of models it saved (bounds, labels, preprocessing...). */
  advx?: Record<string, unknown>;
  userDefinedMetadata?: Record<string, unknown>;
  signature?: unknown;
}

export function readModelJson(file: string): ModelJson {
  if (!existsSync(file)) throw new Error(`${file}: no such file`);
  let json: ModelJson;
  try {
    json = JSON.parse(readFileSync(file, 'utf8')) as ModelJson;
  } catch (error) {
    throw new Error(`${file}: not valid JSON (${(error as Error).message})`, { cause: error });
  }
  if (json === null || typeof json !== 'object' || json.modelTopology === undefined) {
    throw new Error(`${file}: not a TensorFlow.js model.json (no modelTopology)`);
  }
  if (!Array.isArray(json.weightsManifest)) throw new Error(`${file}: no weightsManifest`);
  return json;
}

/** Resolves a weights path of the manifest, refusing any that leaves the model folder. */
export function weightsPathInside(dir: string, path: string, modelFile: string): string {
  if (typeof path !== 'string' || path === '' || isAbsolute(path) || /^[a-z]+:/i.test(path)) {
    throw new Error(
      `${modelFile}: weights path '${path}' must be a relative file name inside the model folder`,
    );
  }
  const full = resolve(dir, path);
  const rel = relative(resolve(dir), full);
  if (rel === '' || rel.startsWith('..') || rel.split(sep).includes('..') || isAbsolute(rel)) {
    throw new Error(`${modelFile}: weights path '${path}' escapes the model folder`);
  }
  return full;
}

/** Bytes per value of each weights dtype (quantised weights declare their own). */
function expectedBytes(spec: tf.io.WeightsManifestEntry): number {
  const count = spec.shape.reduce((a, b) => a * b, 1);
  const q = spec.quantization;
  if (q !== undefined) return count * (q.dtype === 'uint8' ? 1 : q.dtype === 'float16' ? 2 : 2);
  return count * (spec.dtype === 'bool' ? 1 : 4);
}

export interface ModelFolder {
  json: ModelJson;
  artifacts: tf.io.ModelArtifacts;
}

/** Reads `dir/model.json` and its weights into memory artifacts for tf.loadLayersModel / loadGraphModel. */
export function readModelFolder(dir: string): ModelFolder {
  const modelFile = join(dir, 'model.json');
  const json = readModelJson(modelFile);
  const buffers: Buffer[] = [];
  const weightSpecs: tf.io.WeightsManifestEntry[] = [];
  for (const group of json.weightsManifest) {
    const declared = group.weights.reduce((sum, w) => sum + expectedBytes(w), 0);
    let actual = 0;
    for (const path of group.paths) {
      const file = weightsPathInside(dir, path, modelFile);
      if (!existsSync(file)) throw new Error(`${modelFile}: weights file '${path}' is missing`);
      actual += statSync(file).size;
      buffers.push(readFileSync(file));
    }
    if (actual !== declared) {
      throw new Error(
        `${modelFile}: weights of group [${group.paths.join(', ')}] hold ${actual} bytes, the manifest declares ${declared}`,
      );
    }
    weightSpecs.push(...group.weights);
  }
  const all = Buffer.concat(buffers);
  const weightData = all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength) as ArrayBuffer;
  return {
    json,
    artifacts: {
      modelTopology: json.modelTopology as tf.io.ModelArtifacts['modelTopology'],
      format: json.format,
      weightSpecs,
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

/** Loads the network of a model folder (layers or graph model). */
export async function loadNetwork(
  dir: string,
): Promise<{ net: tf.LayersModel | tf.GraphModel; json: ModelJson }> {
  if (!existsSync(dir)) throw new Error(`${dir}: no such model folder`);
  const { json, artifacts } = readModelFolder(dir);
  try {
    const handler = tf.io.fromMemory(artifacts);
    const net = isGraphModel(json) ? await tf.loadGraphModel(handler) : await tf.loadLayersModel(handler);
    return { net, json };
  } catch (error) {
    throw new Error(`${join(dir, 'model.json')}: could not build the model (${(error as Error).message})`, {
      cause: error,
    });
  }
}
