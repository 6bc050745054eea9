// Square Attack on ResNet-50 (the zoo's 'resnet50': Keras ImageNet weights, ONNX Runtime), the paper's
// ImageNet setting (Andriushchenko et al. 2020, Table 1: Linf eps 0.05, untargeted, p_init 0.05, 10,000
// queries; 0.0% failure, 73 queries on average for ResNet-50): on the shared ImageNet sample photos the
// model classifies correctly, prints the failure rate and the mean and median queries of the successes.
// A measurement script (not a test). After `npx tsc`:
//
//   node scripts/square-imagenet.mjs [--photos 100] [--stride 10] [--batch 10] [--queries 10000]
//       [--p-init 0.05] [--eps 0.05] [--seed 0] [--out FILE]
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { tf } from '../dist/engine/tf.js';
import { loadImagesFor } from '../dist/data/images.js';
import { loadModel } from '../dist/models/load.js';
import { predictLabels } from '../dist/models/model.js';
import { imagenetSamplePhotos } from '../dist/models/photo-accuracy.js';
import { SquareAttack } from '../dist/attacks/square.js';

const { values: args } = parseArgs({
  options: {
    photos: { type: 'string', default: '100' },
    stride: { type: 'string', default: '10' },
    batch: { type: 'string', default: '10' },
    queries: { type: 'string', default: '10000' },
    'p-init': { type: 'string', default: '0.05' },
    eps: { type: 'string', default: '0.05' },
    seed: { type: 'string', default: '0' },
    out: { type: 'string' },
  },
});
const eps = Number(args.eps);
const model = await loadModel('resnet50');
const photos = imagenetSamplePhotos({ stride: Number(args.stride), limit: Number(args.photos) });
const attack = new SquareAttack({
  norm: 'linf',
  maxQueries: Number(args.queries),
  pInit: Number(args['p-init']),
  rescaleSchedule: true,
  seed: Number(args.seed),
});
const results = [];
const batch = Number(args.batch);
const started = Date.now();
for (let b = 0; b < photos.length; b += batch) {
  const chunk = photos.slice(b, b + batch);
  const x = await loadImagesFor(
    chunk.map((p) => p.file),
    model,
  );
  const predicted = await predictLabels(model, x, batch);
  const keep = chunk.flatMap((p, i) => (predicted[i] === p.label ? [i] : []));
  if (keep.length > 0) {
    const xc = tf.gather(x, tf.tensor1d(keep, 'int32'));
    const r = await attack.run(
      model,
      xc,
      keep.map((i) => chunk[i].label),
      { epsilons: eps },
    );
    keep.forEach((i, j) =>
      results.push({ file: chunk[i].file.split('/').pop(), success: r.success[j], queries: r.queries[j] }),
    );
    tf.dispose([xc, r.raw, r.clipped]);
  }
  x.dispose();
  const done = results.filter((r) => r.success);
  console.error(
    `${b + chunk.length}/${photos.length} photos, ${results.length} correct, ${done.length} fooled, ` +
      `${Math.round((Date.now() - started) / 1000)} s`,
  );
  if (args.out) writeFileSync(args.out, JSON.stringify(results, null, 1) + '\n');
}
const fooled = results.filter((r) => r.success).map((r) => r.queries);
const sorted = [...fooled].sort((a, b) => a - b);
const summary = {
  model: model.name,
  engine: model.engine,
  eps,
  maxQueries: Number(args.queries),
  pInit: Number(args['p-init']),
  images: results.length,
  failureRate: results.length === 0 ? null : 1 - fooled.length / results.length,
  meanQueries: fooled.reduce((a, q) => a + q, 0) / fooled.length,
  medianQueries: sorted[Math.floor(sorted.length / 2)],
  seconds: Math.round((Date.now() - started) / 1000),
};
console.log(JSON.stringify(summary));
