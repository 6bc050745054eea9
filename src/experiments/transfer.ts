/**
 * Cross-technique transferability (Papernot, McDaniel & Goodfellow 2016, "Transferability in Machine
 * Learning", Figure 3; the book's Figure 10.4): train a DNN, a logistic regression, a linear SVM, a
 * decision tree, a kNN and their majority-vote ensemble on the same data, craft adversarial examples on
 * each (the source) and count how often each model (the target) misclassifies them.
 *
 * Crafting per source, always inside the Linf ball of radius eps and in bounds (checked here):
 * - dnn, lr, svm (differentiable): the core attack (FGSM or Linf PGD) white-box on the source itself;
 * - tree: Papernot's tree attack (nearest leaf of another class, path features moved, Linf <= eps);
 * - knn, ens: a black-box substitute (an MLP trained on the source's labels with Jacobian-based
 *   augmentation, `trainSubstitute`), attacked white-box with the core attack.
 *
 * matrix[s][t] = fraction of source s's SUCCESSFUL adversarial examples (samples that s classifies
 * correctly and whose adversarial fools s itself) that target t misclassifies (prediction != true label).
 * The diagonal is therefore 1 by construction; each source's white-box success rate is reported
 * beside it (`sources[s].successRate`), with every model's clean accuracy on the whole test split.
 *
 * Returns plain data; writers (CSV, JSON, table, heatmap) are in transfer-writers.ts.
 */
import { createAttack, type Attack } from '../attacks/index.js';
import {
  Ensemble,
  agreement,
  loadDigits,
  selectRows,
  trainDecisionTree,
  trainKnn,
  trainLinearSvm,
  trainLogisticRegression,
  trainMlp,
  trainSubstitute,
  treeAttack,
  type Classifier,
  type DecisionTree,
  type TensorClassifier,
} from '../classical/index.js';
import { loadFashionMnist, loadMnistTest, type ImageDataset } from '../data/datasets.js';
import { checkSeed, Rng } from '../engine/random.js';
import { AdvxError } from '../errors.js';
import { checkCount, LIMITS } from '../limits.js';
import { tf } from '../engine/tf.js';

export const TRANSFER_DATASETS = ['fashion-mnist', 'mnist', 'digits'] as const;
export type TransferDataset = (typeof TRANSFER_DATASETS)[number];

export const TRANSFER_FAMILIES = ['dnn', 'lr', 'svm', 'tree', 'knn', 'ens'] as const;
export type TransferFamily = (typeof TRANSFER_FAMILIES)[number];

/** The five techniques the ensemble votes over (Papernot et al.'s "Ens"). */
export const ENSEMBLE_MEMBERS: readonly TransferFamily[] = ['dnn', 'lr', 'svm', 'tree', 'knn'];

export const FAMILY_DESCRIPTIONS: Record<TransferFamily, string> = {
  dnn: 'DNN: fully connected ReLU network (MLP 200-200), cross-entropy, Adam',
  lr: 'multinomial logistic regression, L2 1e-4, Adam',
  svm: 'one-vs-rest linear SVM, squared hinge, L2 1e-4, Adam',
  tree: 'CART decision tree, Gini, max depth 12',
  knn: 'k-nearest neighbours, k = 5, Euclidean',
  ens: 'majority vote of dnn, lr, svm, tree, knn',
};

export const TRANSFER_ATTACKS = ['fgsm', 'pgd'] as const;
export type TransferAttack = (typeof TRANSFER_ATTACKS)[number];

/** Training and test split of one data set. */
export interface TransferData {
  dataset: TransferDataset;
  train: ImageDataset;
  test: ImageDataset;
}

export interface TransferDataOptions {
  /** Training images kept (default: 10000 for Fashion-MNIST, the whole training split otherwise). */
  trainSize?: number;
  /** Seeds the training subsample and the split of MNIST and digits (default 0). */
  seed?: number;
}

/** MNIST (10k test images only) and digits (1797 images) are split into train / test by a seeded shuffle. */
export const SPLIT_TEST_COUNT: Record<Exclude<TransferDataset, 'fashion-mnist'>, number> = {
  mnist: 2000,
  digits: 360,
};
export const DEFAULT_FASHION_TRAIN_SIZE = 10000;

function rangeOf(order: Int32Array, start: number, end: number): Int32Array {
  return order.subarray(start, end);
}

/**
 * Loads a data set as a train / test split. Fashion-MNIST: a seeded `trainSize` subsample of its 60k
 * training images, and its 10k test images. MNIST: its 10k test set shuffled with `seed`, 8000 for
 * training and 2000 for test. Digits: 1797 images shuffled, 1437 / 360.
 */
export function loadTransferData(dataset: TransferDataset, options: TransferDataOptions = {}): TransferData {
  if (!(TRANSFER_DATASETS as readonly string[]).includes(dataset))
    throw new AdvxError(
      'bad-option',
      `transfer: unknown data set '${String(dataset)}' (available: ${TRANSFER_DATASETS.join(', ')})`,
    );
  const seed = options.seed ?? 0;
  const trainSize = options.trainSize;
  if (trainSize !== undefined && !(Number.isInteger(trainSize) && trainSize >= 20))
    throw new AdvxError('bad-option', `transfer: train size must be an integer >= 20 (got ${trainSize})`);
  if (dataset === 'fashion-mnist') {
    const full = loadFashionMnist('train');
    const n = trainSize ?? DEFAULT_FASHION_TRAIN_SIZE;
    if (n > full.count)
      throw new AdvxError(
        'bad-option',
        `transfer: train size ${n} exceeds the ${full.count} training images of fashion-mnist`,
      );
    const train = selectRows(full, rangeOf(new Rng(seed).permutation(full.count), 0, n));
    return { dataset, train: { ...train, name: 'fashion-mnist-train' }, test: loadFashionMnist('test') };
  }
  const all = dataset === 'mnist' ? loadMnistTest() : loadDigits();
  const testCount = SPLIT_TEST_COUNT[dataset];
  const available = all.count - testCount;
  const n = trainSize ?? available;
  if (n > available) {
    throw new AdvxError(
      'bad-option',
      `transfer: train size ${n} exceeds the ${available} training images of ${dataset} (${all.count} images, ${testCount} kept for test)`,
    );
  }
  const order = new Rng(seed).permutation(all.count);
  const train = selectRows(all, rangeOf(order, 0, n));
  const test = selectRows(all, rangeOf(order, available, all.count));
  return {
    dataset,
    train: { ...train, name: `${dataset}-train` },
    test: { ...test, name: `${dataset}-test` },
  };
}

export interface SubstituteSettings {
  /** Unlabelled starting points drawn (seeded) from the training split (default 300). */
  seeds?: number;
  /** Substitute training rounds; the set doubles between rounds (default 4). */
  rounds?: number;
  /** Jacobian augmentation step (default 0.1). */
  lambda?: number;
}

export interface TransferProgress {
  phase: 'train' | 'craft' | 'evaluate';
  done: number;
  total: number;
  label: string;
}

export interface TransferExperimentOptions {
  /** Sources and targets, in this order (default: all six). */
  models?: readonly TransferFamily[];
  attack?: TransferAttack;
  /** Linf budget in units of the bounds [0, 1] (default 0.3, the paper's). */
  eps?: number;
  /** Test images attacked, drawn with `seed` from the test split (default 500). */
  samples?: number;
  /** Seeds the sample draw, the models, the substitutes and the PGD random start (default 0). */
  seed?: number;
  /** PGD iterations (default 40, each of 2.5 eps / steps; PGD only). */
  steps?: number;
  substitute?: SubstituteSettings;
  /** Keep the sampled inputs and every source's adversarial rows in the result (tests, figures). */
  keepExamples?: boolean;
  onProgress?: (progress: TransferProgress) => void;
}

export interface TransferSubstituteStats {
  seeds: number;
  rounds: number;
  /** Oracle queries (points labelled by the source). */
  queries: number;
  /** Agreement of the final substitute with the source on the test samples (clean). */
  agreement: number;
}

export interface TransferSourceStats {
  model: TransferFamily;
  /** How its adversarial examples were crafted. */
  method: string;
  /** Samples the source classifies correctly (the ones attacked). */
  attacked: number;
  /** Of those, how many adversarial examples fool the source itself. */
  successful: number;
  /** successful / attacked (null when nothing was attacked). */
  successRate: number | null;
  /** Largest Linf perturbation among its successful adversarial examples. */
  maxLinf: number;
  substitute?: TransferSubstituteStats;
}

export interface TransferExperimentResult {
  dataset: TransferDataset;
  attack: { name: TransferAttack; eps: number; options: Record<string, unknown> };
  models: TransferFamily[];
  trainCount: number;
  testCount: number;
  samples: number;
  seed: number;
  /** Clean accuracy of each model on the whole test split (same order as `models`). */
  cleanAccuracy: number[];
  sources: TransferSourceStats[];
  /** matrix[s][t]: fraction of source s's successful adversarial examples misclassified by target t. */
  matrix: (number | null)[][];
  /** fooled[s][t]: the counts behind `matrix` (out of `sources[s].successful`). */
  fooled: number[][];
  seconds: number;
  examples?: TransferExamples;
}

export interface TransferExamples {
  /** Indices of the samples in the test split. */
  indices: number[];
  labels: number[];
  inputs: Float32Array;
  /** adversarial[s]: one row per sample (the input itself where nothing was found). */
  adversarial: Float32Array[];
  /** success[s][n]: sample n is correctly classified by source s and its adversarial fools s. */
  success: boolean[][];
}

/** Epochs of the gradient-trained models: at least 10, more on small training sets (~1e5 example visits). */
export function trainingEpochs(trainCount: number): number {
  return Math.max(10, Math.ceil(1e5 / trainCount));
}

const BUDGET_TOLERANCE = 1e-5;
export const DEFAULT_PGD_STEPS = 40;

/** Throws unless every adversarial value lies within eps (Linf) of its input and inside bounds. */
export function checkBudget(
  inputs: Float32Array,
  adversarial: Float32Array,
  eps: number,
  bounds: readonly [number, number],
  who: string,
): void {
  if (adversarial.length !== inputs.length)
    throw new Error(`transfer: ${who} returned ${adversarial.length} values for ${inputs.length}`);
  for (let i = 0; i < inputs.length; i++) {
    const v = adversarial[i];
    if (!(Math.abs(v - inputs[i]) <= eps + BUDGET_TOLERANCE))
      throw new Error(`transfer: ${who} moved value ${i} by ${Math.abs(v - inputs[i])}, beyond eps ${eps}`);
    if (!(v >= bounds[0] - BUDGET_TOLERANCE && v <= bounds[1] + BUDGET_TOLERANCE))
      throw new Error(`transfer: ${who} produced value ${v} outside the bounds [${bounds[0]}, ${bounds[1]}]`);
  }
}

/** FGSM, or Linf PGD with a random start and `steps` steps of 2.5 eps / steps (Madry et al.'s rule). */
function createCoreAttack(name: TransferAttack, seed: number, steps = DEFAULT_PGD_STEPS): Attack {
  return name === 'fgsm'
    ? createAttack('fgsm', { seed })
    : createAttack('linf-pgd', { seed, steps, relStepsize: 2.5 / steps, randomStart: true });
}

/** Runs `attack` white-box on a differentiable classifier, `batchSize` rows at a time; returns the clipped rows. */
async function attackRows(
  attack: Attack,
  model: TensorClassifier,
  rows: Float32Array,
  labels: readonly number[],
  eps: number,
  onBatch: (done: number, total: number) => void,
  batchSize = 250,
): Promise<Float32Array> {
  const d = model.numFeatures;
  const count = labels.length;
  const [h, w, c] = model.inputShape;
  const out = new Float32Array(rows.length);
  for (let start = 0; start < count; start += batchSize) {
    const size = Math.min(batchSize, count - start);
    const x = tf.tensor4d(rows.subarray(start * d, (start + size) * d), [size, h, w, c]);
    const { raw, clipped } = await attack.run(model, x, labels.slice(start, start + size), { epsilons: eps });
    out.set(clipped.dataSync() as Float32Array, start * d);
    tf.dispose([x, raw, clipped]);
    onBatch(start + size, count);
    await new Promise((resolve) => setImmediate(resolve));
  }
  return out;
}

interface Trained {
  family: TransferFamily;
  model: Classifier;
}

function checkOptions(options: TransferExperimentOptions, test: ImageDataset) {
  const models = [...(options.models ?? TRANSFER_FAMILIES)];
  if (models.length === 0) throw new AdvxError('bad-option', 'transfer: give at least one model');
  for (const m of models)
    if (!(TRANSFER_FAMILIES as readonly string[]).includes(m))
      throw new AdvxError(
        'bad-option',
        `transfer: unknown model '${String(m)}' (available: ${TRANSFER_FAMILIES.join(', ')})`,
      );
  const twice = models.find((m, i) => models.indexOf(m) !== i);
  if (twice !== undefined) throw new AdvxError('bad-option', `transfer: model '${twice}' given twice`);
  const attack = options.attack ?? 'fgsm';
  if (!(TRANSFER_ATTACKS as readonly string[]).includes(attack))
    throw new AdvxError('bad-option', `transfer: attack must be 'fgsm' or 'pgd' (got '${String(attack)}')`);
  const eps = options.eps ?? 0.3;
  if (!(eps > 0 && eps <= 1))
    throw new AdvxError('bad-option', `transfer: eps must be in (0, 1] (got ${eps})`);
  const samples = options.samples ?? 500;
  if (!(Number.isInteger(samples) && samples >= 1))
    throw new AdvxError('bad-option', `transfer: samples must be a positive integer (got ${samples})`);
  if (samples > test.count)
    throw new AdvxError(
      'bad-option',
      `transfer: ${samples} samples asked, the test split has ${test.count} images`,
    );
  const seed = checkSeed(options.seed ?? 0, 'transfer: seed');
  if (options.steps !== undefined) checkCount(options.steps, 'transfer: steps', 1, LIMITS.count, 'steps');
  const sub = {
    seeds: options.substitute?.seeds ?? 300,
    rounds: options.substitute?.rounds ?? 4,
    lambda: options.substitute?.lambda ?? 0.1,
  };
  if (!(Number.isInteger(sub.seeds) && sub.seeds >= 10))
    throw new AdvxError(
      'bad-option',
      `transfer: substitute seeds must be an integer >= 10 (got ${sub.seeds})`,
    );
  if (!(Number.isInteger(sub.rounds) && sub.rounds >= 1 && sub.rounds <= 10))
    throw new AdvxError(
      'bad-option',
      `transfer: substitute rounds must be an integer in 1..10 (got ${sub.rounds})`,
    );
  if (!(sub.lambda > 0))
    throw new AdvxError('bad-option', `transfer: substitute lambda must be > 0 (got ${sub.lambda})`);
  return { models, attack, eps, samples, seed, sub };
}

export async function transferExperiment(
  data: TransferData,
  options: TransferExperimentOptions = {},
): Promise<TransferExperimentResult> {
  const started = Date.now();
  const { train, test } = data;
  const { models, attack: attackName, eps, samples, seed, sub } = checkOptions(options, test);
  if (sub.seeds > train.count)
    throw new AdvxError(
      'bad-option',
      `transfer: ${sub.seeds} substitute seeds asked, the training split has ${train.count} images`,
    );
  const report = options.onProgress ?? (() => undefined);
  const rng = new Rng(seed);
  const seeds = {
    sample: rng.seed(),
    dnn: rng.seed(),
    lr: rng.seed(),
    svm: rng.seed(),
    tree: rng.seed(),
    knn: rng.seed(),
    substitute: rng.seed(),
    attack: rng.seed(),
  };
  const bounds: [number, number] = [0, 1];
  const d = test.shape[0] * test.shape[1] * test.shape[2];

  // --- training -----------------------------------------------------------------------------------
  const needed = new Set<TransferFamily>(models);
  if (needed.has('ens')) for (const m of ENSEMBLE_MEMBERS) needed.add(m);
  const order = TRANSFER_FAMILIES.filter((f) => needed.has(f));
  const epochs = trainingEpochs(train.count);
  const units = (f: TransferFamily) => (f === 'dnn' || f === 'lr' || f === 'svm' ? epochs : 1);
  const totalUnits = order.reduce((s, f) => s + units(f), 0);
  let doneUnits = 0;
  const trained = new Map<TransferFamily, Classifier>();
  const all: Trained[] = [];
  try {
    for (const family of order) {
      const label = `training ${family}`;
      report({ phase: 'train', done: doneUnits, total: totalUnits, label });
      await new Promise((resolve) => setImmediate(resolve));
      const onEpoch = (epoch: number) =>
        report({
          phase: 'train',
          done: doneUnits + epoch,
          total: totalUnits,
          label: `${label} (epoch ${epoch}/${epochs})`,
        });
      let model: Classifier;
      switch (family) {
        case 'dnn':
          model = trainMlp(train, { name: 'dnn', hidden: [200, 200], epochs, seed: seeds.dnn, onEpoch });
          break;
        case 'lr':
          model = trainLogisticRegression(train, { name: 'lr', epochs, seed: seeds.lr, onEpoch });
          break;
        case 'svm':
          model = trainLinearSvm(train, { name: 'svm', epochs, seed: seeds.svm, onEpoch });
          break;
        case 'tree':
          model = trainDecisionTree(train, { name: 'tree', maxDepth: 12, seed: seeds.tree });
          break;
        case 'knn':
          model = trainKnn(train, { name: 'knn', k: 5, seed: seeds.knn });
          break;
        case 'ens':
          model = new Ensemble(
            ENSEMBLE_MEMBERS.map((m) => trained.get(m) as Classifier),
            { name: 'ens', mode: 'vote' },
          );
          break;
      }
      trained.set(family, model);
      all.push({ family, model });
      doneUnits += units(family);
      report({ phase: 'train', done: doneUnits, total: totalUnits, label });
    }
    const modelOf = (f: TransferFamily) => trained.get(f) as Classifier;

    // --- clean accuracy on the whole test split, and the samples ------------------------------------
    const testPredictions = new Map<TransferFamily, Int32Array>();
    for (const [i, f] of models.entries()) {
      report({ phase: 'evaluate', done: i, total: models.length, label: `clean accuracy of ${f}` });
      await new Promise((resolve) => setImmediate(resolve));
      testPredictions.set(f, modelOf(f).predict(test.images));
    }
    const cleanAccuracy = models.map((f) => {
      const p = testPredictions.get(f) as Int32Array;
      let correct = 0;
      for (let i = 0; i < test.count; i++) if (p[i] === test.labels[i]) correct++;
      return correct / test.count;
    });
    const indices = Array.from(new Rng(seeds.sample).permutation(test.count).subarray(0, samples));
    const picked = selectRows(test, indices);
    const inputs = picked.images;
    const labels = Array.from(picked.labels);

    // --- crafting -----------------------------------------------------------------------------------
    const attack = createCoreAttack(attackName, seeds.attack, options.steps);
    const craftSteps = models.length * samples;
    const adversarial: Float32Array[] = [];
    const substituteStats = new Map<TransferFamily, TransferSubstituteStats>();
    const methods: string[] = [];
    for (const [s, family] of models.entries()) {
      const source = modelOf(family);
      const progress = (label: string) => (done: number, total: number) =>
        report({
          phase: 'craft',
          done: s * samples + Math.round((done / total) * samples),
          total: craftSteps,
          label,
        });
      report({ phase: 'craft', done: s * samples, total: craftSteps, label: `crafting on ${family}` });
      await new Promise((resolve) => setImmediate(resolve));
      let rows: Float32Array;
      if (family === 'tree') {
        rows = treeAttack(source as DecisionTree, inputs, { eps }).adversarial;
        methods.push(`tree attack (Papernot et al. 2016), Linf <= eps`);
      } else if (source.differentiable) {
        rows = await attackRows(
          attack,
          source as TensorClassifier,
          inputs,
          labels,
          eps,
          progress(`${attack.name} on ${family}`),
        );
        methods.push(`white-box ${attack.name}`);
      } else {
        const seedSet = selectRows(
          train,
          Array.from(new Rng(seeds.substitute + s).permutation(train.count).subarray(0, sub.seeds)),
        );
        let round = 0;
        const result = trainSubstitute(source, seedSet, {
          rounds: sub.rounds,
          lambda: sub.lambda,
          hidden: [200, 200],
          epochs: 10,
          seed: seeds.substitute + 97 * s,
          bounds,
          name: `substitute-of-${family}`,
          onRound: () => progress(`substitute for ${family}`)(++round, 2 * sub.rounds),
        });
        try {
          const agree = agreement(result.model, source, inputs);
          substituteStats.set(family, {
            seeds: sub.seeds,
            rounds: sub.rounds,
            queries: result.queries,
            agreement: agree,
          });
          rows = await attackRows(attack, result.model, inputs, labels, eps, (done, total) =>
            progress(`${attack.name} on the substitute of ${family}`)(
              sub.rounds + (done / total) * sub.rounds,
              2 * sub.rounds,
            ),
          );
        } finally {
          result.model.dispose();
        }
        methods.push(
          `black-box: ${attack.name} on an MLP substitute (${sub.rounds} rounds, ${result.queries} queries)`,
        );
      }
      checkBudget(inputs, rows, eps, bounds, `crafting on ${family}`);
      adversarial.push(rows);
    }
    report({ phase: 'craft', done: craftSteps, total: craftSteps, label: 'crafted' });

    // --- transfer -----------------------------------------------------------------------------------
    const n = samples;
    const success: boolean[][] = [];
    const fooled: number[][] = [];
    const matrix: (number | null)[][] = [];
    const sources: TransferSourceStats[] = [];
    const evaluations = models.length * models.length;
    for (const [s, family] of models.entries()) {
      const cleanPred = testPredictions.get(family) as Int32Array;
      const predictions = models.map((t, j) => {
        report({
          phase: 'evaluate',
          done: s * models.length + j,
          total: evaluations,
          label: `${family} -> ${t}`,
        });
        return modelOf(t).predict(adversarial[s]);
      });
      await new Promise((resolve) => setImmediate(resolve));
      const own = predictions[s];
      const ok = indices.map((j, i) => cleanPred[j] === labels[i]);
      const hit = ok.map((c, i) => c && own[i] !== labels[i]);
      success.push(hit);
      const attacked = ok.filter(Boolean).length;
      const successful = hit.filter(Boolean).length;
      let maxLinf = 0;
      for (let i = 0; i < n; i++) {
        if (!hit[i]) continue;
        for (let j = i * d; j < (i + 1) * d; j++)
          maxLinf = Math.max(maxLinf, Math.abs(adversarial[s][j] - inputs[j]));
      }
      const counts = predictions.map((p) => {
        let c = 0;
        for (let i = 0; i < n; i++) if (hit[i] && p[i] !== labels[i]) c++;
        return c;
      });
      fooled.push(counts);
      matrix.push(counts.map((c) => (successful === 0 ? null : c / successful)));
      const stats: TransferSourceStats = {
        model: family,
        method: methods[s],
        attacked,
        successful,
        successRate: attacked === 0 ? null : successful / attacked,
        maxLinf,
      };
      const subStats = substituteStats.get(family);
      if (subStats !== undefined) stats.substitute = subStats;
      sources.push(stats);
    }
    report({ phase: 'evaluate', done: evaluations, total: evaluations, label: 'done' });

    const result: TransferExperimentResult = {
      dataset: data.dataset,
      attack: { name: attackName, eps, options: attack.describe() },
      models,
      trainCount: train.count,
      testCount: test.count,
      samples,
      seed,
      cleanAccuracy,
      sources,
      matrix,
      fooled,
      seconds: (Date.now() - started) / 1000,
    };
    if (options.keepExamples) result.examples = { indices, labels, inputs, adversarial, success };
    return result;
  } finally {
    for (const { model } of all) model.dispose();
  }
}
