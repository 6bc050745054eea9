/**
 * `evaluate(model, data, protocol, options)`: robust accuracy under a protocol's attacks, the way
 * AutoAttack runs them. A clean pass classifies every image (and runs the sanity checks); then each
 * attack in turn runs ONLY on the images still robust (classified correctly and fooled by no attack
 * before it), a batch at a time, and an image any attack fools stays fooled (per-image worst case).
 *
 * Batches are blocks: the images cut every `batchSize` in dataset order (block b holds images
 * b*batchSize..(b+1)*batchSize-1). The clean pass classifies block after block; attack k's batch b is the
 * images of block b still robust when it starts, attacked with an attack created afresh with seed
 * `batchSeed(seed, k, b)`. So what happens to an image depends only on its own block, never on what the
 * attacks did to other blocks: a run over any whole blocks of the images (a shard on a queue worker,
 * src/queue, with `firstBatch` its first block's number) gives those images exactly the results of the
 * whole run.
 *
 * Resuming: with `out`, the state is replaced atomically after every batch (evaluation-state.ts), and
 * `resume` continues from it. The result equals an uninterrupted run's because nothing depends on when the
 * process stopped: each batch is recomputed from the recorded per-image results and draws the same
 * random numbers whether or not the run was interrupted before it. (A randomized model, by nature, does
 * not repeat itself.)
 */
import { join } from 'node:path';
import { writeFileAtomically } from '../data/atomic-write.js';
import { yieldToEventLoop } from '../engine/event-loop.js';
import { tf, type Tensor2D, type Tensor4D } from '../engine/tf.js';
import { crossEntropyLoss } from '../models/loss.js';
import type { Model } from '../models/model.js';
import {
  checkDataFitsModel,
  dataDigest,
  loadEvaluationData,
  type DatasetSelection,
  type EvaluationData,
} from './evaluation-data.js';
import {
  attackWarnings,
  cleanPassWarnings,
  resultOfState,
  robustAfter,
  type EvaluationResult,
} from './evaluation-result.js';
import {
  newState,
  openState,
  RESULT_FILE,
  saveState,
  startState,
  type EvaluationConfig,
  type EvaluationState,
} from './evaluation-state.js';
import { ObservedModel } from './observed-model.js';
import {
  attackOfBatch,
  batchSeed,
  EVALUATION_NORMS,
  protocolAttacks,
  type EvaluationNorm,
  type NamedAttack,
  type Protocol,
  type ProtocolName,
} from './protocols.js';
import { badGradients, outputsDiffer, probabilityRows } from './sanity-checks.js';

export const DEFAULT_BATCH_SIZE = 100;

export type EvaluationEvent =
  /** The run starts (`resumed`: from a state file; `cleanDone` images already classified). */
  | { kind: 'start'; images: number; attacks: string[]; resumed: boolean; cleanDone: number }
  /** Images done in the clean pass or in the current attack (`total`: the images it attacks). */
  | {
      kind: 'progress';
      stage: 'clean' | 'attack';
      attack: string | null;
      attackIndex: number;
      attacks: number;
      done: number;
      total: number;
      /** Seconds left in this stage, from the pace of this process (null before the first batch). */
      etaSeconds: number | null;
    }
  | { kind: 'clean'; cleanAccuracy: number; correct: number; images: number }
  /** An attack finished: robust accuracy after it. */
  | {
      kind: 'attack';
      name: string;
      attacked: number;
      robustAccuracy: number;
      robust: number;
      images: number;
      seconds: number;
    }
  | { kind: 'warning'; message: string };

export interface EvaluateOptions {
  norm: EvaluationNorm;
  eps: number;
  /** Seed of every attack's randomness (default 0). */
  seed?: number;
  /** Images per batch (default 100). */
  batchSize?: number;
  /**
   * Number of the first batch when these images are a shard of a larger evaluation that starts
   * `firstBatch * batchSize` images earlier (src/queue): seeds and the first-batch sanity check use the
   * larger evaluation's batch numbers, so the shard's per-image results are that evaluation's. Default 0.
   */
  firstBatch?: number;
  /** Output folder for state.json (after every batch) and evaluation.json (at the end). */
  out?: string;
  /** Continue the evaluation recorded in `out` (same configuration only). */
  resume?: boolean;
  /** Replace an earlier evaluation's files in `out`. */
  force?: boolean;
  onEvent?: (event: EvaluationEvent) => void;
}

/** The largest eps that means anything for this norm: the whole input range. */
export function largestEps(norm: EvaluationNorm, model: Model): number {
  const range = model.bounds[1] - model.bounds[0];
  const [h, w, c] = model.inputShape;
  return norm === 'linf' ? range : range * Math.sqrt(h * w * c);
}

/** Throws a one-line error for a bad norm, eps, seed, batch size or folder option. */
export function checkEvaluateOptions(
  model: Model,
  options: EvaluateOptions,
): { seed: number; batchSize: number; firstBatch: number } {
  const { norm, eps, seed = 0, batchSize = DEFAULT_BATCH_SIZE } = options;
  if (!(EVALUATION_NORMS as readonly string[]).includes(norm))
    throw new Error(`unknown norm '${norm}' (known: ${EVALUATION_NORMS.join(', ')})`);
  const largest = largestEps(norm, model);
  if (!Number.isFinite(eps) || eps < 0 || eps > largest)
    throw new Error(
      `eps ${eps} is out of range [0, ${Number(largest.toPrecision(6))}] for the ${norm} norm and bounds [${model.bounds}]`,
    );
  if (!Number.isInteger(seed) || seed < 0) throw new Error(`seed: give an integer >= 0 (got ${seed})`);
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new Error(`batch size: give an integer >= 1 (got ${batchSize})`);
  const { firstBatch = 0 } = options;
  if (!Number.isInteger(firstBatch) || firstBatch < 0)
    throw new Error(`first batch: give an integer >= 0 (got ${firstBatch})`);
  if (firstBatch > 0 && options.out !== undefined)
    throw new Error('first batch: a shard runs without an output folder (out)');
  if ((options.resume || options.force) && options.out === undefined)
    throw new Error(`${options.resume ? 'resume' : 'force'}: give the output folder (out)`);
  if (options.resume && options.force) throw new Error('resume and force exclude each other');
  return { seed, batchSize, firstBatch };
}

function range(from: number, to: number): number[] {
  return Array.from({ length: Math.max(0, to - from) }, (_, i) => from + i);
}

/** Pace of one stage in this process, for the ETA. */
class Pace {
  private readonly start = Date.now();
  private done = 0;
  add(images: number) {
    this.done += images;
  }
  eta(remaining: number): number | null {
    if (this.done === 0) return null;
    return (((Date.now() - this.start) / 1000) * remaining) / this.done;
  }
}

/** Everything one evaluation run holds. */
interface Run {
  model: Model;
  data: EvaluationData;
  attacks: NamedAttack[];
  state: EvaluationState;
  batchSize: number;
  /** Number of the first block (see EvaluateOptions.firstBatch). */
  firstBatch: number;
  out?: string;
  emit: (event: EvaluationEvent) => void;
}

function save(run: Run): void {
  if (run.out !== undefined) saveState(run.out, run.state);
}

/** Clean predictions of one batch, with the sanity checks that look at the clean pass. */
async function cleanBatch(run: Run, x: Tensor4D, labels: number[], first: boolean): Promise<boolean[]> {
  const { model, state } = run;
  if (first) {
    const a = await model.logits(x);
    const b = await model.logits(x).catch((error: unknown) => {
      a.dispose();
      throw error;
    });
    state.sanity.randomized = outputsDiffer(a, b);
    tf.dispose([a, b]);
  }
  let logits: Tensor2D;
  if (model.differentiable) {
    const pass = await model.lossGradient(x, crossEntropyLoss(labels, false));
    let bad: ReturnType<typeof badGradients>;
    try {
      bad = badGradients(pass.gradient);
    } catch (error) {
      tf.dispose([pass.gradient, pass.loss, pass.logits]);
      throw error;
    }
    const seen = state.sanity.gradients ?? { zero: 0, nonFinite: 0, checked: 0 };
    state.sanity.gradients = {
      zero: seen.zero + bad.zero,
      nonFinite: seen.nonFinite + bad.nonFinite,
      checked: seen.checked + labels.length,
    };
    tf.dispose([pass.gradient, pass.loss]);
    logits = pass.logits;
  } else {
    logits = await model.logits(x);
  }
  try {
    state.sanity.probabilityRows += probabilityRows(logits);
    const predicted = tf.tidy(() => tf.argMax(logits, 1).dataSync());
    return labels.map((label, i) => predicted[i] === label);
  } finally {
    logits.dispose();
  }
}

async function cleanPass(run: Run): Promise<void> {
  const { data, state, batchSize, emit } = run;
  const n = data.indices.length;
  const pace = new Pace();
  while (state.perImage.length < n) {
    const started = Date.now();
    const positions = range(state.perImage.length, Math.min(state.perImage.length + batchSize, n));
    const labels = positions.map((p) => data.labels[p]);
    const x = await data.load(positions, run.model);
    let correct: boolean[];
    try {
      correct = await cleanBatch(run, x, labels, positions[0] === 0 && run.firstBatch === 0);
    } finally {
      x.dispose();
    }
    positions.forEach((p, i) =>
      state.perImage.push({ index: data.indices[p], label: labels[i], clean: correct[i], fooledBy: null }),
    );
    state.cleanSeconds += (Date.now() - started) / 1000;
    save(run);
    pace.add(positions.length);
    const done = state.perImage.length;
    emit({
      kind: 'progress',
      stage: 'clean',
      attack: null,
      attackIndex: -1,
      attacks: run.attacks.length,
      done,
      total: n,
      etaSeconds: pace.eta(n - done),
    });
    await yieldToEventLoop();
  }
}

/** Whether attack `k` attacks this image: robust when it starts (those it fooled itself included). */
function isTarget(p: EvaluationState['perImage'][number], k: number): boolean {
  return p.clean && (p.fooledBy === null || p.fooledBy >= k);
}

/** Positions of the images attack `k` attacks. */
function targetsOf(state: EvaluationState, k: number): number[] {
  return range(0, state.perImage.length).filter((i) => isTarget(state.perImage[i], k));
}

/** Positions of the images attack `k` attacks in block `b`: its batch b. */
function blockTargets(state: EvaluationState, k: number, b: number, batchSize: number): number[] {
  const end = Math.min((b + 1) * batchSize, state.perImage.length);
  return range(b * batchSize, end).filter((i) => isTarget(state.perImage[i], k));
}

async function attackBatch(
  run: Run,
  k: number,
  batch: number,
  positions: number[],
  onStep: (fraction: number) => void,
): Promise<{ fooled: boolean[]; usedGradients: boolean }> {
  const { data, state } = run;
  const attack = attackOfBatch(run.attacks[k], batchSeed(state.config.seed, k, run.firstBatch + batch));
  const observed = new ObservedModel(run.model);
  const labels = positions.map((p) => data.labels[p]);
  const x = await data.load(positions, run.model);
  try {
    const result = await attack.run(observed, x, labels, {
      epsilons: state.config.eps,
      onProgress: (p) => onStep(p.steps > 0 ? p.step / p.steps : 0),
    });
    tf.dispose([result.raw, result.clipped]);
    return { fooled: result.success, usedGradients: observed.gradientCalls > 0 };
  } finally {
    x.dispose();
  }
}

async function runAttack(run: Run, k: number): Promise<void> {
  const { state, batchSize, emit } = run;
  const record = state.attacks[k];
  const total = targetsOf(state, k).length;
  const blocks = Math.ceil(state.perImage.length / batchSize);
  const pace = new Pace();
  const progress = (done: number) =>
    emit({
      kind: 'progress',
      stage: 'attack',
      attack: record.name,
      attackIndex: k,
      attacks: state.attacks.length,
      done: Math.floor(done),
      total,
      etaSeconds: pace.eta(total - done),
    });
  let done = 0;
  for (let b = 0; b < record.batchesDone; b++) done += blockTargets(state, k, b, batchSize).length;
  progress(done);
  for (let b = record.batchesDone; b < blocks; b++) {
    const positions = blockTargets(state, k, b, batchSize);
    record.batchesDone = b + 1;
    if (positions.length === 0) continue; // nothing robust left in this block
    const started = Date.now();
    const { fooled, usedGradients } = await attackBatch(run, k, b, positions, (fraction) =>
      progress(done + fraction * positions.length),
    );
    positions.forEach((p, i) => {
      if (fooled[i] && state.perImage[p].fooledBy === null) state.perImage[p].fooledBy = k;
    });
    record.usedGradients = (record.usedGradients ?? false) || usedGradients;
    record.seconds += (Date.now() - started) / 1000;
    save(run);
    pace.add(positions.length);
    done += positions.length;
    progress(done);
    await yieldToEventLoop();
  }
  record.done = true;
  save(run);
  emit(attackEvent(state, k));
}

/** The event of a finished attack `k`: robust accuracy after it. */
export function attackEvent(state: EvaluationState, k: number): EvaluationEvent {
  const n = state.config.images;
  return {
    kind: 'attack',
    name: state.attacks[k].name,
    attacked: targetsOf(state, k).length,
    robust: robustAfter(state, k),
    robustAccuracy: robustAfter(state, k) / n,
    images: n,
    seconds: state.attacks[k].seconds,
  };
}

function resolveData(data: EvaluationData | DatasetSelection): EvaluationData {
  return 'load' in data ? data : loadEvaluationData(data);
}

/** An evaluation checked and ready to run: its configuration, and its state folder opened. */
export interface PreparedEvaluation {
  readonly config: EvaluationConfig;
  /** True when it continues a recorded state. */
  readonly resumed: boolean;
  /** The state the run continues from and updates (per-image outcomes, sanity counts, attack records). */
  readonly state: EvaluationState;
  run(): Promise<EvaluationResult>;
}

/**
 * Checks everything a caller gave (options, data against the model, protocol, the output folder and,
 * when resuming, that the recorded configuration matches) before any attack runs: every error of bad
 * input surfaces here.
 */
export async function prepareEvaluation(
  model: Model,
  data: EvaluationData | DatasetSelection,
  protocol: ProtocolName | Protocol,
  options: EvaluateOptions,
): Promise<PreparedEvaluation> {
  const { seed, batchSize, firstBatch } = checkEvaluateOptions(model, options);
  const images = resolveData(data);
  if (images.indices.length === 0) throw new Error(`${images.name}: no images to evaluate`);
  checkDataFitsModel(images, model);
  const attacks = protocolAttacks(protocol, {
    norm: options.norm,
    eps: options.eps,
    numClasses: model.numClasses,
  });
  const config: EvaluationConfig = {
    model: model.name,
    dataset: images.name,
    images: images.indices.length,
    offset: images.indices[0],
    data: dataDigest(images),
    protocol: typeof protocol === 'string' ? protocol : protocol.name,
    attacks: attacks.map((a) => a.name),
    norm: options.norm,
    eps: options.eps,
    seed,
    batchSize,
  };
  const state = options.out === undefined ? newState(config) : openState(options.out, config, options);
  const emit = options.onEvent ?? (() => undefined);
  const run: Run = { model, data: images, attacks, state, batchSize, firstBatch, out: options.out, emit };
  const resumed = options.resume === true;
  return { config, resumed, state, run: () => runEvaluation(run, resumed) };
}

async function runEvaluation(run: Run, resumed: boolean): Promise<EvaluationResult> {
  const { state, emit } = run;
  const { config } = state;
  if (run.out !== undefined) startState(run.out, state, resumed);
  emit({
    kind: 'start',
    images: config.images,
    attacks: config.attacks,
    resumed,
    cleanDone: state.perImage.length,
  });
  await cleanPass(run);
  const correct = robustAfter(state, -1);
  emit({ kind: 'clean', cleanAccuracy: correct / config.images, correct, images: config.images });
  cleanPassWarnings(state).forEach((message) => emit({ kind: 'warning', message }));
  for (let k = 0; k < run.attacks.length; k++) {
    if (state.attacks[k].done) emit(attackEvent(state, k));
    else await runAttack(run, k);
  }
  attackWarnings(state).forEach((message) => emit({ kind: 'warning', message }));
  const result = resultOfState(state);
  if (run.out !== undefined)
    writeFileAtomically(
      join(run.out, RESULT_FILE),
      Buffer.from(JSON.stringify(result, null, 2) + '\n'),
      true,
    );
  return result;
}

/** Robust accuracy of `model` on `data` under `protocol` at `eps` (see the file comment). */
export async function evaluate(
  model: Model,
  data: EvaluationData | DatasetSelection,
  protocol: ProtocolName | Protocol,
  options: EvaluateOptions,
): Promise<EvaluationResult> {
  return (await prepareEvaluation(model, data, protocol, options)).run();
}
