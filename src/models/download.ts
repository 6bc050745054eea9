/**
 * Fetches a model from a URL into an on-disk cache, once: a TensorFlow.js model (model.json and its weight
 * files) or an ONNX model (model.onnx and its external data files).
 * - Every file the model names is fetched relative to the model's final URL (after redirects) and must lie
 *   in that URL's folder, on the same origin, also after normalisation (`..`, `%2e%2e`, `\`) and after
 *   its own redirects; on disk it must stay inside the cache folder.
 * - Sizes are limited while streaming (model.json 32 MiB, the whole model 2 GiB by default), and slow or
 *   silent servers time out (bounded-download.ts).
 * - The files go into a private `<folder>.partial-<pid>-<random>` folder that is renamed into place, with a
 *   marker, only when every file is there; partials of dead processes (or older than a day) are removed.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { decodeModel, onnx } from '../engine/onnx/proto.js';
import { defaultCacheDir } from '../data/locations.js';
import { downloadToBuffer, downloadToFile, type DownloadTimeouts } from './bounded-download.js';
import { checkModelJson, MAX_MODEL_JSON_BYTES, weightsPathInside } from './model-files.js';
import { removeStalePartials } from './package-folder.js';

export interface DownloadOptions extends DownloadTimeouts {
  /** Most bytes of all the model's files together (default 2 GiB). */
  maxModelBytes?: number;
  /** Most bytes of model.json (default 32 MiB). */
  maxModelJsonBytes?: number;
}

export const DEFAULT_MAX_MODEL_BYTES = 2 * 2 ** 30;

const COMPLETE = '.advx-complete';

function parseUrl(url: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`${url}: not a valid URL`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
    throw new Error(`${url}: only http and https URLs are downloaded`);
  return parsed;
}

function checkLimit(value: number | undefined, fallback: number, name: string): number {
  const limit = value ?? fallback;
  if (!Number.isSafeInteger(limit) || limit < 1)
    throw new Error(`download: ${name} must be a positive whole number of bytes (got ${value})`);
  return limit;
}

/** What the files of one model may still take, and the options of each download. */
class ModelBudget {
  private left: number;
  readonly jsonLimit: number;

  constructor(private readonly options: DownloadOptions) {
    this.left = checkLimit(options.maxModelBytes, DEFAULT_MAX_MODEL_BYTES, 'maxModelBytes');
    this.jsonLimit = checkLimit(options.maxModelJsonBytes, MAX_MODEL_JSON_BYTES, 'maxModelJsonBytes');
  }

  /** Options for the next file: at most `cap` bytes (called `capName`) and what the model has left. */
  next(cap = Infinity, capName = 'maxModelBytes') {
    return {
      ...this.options,
      maxBytes: Math.min(cap, this.left),
      limitName: this.left < cap ? 'maxModelBytes, for all files of the model' : capName,
    };
  }

  spend(bytes: number): void {
    this.left -= bytes;
  }
}

/** The folder a model URL lies in (`https://host/a/model.json` -> `https://host/a/`). */
const urlFolder = (url: URL): URL => new URL('.', url);

/** Whether `target` lies in `folder` (same origin, path below the folder's), both normalised by URL. */
function urlInside(folder: URL, target: URL): boolean {
  return (
    target.origin === folder.origin &&
    target.pathname.startsWith(folder.pathname) &&
    target.pathname !== folder.pathname
  );
}

/**
 * Downloads into `<cache>/models/<hash of url>` unless complete there: `fill(folder)` writes the files into
 * a private partial folder that is renamed into place only when every file is there.
 */
async function downloadOnce(
  url: URL,
  cacheDir: string,
  fill: (folder: string) => Promise<void>,
): Promise<string> {
  const dir = join(cacheDir, 'models', createHash('sha256').update(url.href).digest('hex').slice(0, 24));
  const complete = () => existsSync(join(dir, COMPLETE));
  if (complete()) return dir;
  mkdirSync(dirname(dir), { recursive: true });
  removeStalePartials(dir);
  const partial = `${dir}.partial-${process.pid}-${randomBytes(4).toString('hex')}`;
  mkdirSync(partial);
  try {
    await fill(partial);
    writeFileSync(join(partial, COMPLETE), url.href + '\n');
    if (complete()) return dir; // another process finished first
    rmSync(dir, { recursive: true, force: true }); // an incomplete copy of an older advx
    renameSync(partial, dir);
    return dir;
  } catch (error) {
    if (complete()) return dir;
    throw error;
  } finally {
    rmSync(partial, { recursive: true, force: true });
  }
}

/**
 * Fetches `name` (a file the model names, relative to `base`, its final URL) into `folder`, refusing
 * names that leave either folder, on disk or by URL (also through redirects).
 */
async function fetchBeside(folder: string, name: string, base: URL, budget: ModelBudget): Promise<void> {
  const target = weightsPathInside(folder, name, base.href);
  const modelFolder = urlFolder(base);
  const refuse = (url: URL, how: string) =>
    new Error(`${base.href}: '${name}' ${how} ${url.href}, outside the model's folder ${modelFolder.href}`);
  let url: URL;
  try {
    url = new URL(name, base);
  } catch {
    throw new Error(`${base.href}: '${name}' is not a valid relative URL`);
  }
  if (!urlInside(modelFolder, url)) throw refuse(url, 'resolves to');
  mkdirSync(dirname(target), { recursive: true });
  const { bytes } = await downloadToFile(url, target, {
    ...budget.next(),
    checkRedirect: (to) => {
      if (!urlInside(modelFolder, to)) throw refuse(to, 'redirects to');
    },
  });
  budget.spend(bytes);
}

/** Downloads `url` (a model.json URL) and its weights into the cache; returns the local folder. */
export async function downloadModel(
  url: string,
  cacheDir: string = defaultCacheDir(),
  options: DownloadOptions = {},
): Promise<string> {
  const modelUrl = parseUrl(url);
  const budget = new ModelBudget(options);
  return downloadOnce(modelUrl, cacheDir, async (folder) => {
    const { url: base, body } = await downloadToBuffer(
      modelUrl,
      budget.next(budget.jsonLimit, 'maxModelJsonBytes'),
    );
    budget.spend(body.length);
    let json: unknown;
    try {
      json = JSON.parse(body.toString('utf8'));
    } catch {
      throw new Error(`${modelUrl.href}: not valid JSON`);
    }
    checkModelJson(json, modelUrl.href);
    writeFileSync(join(folder, 'model.json'), body);
    const paths = new Set(json.weightsManifest.flatMap((group) => group.paths));
    for (const path of paths) await fetchBeside(folder, path, base, budget);
  });
}

/** Downloads `url` (an .onnx URL) and its external data files into the cache; returns the local file. */
export async function downloadOnnx(
  url: string,
  cacheDir: string = defaultCacheDir(),
  options: DownloadOptions = {},
): Promise<string> {
  const modelUrl = parseUrl(url);
  const budget = new ModelBudget(options);
  const dir = await downloadOnce(modelUrl, cacheDir, async (folder) => {
    const { url: base, body } = await downloadToBuffer(modelUrl, budget.next());
    budget.spend(body.length);
    const model = decodeModel(body, modelUrl.href);
    writeFileSync(join(folder, 'model.onnx'), body);
    const locations = new Set<string>();
    for (const tensor of model.graph?.initializer ?? []) {
      if (tensor.dataLocation !== onnx.TensorProto.DataLocation.EXTERNAL) continue;
      const location = (tensor.externalData ?? []).find((e) => e.key === 'location')?.value;
      if (location) locations.add(location);
    }
    for (const location of locations) await fetchBeside(folder, location, base, budget);
  });
  return join(dir, 'model.onnx');
}
