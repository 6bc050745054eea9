/** Options and helpers the `advx experiment ...` and `advx report` commands share. */
import {
  createFreshFolder,
  openOutputFolder,
  OutputFolderError,
  type OutputPlace,
} from '../data/output-folder.js';
import { loadModel } from '../models/load.js';
import type { Bounds, Model } from '../models/model.js';
import { asUsage, UsageError } from './errors.js';
import { parseEpsilons } from './options.js';

/** Commander accumulator for `--model A --model B` and `--model A,B`. */
export function collectList(value: string, previous: string[] | undefined): string[] {
  return [
    ...(previous ?? []),
    ...value
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== ''),
  ];
}

/** The zoo's ImageNet models that ship with the shared folder. */
export const DEFAULT_IMAGENET_MODELS = ['mobilenet-v1-0.75', 'darknet-tiny'];

export async function loadModels(specs: readonly string[]): Promise<Model[]> {
  const unique = [...new Set(specs)];
  if (unique.length === 0) throw new UsageError('--model: give at least one model');
  const models: Model[] = [];
  for (const spec of unique) models.push(await asUsage(() => loadModel(spec)));
  const names = models.map((m) => m.name);
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  if (twice !== undefined) throw new UsageError(`--model: ${twice} given twice`);
  return models;
}

/**
 * A new folder under advx-out/ named after the time and the experiment, created here with exclusive
 * creation (two runs started in the same second get different folders), empty and unlocked: the caller
 * opens it with {@link prepareOutDir}.
 */
export function defaultOutDir(what: string): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return asUsageSync(() => createFreshFolder('advx-out', `${stamp}-${what}`));
}

/**
 * Opens `dir` for an experiment's outputs before any work (output-folder.ts): creates it, checks that
 * it is a writable folder, locks it against other runs (until `release()` or the process exit) and
 * refuses when one of `files` exists there, unless `force`. Throws a UsageError (exit 2, one line).
 */
export function prepareOutDir(
  dir: string,
  files: readonly string[],
  force: boolean | undefined,
): OutputPlace {
  return asUsageSync(() => openOutputFolder(dir, { files, force: force === true }));
}

function asUsageSync<T>(open: () => T): T {
  try {
    return open();
  } catch (error) {
    if (error instanceof OutputFolderError) throw new UsageError(error.message, { cause: error });
    throw error;
  }
}

/** File-name-safe form of a model name. */
export function fileSafe(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]+/g, '_');
}

export function percent(v: number): string {
  return `${(100 * v).toFixed(1)}%`;
}

/** One epsilon > 0 within `bounds` (PGD on noise, the transfer zoo): `--eps 4/255`. */
export function parseSingleEpsilon(text: string, bounds: Bounds, option = '--eps'): number {
  const values = parseEpsilons(text, bounds, option);
  if (values.length !== 1 || values[0] <= 0)
    throw new UsageError(`${option}: give one epsilon > 0 (got ${text})`, { option });
  return values[0];
}
