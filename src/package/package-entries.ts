/**
 * The files package.json names as ways in: `main`, `types`, `bin`, every target of `exports`, and every
 * file target of `imports` (its `#name` subpaths; targets in other packages are not files of this one).
 */
import { readFileSync } from 'node:fs';
import { join, posix } from 'node:path';

interface PackageJson {
  main?: string;
  types?: string;
  bin?: string | Record<string, string>;
  exports?: unknown;
  imports?: unknown;
}

function targetsOf(exportsField: unknown): string[] {
  if (typeof exportsField === 'string') return [exportsField];
  if (exportsField === null || typeof exportsField !== 'object') return [];
  return Object.values(exportsField).flatMap(targetsOf);
}

/** Package paths ('dist/index.js', no './'), without duplicates. */
export function packageEntries(packageDir: string): string[] {
  const json = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as PackageJson;
  const bins = typeof json.bin === 'string' ? [json.bin] : Object.values(json.bin ?? {});
  const own = targetsOf(json.imports).filter((p) => p.startsWith('./'));
  const all = [json.main, json.types, ...bins, ...targetsOf(json.exports), ...own].filter(
    (p): p is string => typeof p === 'string',
  );
  return [...new Set(all.map((p) => posix.normalize(p)))];
}
