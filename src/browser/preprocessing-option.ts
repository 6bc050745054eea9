/** A model's preprocessing as the browser's loaders take it: a scheme name or the preprocessing itself. */
import type { Bounds } from '../models/model.js';
import { namedPreprocessing, type Preprocessing, type PreprocessName } from '../models/preprocessing.js';

export function preprocessingOf(
  value: PreprocessName | Preprocessing | undefined,
  bounds: Bounds,
): Preprocessing {
  if (value === undefined) return {};
  if (typeof value !== 'string') return value;
  if (!['none', 'tf', 'caffe', 'torch'].includes(value))
    throw new Error(`loadModel: preprocessing must be none, tf, caffe or torch (got '${value}')`);
  return namedPreprocessing(value, bounds);
}
