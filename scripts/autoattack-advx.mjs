// advx's side of the AutoAttack comparison (scripts/autoattack-golden.py makes the reference's): runs
// autoAttackSuite's standard version on the first N Fashion-MNIST test images on fashion-mnist-cnn-robust
// at Linf eps 0.1, each attack on the points still robust (AutoAttack's loop, batches of 250), writes the
// per-image robust flags after each attack as JSON, and prints them next to the reference's.
// A measurement script (not a test; it takes about an hour on 2 cores). After `npx tsc`:
//
//   node scripts/autoattack-advx.mjs [--images 500] [--eps 0.1] [--engine onnx|tfjs] [--out FILE]
//       [--attacks apgd-ce,apgd-t,fab-t,square] [--individual]
//
// --individual runs each attack alone on every clean-correct point instead of in sequence.
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { tf } from '../dist/engine/tf.js';
import { loadFashionMnist } from '../dist/data/datasets.js';
import { loadModel } from '../dist/models/load.js';
import { predictLabels } from '../dist/models/model.js';
import { autoAttackSuite } from '../dist/evaluation/autoattack.js';
import { readAutoAttackGolden, robustFlags } from '../dist/evaluation/autoattack-golden.js';

const { values: args } = parseArgs({
  options: {
    images: { type: 'string', default: '500' },
    eps: { type: 'string', default: '0.1' },
    engine: { type: 'string', default: 'onnx' },
    out: { type: 'string' },
    attacks: { type: 'string' },
    individual: { type: 'boolean', default: false },
    seed: { type: 'string', default: '0' },
  },
});
const n = Number(args.images);
const eps = Number(args.eps);
const model = await loadModel('fashion-mnist-cnn-robust', { engine: args.engine });
const data = loadFashionMnist('test', n);
const x = tf.tensor4d(data.images, [n, 28, 28, 1]);
const labels = Array.from(data.labels);
const suite = autoAttackSuite({
  norm: 'linf',
  eps,
  numClasses: model.numClasses,
  seed: Number(args.seed),
}).filter(({ name }) => args.attacks === undefined || args.attacks.split(',').includes(name));
const flagString = (robust) => robust.map((r) => (r ? '1' : '0')).join('');
const clean = (await predictLabels(model, x)).map((p, i) => p === labels[i]);
const result = {
  model: model.name,
  engine: model.engine,
  images: n,
  eps,
  clean: flagString(clean),
  robustAfter: {},
  seconds: {},
  queries: {},
};
let robust = [...clean];
for (const { name, attack } of suite) {
  const start = Date.now();
  const current = args.individual ? [...clean] : robust;
  const rows = current.flatMap((r, i) => (r ? [i] : []));
  const queries = [];
  for (let b = 0; b < rows.length; b += 250) {
    const batchRows = rows.slice(b, b + 250);
    const xb = tf.gather(x, tf.tensor1d(batchRows, 'int32'));
    const r = await attack.run(
      model,
      xb,
      batchRows.map((i) => labels[i]),
      { epsilons: eps },
    );
    r.success.forEach((s, j) => {
      if (s) current[batchRows[j]] = false;
    });
    if (r.queries) queries.push(...r.queries);
    tf.dispose([xb, r.raw, r.clipped]);
  }
  robust = args.individual ? robust : current;
  result.robustAfter[name] = flagString(current);
  result.seconds[name] = Math.round((Date.now() - start) / 100) / 10;
  if (queries.length > 0)
    result.queries[name] = { mean: queries.reduce((a, q) => a + q, 0) / queries.length };
  console.error(`${name}: robust ${current.filter(Boolean).length}/${n} (${result.seconds[name]} s)`);
  if (args.out) writeFileSync(args.out, JSON.stringify(result, null, 1) + '\n');
}

const golden = readAutoAttackGolden();
const reference = args.individual ? golden.individual : golden.standard?.robustAfter;
if (reference !== undefined && golden.clean.length >= n) {
  console.log(`attack      advx robust   reference robust   images flagged differently`);
  for (const name of Object.keys(result.robustAfter)) {
    const ref = reference[name]?.robust ?? reference[name];
    if (typeof ref !== 'string') continue;
    const mine = robustFlags(result.robustAfter[name]);
    const theirs = robustFlags(ref.slice(0, n));
    const differ = mine.filter((r, i) => r !== theirs[i]).length;
    const pct = (flags) => ((100 * flags.filter(Boolean).length) / n).toFixed(1) + '%';
    console.log(`${name.padEnd(10)}  ${pct(mine).padStart(11)}   ${pct(theirs).padStart(16)}   ${differ}`);
  }
}
