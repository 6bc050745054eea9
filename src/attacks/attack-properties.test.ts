/**
 * Properties every registered attack must have (cleverhans/foolbox style), on the embedded Fashion-MNIST
 * CNN and real test images, on both engines (ONNX Runtime and tfjs): eps=0 returns the input, outputs
 * stay in bounds, the perturbation stays within eps in the attack's norm, `success` agrees with
 * re-running the model, the same seed gives the same result, and the success rate rises with eps.
 */
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { tf, type Tensor4D } from '../engine/tf.js';
import { loadFashionMnist } from '../data/datasets.js';
import { perturbationNorm, type Norm } from '../distances/index.js';
import { ENGINES, loadModel, type EngineChoice } from '../models/load.js';
import { predictLabels, type Model } from '../models/model.js';
import { targeted } from '../criteria/index.js';
import { attackNames, createAttack, type Attack, type AttackSettings } from './index.js';

const MODEL = 'fashion-mnist-cnn';
const N = 24;

/** Small but increasing budgets per norm; the last is large enough that every attack succeeds sometimes. */
const EPSILONS: Record<Norm, number[]> = {
  linf: [0.005, 0.03, 0.1, 0.3],
  l2: [0.1, 0.5, 2, 6],
  l1: [1, 5, 20, 60],
  l0: [1, 10, 50, 200],
};

const SETTINGS: Record<string, AttackSettings> = {
  'linf-pgd': { steps: 10, seed: 3 },
  'l2-pgd': { steps: 10, seed: 3 },
  'l1-pgd': { steps: 10, seed: 3 },
  'linf-bim': { steps: 5 },
  'l2-bim': { steps: 5 },
  'mi-fgsm': { steps: 5 },
  'l2-gaussian-noise': { repeats: 3, seed: 3 },
  'l2-uniform-noise': { repeats: 3, seed: 3 },
  'linf-uniform-noise': { repeats: 3, seed: 3 },
  'salt-and-pepper': { steps: 30, seed: 3 },
  fgsm: {},
  fgm: {},
  cw: { binarySearchSteps: 3, steps: 20, initialConst: 1, absStepsize: 0.05 },
  // DeepFool needs more than 10 steps here: pixels clip at 0.
  deepfool: { steps: 50 },
  'linf-deepfool': { steps: 50 },
  ddn: { steps: 20, seed: 3 },
  'l1-fmn': { steps: 20 },
  'l2-fmn': { steps: 20 },
  'linf-fmn': { steps: 20 },
  nes: { maxQueries: 510, seed: 3 },
  spsa: { steps: 3, maxQueries: 800, seed: 3 },
  simba: { maxQueries: 300, seed: 3 },
  'simba-pixel': { maxQueries: 300, seed: 3 },
  boundary: { steps: 50, seed: 3 },
  'hop-skip-jump': { steps: 2, maxQueries: 600, seed: 3 },
  'linf-hop-skip-jump': { steps: 2, maxQueries: 600, seed: 3 },
  // AutoAttack's attacks (each also has its own test in autoattack-attacks.test.ts).
  'apgd-ce': { steps: 10, seed: 3 },
  'apgd-dlr': { steps: 10, seed: 3 },
  'apgd-t': { steps: 10, targetClasses: 2, seed: 3 },
  fab: { steps: 10, seed: 3 },
  'fab-t': { steps: 10, targetClasses: 2, seed: 3 },
  square: { maxQueries: 100, seed: 3 },
  'l2-apgd-ce': { steps: 10, seed: 3 },
  'l2-apgd-dlr': { steps: 10, seed: 3 },
  'l2-apgd-t': { steps: 10, targetClasses: 2, seed: 3 },
  'l2-fab': { steps: 10, seed: 3 },
  'l2-fab-t': { steps: 10, targetClasses: 2, seed: 3 },
  'l2-square': { maxQueries: 100, seed: 3 },
};

const models = new Map<EngineChoice, Model>();
let model: Model;
let x: Tensor4D;
let labels: number[];

before(async () => {
  for (const engine of ENGINES) models.set(engine, await loadModel(MODEL, { engine }));
  model = models.get('onnx') as Model;
  const data = loadFashionMnist('test', N);
  x = tf.tensor4d(data.images, [N, 28, 28, 1]);
  labels = Array.from(data.labels);
});

function values(t: tf.Tensor): number[] {
  return Array.from(t.dataSync());
}

async function misclassified(model: Model, adversarial: Tensor4D): Promise<boolean[]> {
  return (await predictLabels(model, adversarial)).map((p, i) => p !== labels[i]);
}

test('every registered attack has budget settings here, so that none is left out of the property test', () => {
  assert.deepEqual(
    attackNames().filter((name) => SETTINGS[name] === undefined),
    [],
    'attacks without settings in attack-properties.test.ts',
  );
});

for (const [name, settings] of ENGINES.flatMap((engine) =>
  Object.entries(SETTINGS).map(([n, s]) => [`${n}`, { ...s, engine }] as const),
)) {
  test(`${name} on ${settings.engine}: eps 0 returns the input; bounds, eps ball, success re-evaluated, seeded, rises with eps`, async () => {
    const model = models.get(settings.engine) as Model;
    const attack: Attack = createAttack(name, settings);
    const zero = await attack.run(model, x, labels, { epsilons: 0 });
    assert.equal(tf.max(tf.abs(tf.sub(zero.clipped, x))).dataSync()[0], 0, 'eps=0 changed the input');
    tf.dispose([zero.raw, zero.clipped]);

    const epsilons = EPSILONS[attack.norm];
    const result = await attack.run(model, x, labels, { epsilons });
    const rates: number[] = [];
    for (let k = 0; k < epsilons.length; k++) {
      const clipped = result.clipped[k];
      assert.ok(
        tf.min(clipped).dataSync()[0] >= model.bounds[0] && tf.max(clipped).dataSync()[0] <= model.bounds[1],
        'out of bounds',
      );
      const norms = values(perturbationNorm(tf.sub(clipped, x), attack.norm));
      norms.forEach((v) =>
        assert.ok(v <= epsilons[k] * (1 + 1e-4) + 1e-6, `${attack.norm} norm ${v} > eps ${epsilons[k]}`),
      );
      assert.deepEqual(
        result.success[k],
        await misclassified(model, clipped),
        'success disagrees with re-running the model',
      );
      rates.push(result.success[k].filter(Boolean).length / N);
    }
    for (let k = 1; k < rates.length; k++)
      assert.ok(rates[k] >= rates[k - 1] - 2 / N, `success rates ${rates} fall with eps`);
    assert.ok(rates[rates.length - 1] > rates[0], `success rates ${rates} do not rise with eps`);

    const last = epsilons.length - 1;
    const again = await createAttack(name, settings).run(model, x, labels, { epsilons: epsilons[last] });
    assert.deepEqual(values(again.clipped), values(result.clipped[last]), 'same seed, different result');
    tf.dispose([...result.raw, ...result.clipped, again.raw, again.clipped]);
  });
}

test('every registered attack runs on a batch of one image (budgets as above, ONNX Runtime)', async () => {
  const one = tf.slice(x, [0, 0, 0, 0], [1, 28, 28, 1]);
  const failures: string[] = [];
  for (const [name, settings] of Object.entries(SETTINGS)) {
    const attack = createAttack(name, settings);
    try {
      const result = await attack.run(model, one, [labels[0]], { epsilons: EPSILONS[attack.norm][2] });
      assert.deepEqual(result.clipped.shape, [1, 28, 28, 1]);
      tf.dispose([result.raw, result.clipped]);
    } catch (error) {
      failures.push(`${name}: ${(error as Error).message}`);
    }
  }
  one.dispose();
  assert.deepEqual(failures, []);
});

test('random attacks depend on their seed', async () => {
  const a = await createAttack('linf-pgd', { steps: 2, seed: 1 }).run(model, x, labels, { epsilons: 0.05 });
  const b = await createAttack('linf-pgd', { steps: 2, seed: 2 }).run(model, x, labels, { epsilons: 0.05 });
  assert.notDeepEqual(values(a.clipped), values(b.clipped));
  tf.dispose([a.raw, a.clipped, b.raw, b.clipped]);
});

test('targeted PGD reaches the target class', async () => {
  const targets = labels.map((l) => (l + 1) % 10);
  const { raw, clipped, success } = await createAttack('linf-pgd', {
    steps: 20,
    relStepsize: 0.1,
    seed: 1,
  }).run(model, x, targeted(targets), {
    epsilons: 0.2,
  });
  const predicted = await predictLabels(model, clipped);
  assert.deepEqual(
    success,
    predicted.map((p, i) => p === targets[i]),
  );
  assert.ok(
    success.filter(Boolean).length >= 0.8 * N,
    `targeted success ${success.filter(Boolean).length}/${N}`,
  );
  tf.dispose([raw, clipped]);
});

test('inputs that do not fit the model are refused with a clear message', async () => {
  const attack = createAttack('fgsm');
  await assert.rejects(
    attack.run(model, tf.zeros([2, 32, 32, 3]) as Tensor4D, [0, 1], { epsilons: 0.1 }),
    /inputs have shape \[32,32,3\] but model fashion-mnist-cnn expects \[28,28,1\]/,
  );
  await assert.rejects(
    attack.run(model, tf.fill([1, 28, 28, 1], 2) as Tensor4D, [0], { epsilons: 0.1 }),
    /outside the model's bounds \[0, 1\]/,
  );
  await assert.rejects(
    attack.run(model, x, labels, { epsilons: -0.1 }),
    /epsilon must be a finite number >= 0/,
  );
  assert.throws(() => createAttack('linf-pgd', { steps: 0 }), /steps must be an integer >= 1/);
});
