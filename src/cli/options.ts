/**
 * Parsers for the CLI's option values; each throws a UsageError (exit 2) naming the option. Every count,
 * list and range has an upper bound (limits.ts), checked here, before any work starts.
 */
import { UsageError } from './errors.js';
import type { Bounds } from '../models/model.js';
import type { Norm } from '../distances/norms.js';
import { epsilonProblem } from '../attacks/run-checks.js';
import { isSeed, MAX_SEED, SEED_RANGE } from '../engine/random.js';
import { LIMITS } from '../limits.js';
import type { PreprocessName } from '../models/preprocessing.js';
import { FITS, type Fit } from '../data/images.js';

/** A number, or a fraction like `8/255`. */
export function parseNumber(text: string, option: string): number {
  if (typeof text !== 'string') throw new UsageError(`${option}: give a value`, { option });
  const t = text.trim();
  const m = /^([-+]?\d*\.?\d+(?:e[-+]?\d+)?)(?:\/(\d*\.?\d+(?:e[-+]?\d+)?))?$/i.exec(t);
  if (m === null)
    throw new UsageError(`${option}: '${text}' is not a number (e.g. 0.03 or 8/255)`, { option });
  const value = m[2] === undefined ? Number(m[1]) : Number(m[1]) / Number(m[2]);
  if (!Number.isFinite(value))
    throw new UsageError(`${option}: '${text}' is not a finite number`, { option });
  return value;
}

/** A comma list of numbers: at least one, at most `maxItems` (LIMITS.listLength). */
export function parseNumberList(
  text: string,
  option: string,
  maxItems: number = LIMITS.listLength,
): number[] {
  const items = text.split(',').filter((s) => s.trim() !== '');
  if (items.length === 0) throw new UsageError(`${option}: give at least one value`, { option });
  if (items.length > maxItems)
    throw new UsageError(`${option}: ${items.length} values; give at most ${maxItems}`, {
      option,
      code: 'too-large',
    });
  return items.map((s) => parseNumber(s, option));
}

/** The largest value of each integer option whose caller names none (any other: LIMITS.count). */
export const INTEGER_OPTION_MAX: Readonly<Record<string, number>> = {
  '--seed': MAX_SEED,
  '--batch-size': LIMITS.batchSize,
  '--max-batch': LIMITS.batchSize,
  '--max-queries': LIMITS.queries,
  '--bisect': LIMITS.bisectionSteps,
  '--port': LIMITS.port,
};

/** An integer in [min, max]; `--seed` goes through parseSeed. */
export function parseInteger(
  text: string,
  option: string,
  min = 0,
  max: number = INTEGER_OPTION_MAX[option] ?? LIMITS.count,
): number {
  if (option === '--seed') return parseSeed(text, option, max);
  const value = parseNumber(text, option);
  if (!Number.isInteger(value) || value < min)
    throw new UsageError(`${option}: must be an integer >= ${min} (got ${text})`, { option });
  if (value > max)
    throw new UsageError(`${option}: must be at most ${max} (got ${text})`, { option, code: 'too-large' });
  return value;
}

/**
 * A seed: an integer in [0, 2^32) (engine/random.ts' isSeed, the one definition), at most `max` where a
 * command derives further seeds from it.
 */
export function parseSeed(text: string, option = '--seed', max: number = MAX_SEED): number {
  const value = parseNumber(text, option);
  if (!isSeed(value) || value > max) {
    const range = max >= MAX_SEED ? SEED_RANGE : `must be an integer in [0, ${max}]`;
    throw new UsageError(`${option}: ${range} (got ${text})`, { option });
  }
  return value;
}

/**
 * A list of epsilons for a ball in `norm` (default linf) around inputs of `size` values: each must lie in
 * [0, largest distance in that norm] (an L2 radius of 3 is normal on a 224x224 photo), as attack.run()
 * checks it too (attacks/run-checks.ts' epsilonProblem).
 */
export function parseEpsilons(
  text: string,
  bounds: Bounds,
  option = '--eps',
  norm: Norm = 'linf',
  size = 1,
): number[] {
  const values = parseNumberList(text, option);
  for (const eps of values) {
    const problem = epsilonProblem(eps, norm, bounds, size);
    if (problem !== null) throw new UsageError(`${option}: ${problem}`, { option });
  }
  return values;
}

export function parseBounds(text: string): Bounds {
  const values = parseNumberList(text, '--bounds');
  if (values.length !== 2 || !(values[0] < values[1]))
    throw new UsageError(`--bounds: give LO,HI with LO < HI (got ${text})`);
  return [values[0], values[1]];
}

const PREPROCESS = ['none', 'tf', 'caffe', 'torch'];
export function parsePreprocess(text: string): PreprocessName {
  if (!PREPROCESS.includes(text))
    throw new UsageError(`--preprocess: one of ${PREPROCESS.join(', ')} (got ${text})`);
  return text as PreprocessName;
}

/** One of a fixed list of values (an error naming the option and the choices otherwise). */
export function parseChoice<T extends string>(text: string, option: string, choices: readonly T[]): T {
  if (!(choices as readonly string[]).includes(text))
    throw new UsageError(`${option}: one of ${choices.join(', ')} (got ${text})`);
  return text as T;
}

/** `--resize crop|stretch|keras`: how photos are fitted to the model's input size. */
export function parseResize(text: string): Fit {
  if (!(FITS as readonly string[]).includes(text))
    throw new UsageError(`--resize: one of ${FITS.join(', ')} (got ${text})`);
  return text as Fit;
}

/**
 * `start:stop:step` (inclusive of stop when it falls on the grid), or a single number; at most
 * `maxPoints` values (LIMITS.listLength), counted before any is made.
 */
export function parseRange(text: string, option: string, maxPoints: number = LIMITS.listLength): number[] {
  const parts = text.split(':');
  if (parts.length === 1) return [parseNumber(parts[0], option)];
  if (parts.length !== 3)
    throw new UsageError(`${option}: give start:stop:step or one number (got ${text})`, { option });
  const [start, stop, step] = parts.map((p) => parseNumber(p, option));
  if (!(step > 0) || stop < start)
    throw new UsageError(`${option}: need step > 0 and stop >= start (got ${text})`, { option });
  const count = Math.floor((stop + 1e-9 - start) / step) + 1;
  if (!(count <= maxPoints)) {
    const message = `${option}: ${text} makes ${count} values; at most ${maxPoints} (use a larger step)`;
    throw new UsageError(message, { option, code: 'too-large' });
  }
  const out: number[] = [];
  for (let i = 0; start + i * step <= stop + 1e-9 && i <= maxPoints; i++)
    out.push(Number((start + i * step).toPrecision(12)));
  return out;
}
