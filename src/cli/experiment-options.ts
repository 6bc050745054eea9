/** Options and helpers the `advx experiment ...` and `advx report` commands share. */
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

/** Runs `check` (options checked against freshly loaded models); disposes the models when it throws. */
export async function disposingOnError<T>(models: readonly Model[], check: () => Promise<T>): Promise<T> {
  try {
    return await check();
  } catch (error) {
    models.forEach((m) => m.dispose());
    throw error;
  }
}

/** One epsilon > 0 within `bounds` (PGD on noise, the transfer zoo): `--eps 4/255`. */
export function parseSingleEpsilon(text: string, bounds: Bounds, option = '--eps'): number {
  const values = parseEpsilons(text, bounds, option);
  if (values.length !== 1 || values[0] <= 0)
    throw new UsageError(`${option}: give one epsilon > 0 (got ${text})`, { option });
  return values[0];
}
