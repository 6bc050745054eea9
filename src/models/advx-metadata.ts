/**
 * advx's own description of a model (the `advx` block of a model.json, the `advx.*` props of an .onnx):
 * name, bounds, preprocessing, labels. Each value is checked, so that a wrong type is a one-line error
 * naming the key rather than a value silently ignored or a crash later. No Node imports: the browser
 * loader can use it too.
 */
import type { Bounds } from './model.js';
import type { Preprocessing, PreprocessName } from './preprocessing.js';

export interface AdvxMetadata {
  name?: string;
  bounds?: Bounds;
  preprocessing?: PreprocessName | Preprocessing;
  labels?: string[];
}

export const PREPROCESS_NAMES: readonly PreprocessName[] = ['none', 'tf', 'caffe', 'torch'];

const shown = (v: unknown): string => {
  const text = JSON.stringify(v) ?? String(v);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
};

function isFiniteNumber(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

/** A number or a list of 1 to 4 numbers (one per channel), all finite; `nonZero` for divisors. */
function checkPerChannel(value: unknown, where: string, nonZero: boolean): number | number[] {
  const values = Array.isArray(value) ? value : [value];
  const ok =
    values.length >= 1 &&
    values.length <= 4 &&
    values.every((v) => isFiniteNumber(v) && (!nonZero || v !== 0));
  if (!ok) {
    const what = nonZero ? 'non-zero finite numbers' : 'finite numbers';
    throw new Error(`${where} must be a number or a list of up to 4 ${what} (got ${shown(value)})`);
  }
  return value as number | number[];
}

/** A preprocessing: a name (none, tf, caffe, torch) or {flipChannels?, scale?, mean?, std?}. */
export function checkPreprocessing(value: unknown, where: string): PreprocessName | Preprocessing {
  if (typeof value === 'string') {
    if (!(PREPROCESS_NAMES as readonly string[]).includes(value))
      throw new Error(`${where} must be one of ${PREPROCESS_NAMES.join(', ')} or an object (got '${value}')`);
    return value as PreprocessName;
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw new Error(
      `${where} must be a name or an object {flipChannels, scale, mean, std} (got ${shown(value)})`,
    );
  const out: Preprocessing = {};
  for (const [key, v] of Object.entries(value)) {
    if (key === 'flipChannels') {
      if (typeof v !== 'boolean')
        throw new Error(`${where}.flipChannels must be true or false (got ${shown(v)})`);
      out.flipChannels = v;
    } else if (key === 'scale') {
      if (!isFiniteNumber(v) || v === 0)
        throw new Error(`${where}.scale must be a non-zero number (got ${shown(v)})`);
      out.scale = v;
    } else if (key === 'mean') out.mean = checkPerChannel(v, `${where}.mean`, false);
    else if (key === 'std') out.std = checkPerChannel(v, `${where}.std`, true);
    else throw new Error(`${where} has an unknown key '${key}' (flipChannels, scale, mean, std)`);
  }
  return out;
}

/** Bounds [LO, HI]: two finite numbers, LO < HI. */
export function checkBoundsValue(value: unknown, where: string): Bounds {
  if (!Array.isArray(value) || value.length !== 2 || !value.every(isFiniteNumber) || !(value[0] < value[1]))
    throw new Error(`${where} must be [LO, HI], two numbers with LO < HI (got ${shown(value)})`);
  return [value[0], value[1]];
}

/** Class names: a list of strings. */
export function checkLabels(value: unknown, where: string): string[] {
  if (!Array.isArray(value) || !value.every((l) => typeof l === 'string'))
    throw new Error(`${where} must be a list of class names (got ${shown(value)})`);
  return value as string[];
}

/** The `advx` block of a model.json, checked; `file` names the model in errors. */
export function readAdvxMetadata(advx: unknown, file: string): AdvxMetadata {
  if (advx === undefined) return {};
  if (advx === null || typeof advx !== 'object' || Array.isArray(advx))
    throw new Error(`${file}: advx must be an object (got ${shown(advx)})`);
  const block = advx as Record<string, unknown>;
  const out: AdvxMetadata = {};
  if (block.name !== undefined) {
    if (typeof block.name !== 'string' || block.name === '')
      throw new Error(`${file}: advx.name must be a string (got ${shown(block.name)})`);
    out.name = block.name;
  }
  if (block.bounds !== undefined) out.bounds = checkBoundsValue(block.bounds, `${file}: advx.bounds`);
  if (block.preprocessing !== undefined)
    out.preprocessing = checkPreprocessing(block.preprocessing, `${file}: advx.preprocessing`);
  if (block.labels !== undefined) out.labels = checkLabels(block.labels, `${file}: advx.labels`);
  return out;
}
