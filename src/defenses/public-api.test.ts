/**
 * The defenses as a user of the package reaches them: `import { defenses, models } from 'advx'`.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { data, defenses, engine, models, tf, train } from '../index.js';

test("defenses are part of the package's public API and work on the committed models", async () => {
  await engine.initEngine();
  const n = 8;
  const set = data.loadFashionMnist('test', n);
  const x = train.gatherImages(
    set,
    Array.from({ length: n }, (_, i) => i),
  );
  const labels = Array.from(set.labels);
  const classifier = await models.load('fashion-mnist-cnn');
  const generator = await train.loadGenerator(`${data.embeddedModelsDir()}/fashion-mnist-gan`);
  const defended = defenses.ganProjection(generator, classifier, { steps: 20, restarts: 1, seed: 3 });
  const logits = await defended.logits(x);
  assert.deepEqual(logits.shape, [n, 10]);
  // The same seed gives the same projection: the deployed defense is deterministic.
  const again = await defended.logits(x);
  assert.deepEqual(Array.from(await again.data()), Array.from(await logits.data()));
  tf.dispose([logits, again]);
  const r = await defenses.pgdRobustness(classifier, x, labels, {
    eps: 0.1,
    steps: 5,
    stepSize: 0.03,
    seed: 0,
  });
  assert.ok(r.robust <= r.clean, `robust ${r.robust} <= clean ${r.clean}`);
  tf.dispose(x);
  classifier.dispose();
  generator.dispose();
});
