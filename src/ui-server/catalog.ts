/**
 * The zoo models whose files are on this machine, as `advx ui` serves them: a catalog for the page and
 * the exact files each model may be fetched from (model.json and the weight files it names, nothing
 * else). Models that are not here are listed with the reason, for the command to print.
 */
import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { readModelJson, weightsPathInside } from '../models/model-files.js';
import { DEFAULT_MODEL, ZOO } from '../models/zoo.js';
import { zooModelStatuses } from '../models/zoo-fetch.js';
import type { Catalog, CatalogModel } from './catalog-types.js';

export interface ServedModels {
  catalog: Catalog;
  /** URL path (no leading '/', e.g. `models/NAME/model.json`) -> local file, or the bytes themselves. */
  files: Map<string, string | Uint8Array>;
  /** Zoo models left out, with the reason. */
  skipped: { name: string; reason: string }[];
}

function folderOf(location: string): string {
  return existsSync(location) && statSync(location).isDirectory() ? location : dirname(location);
}

/** One zoo model's catalog entry and files; throws with the reason when it cannot be served. */
function serveOne(name: string, location: string, files: Map<string, string | Uint8Array>): CatalogModel {
  const dir = folderOf(location);
  const modelFile = join(dir, 'model.json');
  const json = readModelJson(modelFile);
  const entry = ZOO[name];
  const prefix = `models/${name}/`;
  const own = new Map<string, string>([[`${prefix}model.json`, modelFile]]);
  for (const group of json.weightsManifest) {
    for (const path of group.paths) {
      const file = weightsPathInside(dir, path, modelFile);
      if (!existsSync(file)) throw new Error(`${modelFile}: weights file '${path}' is missing`);
      own.set(prefix + path, file);
    }
  }
  const model: CatalogModel = {
    name,
    description: entry.description,
    url: `${prefix}model.json`,
    bounds: [0, 1],
    preprocessing: entry.preprocessing,
    labels: [...entry.labels()],
    ...(entry.outputOrder === undefined ? {} : { outputOrder: [...entry.outputOrder()] }),
  };
  for (const [path, file] of own) files.set(path, file);
  return model;
}

/** The zoo models at hand (ADVX_HOME, the package's own, the cache), ready to serve. */
export function servedModels(cacheDir?: string): ServedModels {
  const files = new Map<string, string | Uint8Array>();
  const models: CatalogModel[] = [];
  const skipped: { name: string; reason: string }[] = [];
  for (const status of zooModelStatuses(cacheDir)) {
    if (status.state !== 'present') {
      skipped.push({ name: status.name, reason: `not on this machine (${status.state})` });
      continue;
    }
    try {
      models.push(serveOne(status.name, status.location, files));
    } catch (error) {
      skipped.push({ name: status.name, reason: (error as Error).message });
    }
  }
  if (models.length === 0)
    throw new Error(`no zoo model is on this machine (${skipped.map((s) => s.name).join(', ')})`);
  const defaultModel = models.some((m) => m.name === DEFAULT_MODEL) ? DEFAULT_MODEL : models[0].name;
  return { catalog: { models, defaultModel }, files, skipped };
}
