/**
 * Fetches a TensorFlow.js model folder from a URL into an on-disk cache, once. The cache folder is named
 * after a hash of the URL; a marker file says the download completed, so an interrupted download is
 * redone rather than half-used.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { weightsPathInside, type ModelJson } from './model-files.js';

const COMPLETE = '.advx-complete';

export function defaultCacheDir(): string {
  return process.env.ADVX_CACHE ?? join(homedir(), '.cache', 'advx');
}

async function fetchBytes(url: string): Promise<Buffer> {
  let response: Response;
  try {
    response = await fetch(url);
  } catch (error) {
    throw new Error(`${url}: download failed (${(error as Error).message})`, { cause: error });
  }
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status} ${response.statusText}`);
  return Buffer.from(await response.arrayBuffer());
}

/** Downloads `url` (a model.json URL) and its weights into the cache; returns the local folder. */
export async function downloadModel(url: string, cacheDir: string = defaultCacheDir()): Promise<string> {
  let modelUrl: URL;
  try {
    modelUrl = new URL(url);
  } catch {
    throw new Error(`${url}: not a valid URL`);
  }
  const dir = join(cacheDir, 'models', createHash('sha256').update(modelUrl.href).digest('hex').slice(0, 24));
  if (existsSync(join(dir, COMPLETE))) return dir;
  rmSync(dir, { recursive: true, force: true });
  const partial = `${dir}.partial-${process.pid}`;
  mkdirSync(partial, { recursive: true });
  try {
    const jsonBytes = await fetchBytes(modelUrl.href);
    let json: ModelJson;
    try {
      json = JSON.parse(jsonBytes.toString('utf8')) as ModelJson;
    } catch {
      throw new Error(`${modelUrl.href}: not valid JSON`);
    }
    if (!Array.isArray(json?.weightsManifest))
      throw new Error(`${modelUrl.href}: not a TensorFlow.js model.json (no weightsManifest)`);
    writeFileSync(join(partial, 'model.json'), jsonBytes);
    for (const group of json.weightsManifest) {
      for (const path of group.paths) {
        const target = weightsPathInside(partial, path, modelUrl.href);
        const bytes = await fetchBytes(new URL(path, modelUrl).href);
        mkdirSync(join(target, '..'), { recursive: true });
        writeFileSync(target, bytes);
      }
    }
    writeFileSync(join(partial, COMPLETE), modelUrl.href + '\n');
    mkdirSync(join(dir, '..'), { recursive: true });
    renameSync(partial, dir);
    return dir;
  } catch (error) {
    rmSync(partial, { recursive: true, force: true });
    throw error;
  }
}
