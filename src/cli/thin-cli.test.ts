/**
 * The CLI stays thin (DESIGN.md, issue 12): each command parses its flags, calls one library function
 * and renders, so no file under src/cli grows past 250 lines, and no command module imports another
 * command module (what two commands share lives in a src/cli module outside commands/, or in the
 * library). A test may import the command it tests. Reads the sources, from src/ or from dist/.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const MAX_LINES = 250;
/** src/cli of this checkout: this file is src/cli/thin-cli.test.ts or dist/cli/thin-cli.test.js. */
const CLI = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'src', 'cli');
const COMMANDS = join(CLI, 'commands');
const ROOT = dirname(dirname(CLI));

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return /\.tsx?$/.test(entry.name) ? [path] : [];
  });
}

const isTest = (file: string) => /\.test\.tsx?$/.test(file);
const shown = (file: string) => relative(ROOT, file);

function lineCount(text: string): number {
  return text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
}

/** The module specifiers a source imports or re-exports, statically or with import(). */
export function importedSpecifiers(source: string): string[] {
  const found: string[] = [];
  const patterns = [
    /\b(?:import|export)\b[^'"`;]*?\bfrom\s*['"]([^'"]+)['"]/g,
    /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
  ];
  for (const pattern of patterns) for (const m of source.matchAll(pattern)) found.push(m[1]);
  for (const m of source.matchAll(/^\s*import\s*['"]([^'"]+)['"]/gm)) found.push(m[1]);
  return found;
}

/** The source file a relative specifier of `file` names (`./x.js` -> `x.ts`), or null for a package. */
function resolveImport(file: string, specifier: string): string | null {
  if (!specifier.startsWith('.')) return null;
  return resolve(dirname(file), specifier).replace(/\.js$/, '.ts');
}

test('importedSpecifiers finds static, type-only, re-exported, side-effect and dynamic imports', () => {
  const source = [
    "import type { A } from './a.js';",
    "import {\n  b,\n  c,\n} from '../b.js';",
    "export { d } from './d.js';",
    "import './e.js';",
    "const f = await import('./f.js');",
    "const text = 'from here';",
  ].join('\n');
  assert.deepEqual(importedSpecifiers(source).sort(), ['../b.js', './a.js', './d.js', './e.js', './f.js']);
});

test(`no file under src/cli has more than ${MAX_LINES} lines`, () => {
  const long = sourceFiles(CLI)
    .map((file) => ({ file, lines: lineCount(readFileSync(file, 'utf8')) }))
    .filter(({ lines }) => lines > MAX_LINES)
    .map(({ file, lines }) => `${shown(file)} (${lines} lines)`);
  assert.deepEqual(long, [], `over ${MAX_LINES} lines: ${long.join(', ')}`);
});

test('no command module imports another command module (a test may import the command it tests)', () => {
  const imports = sourceFiles(COMMANDS)
    .filter((file) => !isTest(file))
    .flatMap((file) =>
      importedSpecifiers(readFileSync(file, 'utf8'))
        .map((specifier) => resolveImport(file, specifier))
        .filter((target): target is string => target !== null)
        .filter((target) => target.startsWith(COMMANDS + sep) && target !== file)
        .map((target) => `${shown(file)} imports ${shown(target)}`),
    );
  assert.deepEqual(imports, [], `command modules importing command modules: ${imports.join('; ')}`);
});
