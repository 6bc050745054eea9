/**
 * Where advx finds models and data sets: one setting each, never a hard-coded path in library code.
 *
 * - `ADVX_HOME`: a folder with `models/` and `data/` (the layout of the project's `shared/` folder).
 *   Default: the `shared/` folder beside the package's folder, when there is one.
 * - `ADVX_FASHION_MNIST`: the Fashion-MNIST IDX files. Default: Debian's `dataset-fashion-mnist` path.
 * - `ADVX_CACHE`: where advx keeps what it downloads or derives (model downloads, fetched zoo models,
 *   ONNX exports). Default: `~/.cache/advx`.
 */
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package root (the folder holding package.json), found from this compiled file. */
export const packageRoot: string = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

export function advxHome(): string {
  const fromEnv = process.env.ADVX_HOME;
  if (fromEnv !== undefined && fromEnv !== '') return resolve(fromEnv);
  return resolve(packageRoot, '..', 'shared');
}

export function sharedModelsDir(): string {
  return join(advxHome(), 'models');
}

export function sharedDataDir(): string {
  return join(advxHome(), 'data');
}

/** Models that ship inside the package (the embedded default). */
export function embeddedModelsDir(): string {
  return join(packageRoot, 'models');
}

export function defaultCacheDir(): string {
  const fromEnv = process.env.ADVX_CACHE;
  return fromEnv !== undefined && fromEnv.trim() !== ''
    ? resolve(fromEnv)
    : join(homedir(), '.cache', 'advx');
}

export function fashionMnistDir(): string {
  return process.env.ADVX_FASHION_MNIST ?? '/usr/share/datasets/fashion-mnist';
}

export function requireDir(dir: string, what: string, hint: string): string {
  if (!existsSync(dir)) throw new Error(`${what} not found at ${dir} (${hint})`);
  return dir;
}
