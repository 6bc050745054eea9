/**
 * `loadModel(url)` in the browser: a TensorFlow.js layers or graph model from the URL of its model.json
 * (weights fetched beside it), wrapped as a `TfjsModel` with bounds, preprocessing and labels from the
 * options, else from the model's advx metadata (`model.json`'s `advx` field, as `advx train` saves it).
 * The engine is started with its defaults first when the page has not called `initEngine` itself. An
 * `.onnx` URL is an ONNX model (load-onnx-model.ts).
 */
import { initEngine } from '../engine/backend.js';
import { tf } from '../engine/tf.js';
import type { ModelJson } from '../models/model-files.js';
import type { Bounds } from '../models/model.js';
import type { OnnxModel } from '../models/onnx-model.js';
import type { Preprocessing, PreprocessName } from '../models/preprocessing.js';
import { TfjsModel } from '../models/tfjs-model.js';
import { absoluteUrl, fetchOk } from './fetch-ok.js';
import { preprocessingOf } from './preprocessing-option.js';

export interface UrlModelOptions {
  /** Default: the metadata's name, else the URL. */
  name?: string;
  /** Default: the metadata's, else [0, 1]. */
  bounds?: Bounds;
  /** A named scheme or the preprocessing itself (default: the metadata's, else none). */
  preprocessing?: PreprocessName | Preprocessing;
  labels?: readonly string[];
  /** Canonical class j is network output outputOrder[j]. */
  outputOrder?: readonly number[];
  /** For graph models: the node whose output is the logits. */
  outputNode?: string;
  /** For ONNX models: the network's input layout (default: the metadata's, else read from the graph). */
  layout?: 'NCHW' | 'NHWC';
  /** For ONNX models: [H, W, C] when the network's image size is symbolic. */
  inputSize?: readonly [number, number, number];
  /** Passed to every fetch (credentials, headers). */
  requestInit?: RequestInit;
  /** Fraction of the weight files fetched so far. */
  onProgress?: (fraction: number) => void;
}

interface AdvxMetadata {
  name?: string;
  bounds?: [number, number];
  preprocessing?: PreprocessName | Preprocessing;
  labels?: string[];
}

async function fetchModelJson(url: URL, init: RequestInit | undefined): Promise<ModelJson> {
  const text = await (await fetchOk(url, init, 'model')).text();
  let json: ModelJson;
  try {
    json = JSON.parse(text) as ModelJson;
  } catch (error) {
    throw new Error(`${url.href}: not valid JSON (${(error as Error).message})`, { cause: error });
  }
  if (json === null || typeof json !== 'object' || json.modelTopology === undefined)
    throw new Error(`${url.href}: not a TensorFlow.js model.json (no modelTopology)`);
  if (!Array.isArray(json.weightsManifest)) throw new Error(`${url.href}: no weightsManifest`);
  return json;
}

/** A weights path must name a file beside model.json (no scheme, no absolute path, no '..'). */
function weightsUrl(modelUrl: URL, path: string): URL {
  if (typeof path !== 'string' || path === '' || /^[a-z][a-z0-9+.-]*:/i.test(path) || path.startsWith('/'))
    throw new Error(
      `${modelUrl.href}: weights path '${path}' must be a relative file name beside model.json`,
    );
  if (path.split(/[\\/]/).includes('..'))
    throw new Error(`${modelUrl.href}: weights path '${path}' leaves the model's folder`);
  return new URL(path, modelUrl);
}

function isGraphModel(json: ModelJson): boolean {
  const topology = json.modelTopology as { node?: unknown } | null;
  return json.format === 'graph-model' || Array.isArray(topology?.node);
}

async function fetchWeights(
  modelUrl: URL,
  manifest: tf.io.WeightsManifestConfig,
  options: UrlModelOptions,
): Promise<[tf.io.WeightsManifestEntry[], ArrayBuffer[]]> {
  const urls = manifest.flatMap((group) => group.paths.map((path) => weightsUrl(modelUrl, path)));
  let done = 0;
  const buffers = await Promise.all(
    urls.map(async (url) => {
      const buffer = await (await fetchOk(url, options.requestInit, 'weights')).arrayBuffer();
      options.onProgress?.(++done / urls.length);
      return buffer;
    }),
  );
  return [manifest.flatMap((group) => group.weights), buffers];
}

const isOnnxUrl = (url: URL) => /\.onnx$/i.test(url.pathname);

/**
 * Loads the model at `url` as an advx model: a TensorFlow.js model (its model.json), or an `.onnx` file
 * on the ONNX Runtime given to `engine.useOnnxRuntime` (load-onnx-model.ts).
 */
export async function loadModel(url: string, options: UrlModelOptions = {}): Promise<TfjsModel | OnnxModel> {
  const modelUrl = absoluteUrl(url);
  if (isOnnxUrl(modelUrl)) return (await import('./load-onnx-model.js')).loadOnnxModel(modelUrl, options);
  await initEngine();
  const json = await fetchModelJson(modelUrl, options.requestInit);
  const meta = (json.advx ?? {}) as AdvxMetadata;
  const artifacts = await tf.io.getModelArtifactsForJSON(json as tf.io.ModelJSON, (manifest) =>
    fetchWeights(modelUrl, manifest, options),
  );
  let net: tf.LayersModel | tf.GraphModel;
  try {
    const handler = tf.io.fromMemory(artifacts);
    net = isGraphModel(json) ? await tf.loadGraphModel(handler) : await tf.loadLayersModel(handler);
  } catch (error) {
    throw new Error(`${modelUrl.href}: could not build the model (${(error as Error).message})`, {
      cause: error,
    });
  }
  const bounds = options.bounds ?? meta.bounds ?? [0, 1];
  try {
    return new TfjsModel(net, {
      name: options.name ?? meta.name ?? modelUrl.href,
      bounds,
      preprocessing: preprocessingOf(options.preprocessing ?? meta.preprocessing, bounds),
      labels: options.labels ?? meta.labels,
      outputOrder: options.outputOrder,
      outputNode: options.outputNode,
    });
  } catch (error) {
    net.dispose();
    throw error;
  }
}
