/**
 * The minimization attacks on the embedded Fashion-MNIST CNN, against foolbox 3 and against PGD:
 * - golden values: foolbox 3's per-image perturbation norms on the same weights (an ONNX export run in
 *   PyTorch) and the same 20 test images, with the same settings (scripts/foolbox-minimal-golden.json, made
 *   by scripts/foolbox-minimal-golden.py): the medians agree within 10%, and so do most images;
 * - every image of which C&W, DeepFool and DDN are asked is fooled with eps=null, with perturbations smaller
 *   than the smallest budget (on a grid) at which PGD fools the same image;
 * - the two engines (ONNX Runtime and tfjs) give DeepFool the same answers.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { tf, type Tensor4D } from '../engine/tf.js';
import { initEngine } from '../engine/backend.js';
import { loadFashionMnist } from '../data/datasets.js';
import { packageRoot } from '../data/locations.js';
import { perturbationNorm, type Norm } from '../distances/index.js';
import { loadModel } from '../models/load.js';
import { predictLabels, type Model } from '../models/model.js';
import { L2PGD, LinfPGD } from './gradient-descent.js';
import { MINIMIZATION_ATTACKS } from './minimization-attacks.js';
import type { AttackSettings as MinimizationSettings } from './attack-entry.js';

interface GoldenAttack {
  settings: Record<string, number | boolean>;
  norm: Norm;
  success: boolean[];
  norms: number[];
  median: number;
}

interface Golden {
  indices: number[];
  labels: number[];
  attacks: Record<string, GoldenAttack>;
}

const golden = JSON.parse(
  readFileSync(join(packageRoot, 'scripts', 'foolbox-minimal-golden.json'), 'utf8'),
) as Golden;

/** foolbox's keyword arguments as advx settings. */
function settingsOf(s: GoldenAttack['settings']): MinimizationSettings {
  const number = (key: string) => (typeof s[key] === 'number' ? (s[key] as number) : undefined);
  return {
    steps: number('steps'),
    binarySearchSteps: number('binary_search_steps'),
    absStepsize: number('stepsize') ?? number('max_stepsize'),
    confidence: number('confidence'),
    initialConst: number('initial_const'),
    abortEarly: typeof s.abort_early === 'boolean' ? s.abort_early : undefined,
    candidates: number('candidates'),
    overshoot: number('overshoot'),
    gamma: number('gamma'),
    initEpsilon: number('init_epsilon'),
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

let model: Model;
let x: Tensor4D;
const labels = golden.labels;
const results: Record<string, { success: boolean[]; norms: number[] }> = {};

async function attackNorms(m: Model, name: string, settings: MinimizationSettings, norm: Norm) {
  const { raw, clipped, success } = await MINIMIZATION_ATTACKS[name]
    .create(settings)
    .run(m, x, labels, { epsilons: null });
  const norms = Array.from(perturbationNorm(tf.sub(clipped, x), norm).dataSync());
  tf.dispose([raw, clipped]);
  return { success, norms };
}

/**
 * Per image, the smallest budget of `epsilons` at which PGD with foolbox's defaults (L2: 50 steps of
 * 0.025 eps; Linf: 40 steps of eps / 30; random start) fools it (Infinity if none).
 */
async function pgdBudgets(norm: 'l2' | 'linf', epsilons: number[]): Promise<number[]> {
  const attack = norm === 'l2' ? new L2PGD({ seed: 1 }) : new LinfPGD({ seed: 1 });
  const result = await attack.run(model, x, labels, { epsilons });
  tf.dispose([...result.raw, ...result.clipped]);
  return labels.map((_, n) => epsilons.find((_, k) => result.success[k][n]) ?? Infinity);
}

before(async () => {
  await initEngine();
  model = await loadModel('fashion-mnist-cnn');
  const data = loadFashionMnist('test', Math.max(...golden.indices) + 1);
  x = tf.tidy(() => tf.gather(tf.tensor4d(data.images, [data.count, 28, 28, 1]), golden.indices)) as Tensor4D;
  assert.deepEqual(
    golden.indices.map((i) => data.labels[i]),
    labels,
  );
  for (const [name, g] of Object.entries(golden.attacks))
    results[name] = await attackNorms(model, name, settingsOf(g.settings), g.norm);
});

test('the golden images are the ones foolbox attacked, all correctly classified', async () => {
  assert.deepEqual(await predictLabels(model, x), labels);
});

for (const [name, g] of Object.entries(golden.attacks)) {
  test(`${name}: the median ${g.norm} norm is within 10% of foolbox 3's, and so are 80% of the images`, (t) => {
    const { success, norms } = results[name];
    const found = norms.filter((_, n) => success[n]);
    t.diagnostic(
      `${name}: advx ${found.length}/${norms.length} fooled, median ${g.norm} ${median(found).toFixed(4)}; ` +
        `foolbox ${g.success.filter(Boolean).length}/${norms.length}, median ${g.median.toFixed(4)}`,
    );
    assert.ok(
      Math.abs(found.length - g.success.filter(Boolean).length) <= 1,
      `advx fooled ${found.length} images, foolbox ${g.success.filter(Boolean).length}`,
    );
    const ratio = median(found) / g.median;
    assert.ok(ratio >= 0.9 && ratio <= 1.1, `median ${median(found)} vs foolbox ${g.median}`);
    const both = norms.flatMap((v, n) => (success[n] && g.success[n] ? [[v, g.norms[n]]] : []));
    const close = both.filter(([a, b]) => Math.abs(a - b) <= 0.1 * b).length;
    assert.ok(close >= 0.8 * both.length, `only ${close}/${both.length} images within 10% of foolbox's`);
  });
}

test('C&W, DeepFool and DDN fool every image, with smaller L2 perturbations than PGD needs', async (t) => {
  const budgets = await pgdBudgets('l2', [0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.7, 0.8, 1]);
  const pgdMedian = median(budgets);
  t.diagnostic(`L2 PGD: smallest eps of the grid per image: median ${pgdMedian}; ${budgets.join(' ')}`);
  for (const name of ['cw', 'deepfool', 'ddn']) {
    const { success, norms } = results[name];
    assert.deepEqual(success, new Array(labels.length).fill(true), `${name} missed an image`);
    const smaller = norms.filter((v, n) => v <= budgets[n]).length;
    t.diagnostic(
      `${name}: median L2 ${median(norms).toFixed(4)}; <= PGD's eps on ${smaller}/${norms.length}`,
    );
    assert.ok(median(norms) < pgdMedian, `${name}: median ${median(norms)} >= PGD's ${pgdMedian}`);
    assert.ok(smaller >= 0.7 * norms.length, `${name}: smaller than PGD's eps on only ${smaller} images`);
  }
});

test('Linf FMN and Linf DeepFool fool every image; FMN with smaller Linf perturbations than PGD needs', async (t) => {
  const budgets = await pgdBudgets('linf', [0.015, 0.02, 0.025, 0.03, 0.035, 0.04, 0.05, 0.075, 0.1]);
  const pgdMedian = median(budgets);
  t.diagnostic(`Linf PGD: smallest eps of the grid per image: median ${pgdMedian}; ${budgets.join(' ')}`);
  for (const name of ['linf-fmn', 'linf-deepfool']) {
    const { success, norms } = results[name];
    assert.deepEqual(success, new Array(labels.length).fill(true), `${name} missed an image`);
    const smaller = norms.filter((v, n) => v <= budgets[n]).length;
    t.diagnostic(
      `${name}: median Linf ${median(norms).toFixed(4)}; <= PGD's eps on ${smaller}/${norms.length}`,
    );
  }
  const fmn = results['linf-fmn'].norms;
  assert.ok(median(fmn) < pgdMedian, `linf-fmn: median ${median(fmn)} >= PGD's ${pgdMedian}`);
  // DeepFool linearises once per step and overshoots by 2%: about what PGD needs, not less.
  const deepfool = results['linf-deepfool'].norms;
  assert.ok(
    median(deepfool) < 1.25 * pgdMedian,
    `linf-deepfool: median ${median(deepfool)} vs PGD's ${pgdMedian}`,
  );
});

test('DeepFool gives the same perturbations on ONNX Runtime and on tfjs', async () => {
  const settings = settingsOf(golden.attacks.deepfool.settings);
  const onEngine = async (engine: 'onnx' | 'tfjs') => {
    const m = await loadModel('fashion-mnist-cnn', { engine });
    try {
      assert.equal(m.engine, engine);
      return await attackNorms(m, 'deepfool', settings, 'l2');
    } finally {
      m.dispose();
    }
  };
  const [onnx, tfjs] = [await onEngine('onnx'), await onEngine('tfjs')];
  assert.deepEqual(onnx.success, tfjs.success);
  onnx.norms.forEach((v, n) =>
    assert.ok(
      Math.abs(v - tfjs.norms[n]) <= 1e-3 * tfjs.norms[n] + 1e-6,
      `image ${n}: ${v} vs ${tfjs.norms[n]}`,
    ),
  );
});
