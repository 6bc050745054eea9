/**
 * Where advx finds models and data sets: one setting each, never a hard-coded path in library code.
 *
 * - home: a folder with `models/` and `data/` (the layout of the project's `shared/` folder), where the
 *   zoo's ImageNet and MNIST models and the data sets are. In order: the `home` option
 *   (`models.load(name, { home })`, `--home DIR`), `ADVX_HOME`, the `shared/` folder beside the package
 *   when there is one (a checkout of the repository), else `~/.advx`.
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

/** What to say when something is missing from the home folder. */
export const HOME_HINT =
  'the folder holding models/ and data/ is set by --home DIR, ADVX_HOME or the home option of models.load';

/** The settings the home folder is chosen from (see `advxHome`). */
export interface HomeSettings {
  /** The `home` option or `--home`. */
  option?: string;
  /** ADVX_HOME. */
  env?: string;
  /** The package's folder: a checkout keeps `shared/` beside it. */
  packageDir: string;
  /** The user's home folder. */
  userHome: string;
  exists: (path: string) => boolean;
}

/** The home folder: the option, else ADVX_HOME, else `shared/` beside the package if there, else ~/.advx. */
export function chooseHome(settings: HomeSettings): string {
  for (const given of [settings.option, settings.env]) {
    if (given !== undefined && given.trim() !== '') return resolve(given.trim());
  }
  const beside = resolve(settings.packageDir, '..', 'shared');
  return settings.exists(beside) ? beside : join(settings.userHome, '.advx');
}

export function advxHome(home?: string): string {
  return chooseHome({
    option: home,
    env: process.env.ADVX_HOME,
    packageDir: packageRoot,
    userHome: homedir(),
    exists: existsSync,
  });
}

export function sharedModelsDir(home?: string): string {
  return join(advxHome(home), 'models');
}

export function sharedDataDir(home?: string): string {
  return join(advxHome(home), 'data');
}

/** Models that ship inside the package (the embedded default). */
export function embeddedModelsDir(): string {
  return join(packageRoot, 'models');
}

/**
 * A model folder given as the name of one that ships inside the package (`fashion-mnist-gan`) or as a
 * path: a name with no path separator is an embedded model when the package has one of that name.
 */
export function embeddedModelOrPath(spec: string): string {
  const embedded = join(embeddedModelsDir(), spec);
  return !/[/\\]/.test(spec) && existsSync(join(embedded, 'model.json')) ? embedded : spec;
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
