/**
 * The tarball `npm pack` makes of this checkout (after `npm run build`): the compiled library and its
 * types, the page of `advx ui`, the embedded models with every weights file, LICENSE; no tests, testing
 * helpers, source maps, bench or set-up scripts; every relative import of a shipped module shipped too.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { test } from 'node:test';
import { ROBUSTNESS_DEFAULTS } from '../cli/commands/experiment-robustness.js';
import { embeddedModelsDir, packageRoot } from '../data/locations.js';
import { ZOO } from '../models/zoo.js';
import { danglingImports, moduleOf, reachableModules } from './module-graph.js';
import { packageEntries } from './package-entries.js';
import { packListing, type PackListing } from './pack-listing.js';

/** Measured 2026-11-30: 7.53 MB unpacked, 4.18 MB gzipped (dist/ui 2.8 MB, embedded models 3.1 MB). */
const MAX_UNPACKED_BYTES = 9_000_000;
const MAX_TARBALL_BYTES = 5_000_000;

let cached: PackListing | undefined;
const listing = (): PackListing => (cached ??= packListing(packageRoot));

/** Package paths of the files under `dir` on disk. */
function filesOnDisk(dir: string): string[] {
  const out: string[] = [];
  const walk = (folder: string) => {
    for (const name of readdirSync(folder)) {
      const full = join(folder, name);
      if (statSync(full).isDirectory()) walk(full);
      else out.push(relative(packageRoot, full).split(sep).join('/'));
    }
  };
  walk(dir);
  return out;
}

test('ships no tests, testing helpers, source maps, bench or scripts', () => {
  const { files } = listing();
  assert.deepEqual(
    files.filter((f) => /\.test\.(js|d\.ts|ts)$/.test(f)),
    [],
  );
  assert.deepEqual(
    files.filter((f) => /-testing\.(js|d\.ts)$/.test(f)),
    [],
  );
  assert.deepEqual(
    files.filter((f) => /^(bench|scripts|src|\.ci|docs|ui)\/|^dist\/(bench|reference)\//.test(f)),
    [],
  );
  // A map would point at src/, which the package does not ship.
  assert.deepEqual(
    files.filter((f) => f.endsWith('.map')),
    [],
  );
});

test('ships LICENSE, README, package.json and every entry package.json names', () => {
  const files = new Set(listing().files);
  for (const f of ['LICENSE', 'README.md', 'package.json']) assert.ok(files.has(f), `${f} not shipped`);
  assert.match(readFileSync(join(packageRoot, 'LICENSE'), 'utf8'), /^MIT License/);
  const entries = packageEntries(packageRoot);
  assert.ok(entries.includes('dist/index.js') && entries.includes('dist/cli/main.js'));
  for (const entry of entries) assert.ok(files.has(entry), `${entry} (named in package.json) not shipped`);
});

test('every relative import of a shipped module is shipped, and every shipped module is reachable', () => {
  const files = listing().files.filter((f) => f.startsWith('dist/') && !f.startsWith('dist/ui/'));
  assert.deepEqual(danglingImports(packageRoot, files), []);
  const reachable = reachableModules(packageRoot, files, packageEntries(packageRoot));
  const modules = new Set(files.map(moduleOf).filter((m): m is string => m !== undefined));
  // A module nothing imports is a test helper, a bench or a script: it does not belong in the package.
  assert.deepEqual(
    [...modules].filter((m) => !reachable.has(m)),
    [],
  );
});

test('ships the page of advx ui as built', () => {
  const files = new Set(listing().files);
  const built = filesOnDisk(join(packageRoot, 'dist', 'ui'));
  assert.ok(built.includes('dist/ui/index.html'), 'dist/ui/index.html: the page is not built');
  for (const f of built) assert.ok(files.has(f), `${f} (the page) not shipped`);
});

test('ships each embedded model with every weights file its model.json names', () => {
  const files = new Set(listing().files);
  const folders = Object.values(ZOO)
    .map((entry) => {
      try {
        return entry.dir();
      } catch {
        return undefined; // a model whose files the user supplies
      }
    })
    .filter((dir): dir is string => dir !== undefined && dir.startsWith(embeddedModelsDir()));
  folders.push(join(embeddedModelsDir(), ROBUSTNESS_DEFAULTS.generator));
  assert.ok(folders.length >= 3);
  for (const folder of folders) {
    const prefix = `${relative(packageRoot, folder).split(sep).join('/')}/`;
    assert.ok(files.has(`${prefix}model.json`), `${prefix}model.json not shipped`);
    const json = JSON.parse(readFileSync(join(folder, 'model.json'), 'utf8')) as {
      weightsManifest: { paths: string[] }[];
    };
    for (const path of json.weightsManifest.flatMap((group) => group.paths))
      assert.ok(files.has(prefix + path), `${prefix + path} not shipped`);
  }
  // Files of models the package does not serve (e.g. the PyTorch twin, GAN samples) stay in the repository.
  const modelFolders = new Set(
    folders.map((folder) => `${relative(packageRoot, folder).split(sep).join('/')}/`),
  );
  const strays = [...files].filter(
    (f) =>
      f.startsWith('models/') &&
      (![...modelFolders].some((prefix) => f.startsWith(prefix)) || f.split('/').length > 3),
  );
  assert.deepEqual(strays, []);
  assert.ok(existsSync(join(packageRoot, 'models', 'fashion-mnist-torch')), 'fixture moved: update the test');
});

test(`the tarball stays under ${MAX_TARBALL_BYTES / 1e6} MB (${MAX_UNPACKED_BYTES / 1e6} MB unpacked)`, () => {
  const { size, unpackedSize } = listing();
  assert.ok(unpackedSize < MAX_UNPACKED_BYTES, `unpacked ${unpackedSize} bytes`);
  assert.ok(size < MAX_TARBALL_BYTES, `tarball ${size} bytes`);
});
