/** Options and helpers the `advx experiment ...` and `advx report` commands share. */
import {
  createFreshFolder,
  openOutputFolder,
  OutputFolderError,
  type OutputPlace,
} from '../../data/output-folder.js';
import { MU_RANGE, noisePoints, type NoisePoint, type PairMode } from '../../experiments/noise-sweep.js';
import { LIMITS } from '../../limits.js';
import { loadModel } from '../../models/load.js';
import type { Model } from '../../models/model.js';
import { asUsage, UsageError } from '../errors.js';
import { note } from '../notes.js';
import { parseInteger, parseRange } from '../options.js';

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

export interface PointFlags {
  mu: string;
  sigma: string;
  pairs: string;
}

export function parsePairs(text: string): PairMode {
  if (text !== 'zip' && text !== 'grid')
    throw new UsageError(`--pairs: zip or grid (got ${text})`, { option: '--pairs' });
  return text;
}

/**
 * `--mu START:STOP:STEP --sigma START:STOP:STEP --pairs zip|grid` -> (mu, sigma) points, in pixel units:
 * mu in [0, 255], sigma >= 0, at most LIMITS.noiseImages points. `zip` of lists of different lengths
 * pairs the first values (as Python's zip) and says so in a note.
 */
export function parsePoints(flags: PointFlags): NoisePoint[] {
  const mus = parseRange(flags.mu, '--mu');
  const sigmas = parseRange(flags.sigma, '--sigma');
  if (sigmas.some((s) => s < 0))
    throw new UsageError(`--sigma: values must be >= 0 (got ${flags.sigma})`, { option: '--sigma' });
  if (mus.some((m) => !(m >= MU_RANGE[0] && m <= MU_RANGE[1])))
    throw new UsageError(
      `--mu: values must be in [${MU_RANGE[0]}, ${MU_RANGE[1]}], pixel units (got ${flags.mu})`,
      {
        option: '--mu',
      },
    );
  const pairs = parsePairs(flags.pairs);
  if (pairs === 'grid' && mus.length * sigmas.length > LIMITS.noiseImages)
    throw new UsageError(
      `--pairs grid: ${mus.length} --mu x ${sigmas.length} --sigma values make ${mus.length * sigmas.length} points; at most ${LIMITS.noiseImages}`,
      { option: '--pairs', code: 'too-large' },
    );
  if (pairs === 'zip' && mus.length !== sigmas.length) {
    const [longer, extra] =
      mus.length > sigmas.length
        ? ['--mu', mus.length - sigmas.length]
        : ['--sigma', sigmas.length - mus.length];
    note(
      `--pairs zip: ${mus.length} --mu and ${sigmas.length} --sigma values; the last ${extra} ${longer} values are left out (as Python's zip; --pairs grid takes every pair)`,
    );
  }
  return noisePoints(mus, sigmas, pairs);
}

/**
 * `--samples` per (mu, sigma) point: an integer >= 1 with points x samples at most `max` noise images
 * (LIMITS.noiseImages; the PGD on noise attacks them in one batch, so LIMITS.batchSize there).
 */
export function parseSamples(text: string, points: number, max: number = LIMITS.noiseImages): number {
  const samples = parseInteger(text, '--samples', 1);
  if (points * samples > max)
    throw new UsageError(
      `--samples: ${points} (mu, sigma) points x ${samples} samples = ${points * samples} noise images; at most ${max}`,
      { option: '--samples', code: 'too-large' },
    );
  return samples;
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
