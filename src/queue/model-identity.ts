/**
 * What a queue job says about its model: the `--model` spec as given, the options that change its
 * outputs (bounds, preprocessing, engine, ONNX layout), and the sha256 of its files. A worker resolves the
 * spec on its own machine (a zoo name through its ADVX_HOME, a path from its working folder, a URL through
 * its cache) and refuses the job unless its files hash the same: a job never runs on another model.
 *
 * Model services (`advx serve` URLs) have no files to hash, so queued evaluations do not take them.
 */
import { createHash } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import type { InputLayout } from '../engine/onnx/classifier-graph.js';
import { encodeModel } from '../engine/onnx/proto.js';
import { downloadModel, downloadOnnx } from '../models/download.js';
import { isModelServiceUrl } from '../models/http-model.js';
import { loadModel, type EngineChoice } from '../models/load.js';
import type { Model } from '../models/model.js';
import { tfjsFolderHash } from '../models/onnx-export-cache.js';
import { readOnnxFile } from '../models/onnx-file.js';
import type { PreprocessName } from '../models/preprocessing.js';
import { userModelLocation, ZOO } from '../models/zoo.js';
import { fetchesItself, fetchZooModel } from '../models/zoo-fetch.js';

/** A model as a job names it (see the file comment). */
export interface ModelReference {
  /** `--model` as given: a zoo name (or NAME=LOCATION), a model folder, model.json or .onnx path or URL. */
  spec: string;
  bounds?: [number, number];
  preprocess?: PreprocessName;
  engine: EngineChoice;
  layout?: InputLayout;
  /** sha256 (hex) of the model's files: model.json and weights, or the .onnx file with its external data. */
  hash: string;
}

const isUrl = (s: string) => /^https?:\/\//i.test(s);
const isOnnx = (s: string) => /\.onnx$/i.test(s.replace(/[?#].*$/, ''));

/** The model folder (TensorFlow.js) or .onnx file a location names, downloading URLs into the cache. */
async function filesAt(location: string, cacheDir?: string): Promise<{ dir?: string; onnx?: string }> {
  if (isOnnx(location)) return { onnx: isUrl(location) ? await downloadOnnx(location, cacheDir) : location };
  if (isUrl(location)) return { dir: await downloadModel(location, cacheDir) };
  if (!existsSync(location)) throw new Error(`${location}: no such model file or folder`);
  return { dir: statSync(location).isDirectory() ? location : dirname(location) };
}

/** The local files of a model spec, resolved as `loadModel` resolves it. */
async function modelFiles(spec: string, cacheDir?: string): Promise<{ dir?: string; onnx?: string }> {
  if (isModelServiceUrl(spec))
    throw new Error(
      `${spec}: a model service has no files to check by content hash; queued evaluations take a zoo name, a model folder or an .onnx file`,
    );
  const eq = spec.indexOf('=');
  const named = eq > 0 && ZOO[spec.slice(0, eq)]?.env !== undefined;
  const name = named ? spec.slice(0, eq) : spec;
  const location = named ? spec.slice(eq + 1) : undefined;
  const entry = ZOO[name];
  if (entry === undefined) return filesAt(spec, cacheDir);
  if (fetchesItself(name, location)) return { dir: (await fetchZooModel(name, { cacheDir })).dir };
  return filesAt(
    entry.env === undefined ? entry.dir() : userModelLocation(name, entry.env, location),
    cacheDir,
  );
}

/** sha256 (hex) of the files of the model `spec` names on this machine. */
export async function modelContentHash(spec: string, cacheDir?: string): Promise<string> {
  const files = await modelFiles(spec, cacheDir);
  if (files.onnx !== undefined)
    return createHash('sha256')
      .update(encodeModel(readOnnxFile(files.onnx)))
      .digest('hex');
  return tfjsFolderHash(files.dir as string);
}

/** A hash as messages show it. */
export const shortHash = (hash: string) => hash.slice(0, 12);

/** Loads the model a reference names, with its options. */
export function loadReferencedModel(
  ref: Omit<ModelReference, 'hash'>,
  options: { threads?: number; cacheDir?: string } = {},
): Promise<Model> {
  return loadModel(ref.spec, {
    bounds: ref.bounds,
    preprocess: ref.preprocess,
    engine: ref.engine,
    layout: ref.layout,
    threads: options.threads,
    cacheDir: options.cacheDir,
  });
}
