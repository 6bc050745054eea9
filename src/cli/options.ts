/** Parsers for the CLI's option values; each throws a UsageError naming the option. */
import { UsageError } from './errors.js';
import type { Bounds } from '../models/model.js';
import type { PreprocessName } from '../models/preprocessing.js';

/** A number, or a fraction like `8/255`. */
export function parseNumber(text: string, option: string): number {
  const t = text.trim();
  const m = /^([-+]?\d*\.?\d+(?:e[-+]?\d+)?)(?:\/(\d*\.?\d+(?:e[-+]?\d+)?))?$/i.exec(t);
  if (m === null) throw new UsageError(`${option}: '${text}' is not a number (e.g. 0.03 or 8/255)`);
  const value = m[2] === undefined ? Number(m[1]) : Number(m[1]) / Number(m[2]);
  if (!Number.isFinite(value)) throw new UsageError(`${option}: '${text}' is not a finite number`);
  return value;
}

export function parseNumberList(text: string, option: string): number[] {
  const items = text.split(',').filter((s) => s.trim() !== '');
  if (items.length === 0) throw new UsageError(`${option}: give at least one value`);
  return items.map((s) => parseNumber(s, option));
}

export function parseInteger(text: string, option: string, min = 0): number {
  const value = parseNumber(text, option);
  if (!Number.isInteger(value) || value < min)
    throw new UsageError(`${option}: must be an integer >= ${min} (got ${text})`);
  return value;
}

/** Epsilons in units of the bounds: each must lie in [0, hi - lo]. */
export function parseEpsilons(text: string, bounds: Bounds, option = '--eps'): number[] {
  const values = parseNumberList(text, option);
  const range = bounds[1] - bounds[0];
  for (const eps of values) {
    if (eps < 0 || eps > range) {
      throw new UsageError(
        `${option}: epsilon ${eps} is out of range [0, ${range}] for bounds [${bounds[0]}, ${bounds[1]}]`,
      );
    }
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

/** `start:stop:step` (inclusive of stop when it falls on the grid), or a single number. */
export function parseRange(text: string, option: string): number[] {
  const parts = text.split(':');
  if (parts.length === 1) return [parseNumber(parts[0], option)];
  if (parts.length !== 3) throw new UsageError(`${option}: give start:stop:step or one number (got ${text})`);
  const [start, stop, step] = parts.map((p) => parseNumber(p, option));
  if (!(step > 0) || stop < start)
    throw new UsageError(`${option}: need step > 0 and stop >= start (got ${text})`);
  const out: number[] = [];
  for (let i = 0; start + i * step <= stop + 1e-9; i++) out.push(Number((start + i * step).toPrecision(12)));
  return out;
}
