/**
 * The package's compiled modules as a graph of relative imports (`from './x.js'`, `import('./x.js')`,
 * `export ... from`), read from the emitted .js and .d.ts text. A module is a path without its extension
 * (`dist/models/zoo`): its .js and .d.ts are two views of it.
 */
import { readFileSync } from 'node:fs';
import { posix } from 'node:path';

const RELATIVE_IMPORT = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)['"](\.{1,2}\/[^'"]+)['"]/g;

/** `dist/a/b.js` and `dist/a/b.d.ts` -> `dist/a/b`; other files -> undefined. */
export function moduleOf(path: string): string | undefined {
  const m = /^(.*?)(\.d\.ts|\.js)$/.exec(path);
  return m === null ? undefined : m[1];
}

/** The modules a compiled file imports by relative path, as package paths without extension. */
export function relativeImports(path: string, text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(RELATIVE_IMPORT)) {
    const target = posix.normalize(posix.join(posix.dirname(path), m[1]));
    out.push(target.replace(/\.(js|d\.ts)$/, ''));
  }
  return out;
}

/**
 * Every module reachable from `entries` (package paths of .js/.d.ts files) through relative imports of
 * the files in `files` (package paths), reading them under `root`.
 */
export function reachableModules(
  root: string,
  files: readonly string[],
  entries: readonly string[],
): Set<string> {
  const shipped = new Set(files);
  const seen = new Set<string>();
  const stack = entries.map((e) => moduleOf(e)).filter((m): m is string => m !== undefined);
  while (stack.length > 0) {
    const module = stack.pop() as string;
    if (seen.has(module)) continue;
    seen.add(module);
    for (const ext of ['.js', '.d.ts']) {
      const file = module + ext;
      if (!shipped.has(file)) continue;
      stack.push(...relativeImports(file, readFileSync(`${root}/${file}`, 'utf8')));
    }
  }
  return seen;
}

/** For each shipped .js/.d.ts file, the relative imports it makes that no shipped file satisfies. */
export function danglingImports(root: string, files: readonly string[]): { file: string; target: string }[] {
  const modules = new Set(files.map(moduleOf).filter((m): m is string => m !== undefined));
  const out: { file: string; target: string }[] = [];
  for (const file of files) {
    if (moduleOf(file) === undefined) continue;
    for (const target of relativeImports(file, readFileSync(`${root}/${file}`, 'utf8')))
      if (!modules.has(target)) out.push({ file, target });
  }
  return out;
}
