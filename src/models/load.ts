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
import { userModelLocation, ZOO, zooNames } from './zoo.js';

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

const isUrl = (s: string) => /^https?:\/\//i.test(s);

/** `NAME=PATH_OR_URL` for a zoo model whose files the user supplies (e.g. `resnet50=./resnet50/model.json`). */
function splitZooSpec(spec: string): { name: string; location?: string } {
  const eq = spec.indexOf('=');
  if (eq > 0 && ZOO[spec.slice(0, eq)]?.env !== undefined)
    return { name: spec.slice(0, eq), location: spec.slice(eq + 1) };
  return { name: spec };
}

async function zooFolder(name: string, location: string | undefined, options: LoadOptions): Promise<string> {
  const entry = ZOO[name];
  const where = entry.env !== undefined ? userModelLocation(name, entry.env, location) : entry.dir();
  if (isUrl(where)) return downloadModel(where, options.cacheDir);
  if (entry.env !== undefined) {
    if (!existsSync(where)) throw new Error(`model '${name}': ${where}: no such model file or folder`);
    return folderOf(where);
  }
  if (!existsSync(where))
    throw new Error(`model '${name}' not found at ${where} (set ADVX_HOME to the folder holding models/)`);
  return where;
}

export async function loadModel(spec: string, options: LoadOptions = {}): Promise<TfjsModel> {
  await initEngine();
  const { name: zooName, location } = splitZooSpec(spec);
  const entry = ZOO[zooName];
  if (entry !== undefined) {
    const dir = await zooFolder(zooName, location, options);
    const { net } = await loadNetwork(dir);
    const shape = (net.inputs[0].shape ?? []).slice(1);
    if (entry.inputShape !== undefined && shape.join(',') !== entry.inputShape.join(',')) {
      net.dispose();
      throw new Error(
        `model '${zooName}' at ${dir}: takes inputs [${shape}], expected [${entry.inputShape}]`,
      );
    }
    return new TfjsModel(net, {
      name: zooName,
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
