/**
 * `loadModel(spec)`: a zoo name, a model folder or model.json path, or a model.json URL (downloaded once
 * into a cache). For paths and URLs, bounds and preprocessing come from the model's advx metadata or the
 * options.
 */
import { existsSync, statSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { initEngine } from '../engine/backend.js';
import type { Bounds } from './model.js';
import { loadNetwork } from './model-files.js';
import { downloadModel } from './download.js';
import { namedPreprocessing, type Preprocessing, type PreprocessName } from './preprocessing.js';
import { TfjsModel } from './tfjs-model.js';
import { ZOO, zooNames } from './zoo.js';

export interface LoadOptions {
  bounds?: Bounds;
  preprocess?: PreprocessName;
  labels?: readonly string[];
  /** Where URL downloads are cached. */
  cacheDir?: string;
}

interface AdvxMetadata {
  bounds?: [number, number];
  preprocessing?: PreprocessName | Preprocessing;
  labels?: string[];
  name?: string;
}

function folderOf(path: string): string {
  if (!existsSync(path)) throw new Error(`${path}: no such model file or folder`);
  return statSync(path).isDirectory() ? path : dirname(path);
}

export async function loadModel(spec: string, options: LoadOptions = {}): Promise<TfjsModel> {
  await initEngine();
  const entry = ZOO[spec];
  if (entry !== undefined) {
    const dir = entry.dir();
    if (!existsSync(dir)) throw new Error(`model '${spec}' not found at ${dir} (set ADVX_HOME to the folder holding models/)`);
    const { net } = await loadNetwork(dir);
    return new TfjsModel(net, {
      name: spec,
      bounds: [0, 1],
      preprocessing: entry.preprocessing,
      labels: entry.labels(),
      outputOrder: entry.outputOrder?.(),
    });
  }
  const looksLikeUrl = /^https?:\/\//i.test(spec);
  const looksLikePath = spec.includes('/') || spec.endsWith('.json') || existsSync(spec);
  if (!looksLikeUrl && !looksLikePath) {
    throw new Error(`unknown model '${spec}' (zoo: ${zooNames().join(', ')}; or a model.json path or URL)`);
  }
  const dir = looksLikeUrl ? await downloadModel(spec, options.cacheDir) : folderOf(spec);
  const { net, json } = await loadNetwork(dir);
  const meta = (json.advx ?? {}) as AdvxMetadata;
  const bounds = options.bounds ?? meta.bounds ?? [0, 1];
  const preprocessing =
    options.preprocess !== undefined
      ? namedPreprocessing(options.preprocess, bounds)
      : typeof meta.preprocessing === 'string'
        ? namedPreprocessing(meta.preprocessing, bounds)
        : (meta.preprocessing ?? {});
  return new TfjsModel(net, {
    name: meta.name ?? (looksLikeUrl ? spec : basename(dir)),
    bounds,
    preprocessing,
    labels: options.labels ?? meta.labels,
  });
}
