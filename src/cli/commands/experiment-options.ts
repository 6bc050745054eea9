/** Options and helpers the `advx experiment ...` and `advx report` commands share. */
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { noisePoints, type NoisePoint, type PairMode } from '../../experiments/noise-sweep.js';
import { loadModel } from '../../models/load.js';
import type { TfjsModel } from '../../models/tfjs-model.js';
import { asUsage, UsageError } from '../errors.js';
import { parseRange } from '../options.js';

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

export async function loadModels(specs: readonly string[]): Promise<TfjsModel[]> {
  const unique = [...new Set(specs)];
  if (unique.length === 0) throw new UsageError('--model: give at least one model');
  const models: TfjsModel[] = [];
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
  if (text !== 'zip' && text !== 'grid') throw new UsageError(`--pairs: zip or grid (got ${text})`);
  return text;
}

/** `--mu START:STOP:STEP --sigma START:STOP:STEP --pairs zip|grid` -> (mu, sigma) points. */
export function parsePoints(flags: PointFlags): NoisePoint[] {
  const mus = parseRange(flags.mu, '--mu');
  const sigmas = parseRange(flags.sigma, '--sigma');
  if (sigmas.some((s) => s < 0)) throw new UsageError(`--sigma: values must be >= 0 (got ${flags.sigma})`);
  return noisePoints(mus, sigmas, parsePairs(flags.pairs));
}

/** A fresh folder under advx-out/ named after the time and the experiment. */
export function defaultOutDir(what: string): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  let dir = join('advx-out', `${stamp}-${what}`);
  for (let i = 2; existsSync(dir); i++) dir = join('advx-out', `${stamp}-${what}-${i}`);
  return dir;
}

/** Creates `dir`; refuses (exit 2) when it is a file or when one of `files` exists there, unless `force`. */
export function prepareOutDir(dir: string, files: readonly string[], force: boolean | undefined): void {
  if (existsSync(dir) && !statSync(dir).isDirectory())
    throw new UsageError(`--out: ${dir} exists and is not a folder`);
  if (!force) {
    const existing = files.map((f) => join(dir, f)).find((p) => existsSync(p));
    if (existing !== undefined)
      throw new UsageError(`${existing} exists; refusing to overwrite it (use --force or another --out)`);
  }
  mkdirSync(dir, { recursive: true });
}

/** File-name-safe form of a model name. */
export function fileSafe(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]+/g, '_');
}

export function percent(v: number): string {
  return `${(100 * v).toFixed(1)}%`;
}
