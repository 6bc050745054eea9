/**
 * `advx --help` lists every environment variable advx reads (found in the sources, zoo entries
 * included) and nothing it does not read.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { packageRoot } from '../data/locations.js';
import { ZOO } from '../models/zoo.js';
import { ENVIRONMENT, environmentHelp } from './environment-help.js';

/** Hooks of tests and fixtures, not settings: fault injection, fuzz dumps, the test Redis, the PyTorch reference. */
const TEST_HOOKS = ['ADVX_KILL_AT', 'ADVX_FUZZ_DUMP', 'ADVX_REDIS_SERVER', 'ADVX_TORCH_PYTHON'];

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return name.endsWith('.ts') && !name.endsWith('.test.ts') ? [path] : [];
  });
}

function variablesRead(): Set<string> {
  const names = new Set<string>();
  for (const file of sources(join(packageRoot, 'src')))
    for (const m of readFileSync(file, 'utf8').matchAll(/process\.env\.(ADVX_[A-Z0-9_]+)/g)) names.add(m[1]);
  for (const entry of Object.values(ZOO)) if (entry.env !== undefined) names.add(entry.env);
  return names;
}

test('the list is what the sources read, less the test hooks', () => {
  const read = variablesRead();
  assert.ok(read.has('ADVX_HOME') && read.has('ADVX_RESNET50'));
  const listed = ENVIRONMENT.map((v) => v.name);
  assert.deepEqual([...read].filter((name) => !TEST_HOOKS.includes(name)).sort(), [...listed].sort());
});

test('advx --help ends with the environment, each variable once', () => {
  const run = spawnSync(process.execPath, [join(packageRoot, 'dist', 'cli', 'main.js'), '--help'], {
    encoding: 'utf8',
  });
  assert.equal(run.status, 0);
  assert.ok(
    run.stdout.trimEnd().endsWith(environmentHelp().trimEnd()),
    'the help ends with the Environment section',
  );
  for (const { name } of ENVIRONMENT)
    assert.equal(run.stdout.split(`  ${name} `).length, 2, `${name} listed once`);
});

test('descriptions wrap beside the names within 80 columns', () => {
  const lines = environmentHelp().split('\n');
  assert.ok(lines.every((line) => line.length <= 80));
  assert.ok(
    lines.some((line) => /^ {20,}\S/.test(line)),
    'a long description continues under itself',
  );
});
