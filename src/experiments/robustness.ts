/**
 * The robustness experiment: robust accuracy against eps for a naturally trained classifier, an
 * adversarially trained one and the GAN projection defense, under FGSM and PGD with restarts, and for the
 * projection defense also under the attacks that matter for it:
 *
 * - `pgd-oblivious`: PGD crafted on the bare classifier, judged behind the projection (the attacker
 *   ignores the defense; the projection is expected to resist this);
 * - `bpda-pgd`: PGD on the whole pipeline with BPDA (forward through G(z*), identity backward), each
 *   input kept at the first iterate that fools the defense (PGD's `earlyStop`);
 * - `bpda-eot-pgd`: the same against the randomized projection (fresh restarts per call), each gradient
 *   averaged over `eotSamples` projections (EOT), judged on the deployed defense;
 * - `latent-space`: the on-manifold attack (defenses/latent-space-attack.ts): a code z with G(z)
 *   misclassified and within eps of the input, the defense given the ball's point nearest to G(z).
 *
 * Returns plain rows; writers (CSV, plot, table) are in robustness-writers.ts.
 */
import { MAX_SEED } from '../engine/random.js';
import { tf, type Tensor4D } from '../engine/tf.js';
import { AdvxError } from '../errors.js';
import { checkCount, LIMITS } from '../limits.js';
import { FGSM, LinfPGD, type Attack } from '../attacks/index.js';
import type { Model } from '../models/model.js';
import { expectationOverTransformation } from '../defenses/bpda.js';
import { robustAccuracy } from '../defenses/evaluation.js';
import { ganProjection, type ProjectionOptions } from '../defenses/gan-projection.js';
import { LatentSpaceAttack } from '../defenses/latent-space-attack.js';

export const ROBUSTNESS_ATTACKS = [
  'fgsm',
  'pgd',
  'pgd-oblivious',
  'bpda-pgd',
  'bpda-eot-pgd',
  'latent-space',
] as const;
export type RobustnessAttack = (typeof ROBUSTNESS_ATTACKS)[number];

export interface RobustnessClassifier {
  /** Shown in tables and the plot (e.g. 'natural', 'pgd-trained'). */
  label: string;
  model: Model;
  defense: string;
}

export interface RobustnessSettings {
  epsilons: number[];
  /** PGD steps (the protocol: 20). */
  steps: number;
  /** PGD step relative to eps (0.125: 0.0125 at eps 0.1, the protocol). */
  relStepsize: number;
  /** PGD restarts (an input counts as robust only if it survives all). */
  restarts: number;
  seed: number;
  /** The projection: its settings as deployed (steps, restarts, lr). */
  projection: Omit<ProjectionOptions, 'seed' | 'batchSize'>;
  /** Projections averaged per EOT gradient. */
  eotSamples: number;
  /** Epsilons for the expensive projection attacks (default: all). */
  projectionEpsilons?: number[];
  /** Restarts of the projection attacks (default 1: each BPDA step costs a full projection). */
  projectionRestarts?: number;
  /** Adam steps of the latent-space attack on the projection (default 200; 0 skips it). */
  latentSteps?: number;
}

export interface RobustnessInput {
  classifiers: RobustnessClassifier[];
  /** The generator for the projection defense and the classifier it protects (omit to skip). */
  projection?: { generator: tf.LayersModel; classifier: RobustnessClassifier };
  x: Tensor4D;
  labels: number[];
  /** How many of the images (the first ones) the projection defense is evaluated on. */
  projectionImages: number;
  settings: RobustnessSettings;
  onProgress?: (label: string, done: number, total: number) => void;
}

export interface RobustnessRow {
  model: string;
  defense: string;
  attack: RobustnessAttack;
  eps: number;
  images: number;
  robustAccuracy: number;
  restarts: number;
  steps: number;
  stepSize: number;
  seconds: number;
}

export interface RobustnessResult {
  rows: RobustnessRow[];
  settings: RobustnessSettings;
}

const LATENT_STEPS = 200;
const LATENT_LR = 0.05;

/** PGD-`steps` with random start; `earlyStop` for the BPDA runs, whose target's output jumps. */
function pgd(settings: RobustnessSettings, restart: number, earlyStop = false): Attack {
  return new LinfPGD({
    steps: settings.steps,
    relStepsize: settings.relStepsize,
    randomStart: true,
    seed: settings.seed * 1000 + restart,
    earlyStop,
  });
}

/** Restart r of a run uses seed * 1000 + r (and + 500 + r for the latent attack): seeds stay below 2^32. */
export const ROBUSTNESS_MAX_SEED = Math.floor((MAX_SEED - 999) / 1000);

export function checkRobustnessSettings(s: RobustnessSettings): void {
  const fail = (option: string, message: string) => new AdvxError('bad-option', message, { option });
  if (s.epsilons.length === 0) throw fail('epsilons', 'robustness: give at least one epsilon');
  if (s.epsilons.length > LIMITS.listLength)
    throw new AdvxError('too-large', `robustness: at most ${LIMITS.listLength} epsilons`, {
      option: 'epsilons',
    });
  if (s.epsilons.some((e) => !(e >= 0) || !Number.isFinite(e)))
    throw fail('epsilons', `robustness: epsilons must be >= 0 (got ${s.epsilons})`);
  checkCount(s.steps, 'robustness: steps', 1, LIMITS.count, 'steps');
  checkCount(s.restarts, 'robustness: restarts', 1, LIMITS.count, 'restarts');
  // EOT runs the batch tiled eotSamples times in one pass
  checkCount(s.eotSamples, 'robustness: eotSamples', 1, LIMITS.batchSize, 'eotSamples');
  if (s.latentSteps !== undefined)
    checkCount(s.latentSteps, 'robustness: latentSteps', 0, LIMITS.count, 'latentSteps');
  if (!(s.relStepsize > 0))
    throw fail('relStepsize', `robustness: relStepsize must be > 0 (got ${s.relStepsize})`);
  checkCount(s.seed, 'robustness: seed', 0, ROBUSTNESS_MAX_SEED, 'seed');
}

export async function robustnessExperiment(input: RobustnessInput): Promise<RobustnessResult> {
  const s = input.settings;
  checkRobustnessSettings(s);
  if (input.labels.length !== input.x.shape[0])
    throw new AdvxError(
      'bad-input',
      `robustness: ${input.labels.length} labels for ${input.x.shape[0]} images`,
      {
        option: 'labels',
      },
    );
  const rows: RobustnessRow[] = [];
  const n = input.x.shape[0];
  type Job = {
    label: string;
    defense: string;
    attack: RobustnessAttack;
    model: Model;
    source?: Model;
    make: (restart: number) => Attack;
    restarts: number;
    images: number;
    epsilons: number[];
    steps: number;
    stepSize: (eps: number) => number;
  };
  const jobs: Job[] = [];
  for (const c of input.classifiers) {
    jobs.push({
      label: c.label,
      defense: c.defense,
      attack: 'fgsm',
      model: c.model,
      make: () => new FGSM(),
      restarts: 1,
      images: n,
      epsilons: s.epsilons,
      steps: 1,
      stepSize: (eps) => eps,
    });
    jobs.push({
      label: c.label,
      defense: c.defense,
      attack: 'pgd',
      model: c.model,
      make: (r) => pgd(s, r),
      restarts: s.restarts,
      images: n,
      epsilons: s.epsilons,
      steps: s.steps,
      stepSize: (eps) => s.relStepsize * eps,
    });
  }
  const disposables: tf.Tensor[] = [];
  if (input.projection !== undefined) {
    const { generator, classifier } = input.projection;
    const m = Math.min(input.projectionImages, n);
    const label = `${classifier.label}+gan-projection`;
    const deployed = ganProjection(generator, classifier.model, {
      ...s.projection,
      seed: s.seed,
      name: label,
    });
    const randomized = ganProjection(generator, classifier.model, {
      ...s.projection,
      seed: s.seed + 1,
      fresh: true,
      name: `${label} (fresh)`,
    });
    const eot = expectationOverTransformation(randomized, s.eotSamples);
    const epsilons = s.projectionEpsilons ?? s.epsilons;
    const restarts = s.projectionRestarts ?? 1;
    const base = {
      label,
      defense: 'gan-projection',
      model: deployed as Model,
      images: m,
      epsilons,
      steps: s.steps,
      stepSize: (eps: number) => s.relStepsize * eps,
    };
    jobs.push({
      ...base,
      attack: 'pgd-oblivious',
      source: classifier.model,
      make: (r) => pgd(s, r),
      restarts: s.restarts,
    });
    jobs.push({ ...base, attack: 'bpda-pgd', make: (r) => pgd(s, r, true), restarts });
    jobs.push({ ...base, attack: 'bpda-eot-pgd', source: eot, make: (r) => pgd(s, r, true), restarts });
    const latentSteps = s.latentSteps ?? LATENT_STEPS;
    if (latentSteps > 0) {
      jobs.push({
        ...base,
        attack: 'latent-space',
        make: (r) =>
          new LatentSpaceAttack({ steps: latentSteps, lr: LATENT_LR, seed: s.seed * 1000 + 500 + r }),
        restarts,
        steps: latentSteps,
        stepSize: () => LATENT_LR,
      });
    }
  }
  const xm = new Map<number, Tensor4D>();
  const imagesFor = (m: number) => {
    if (m === n) return input.x;
    let t = xm.get(m);
    if (t === undefined) {
      t = tf.slice(input.x, [0, 0, 0, 0], [m, -1, -1, -1]) as Tensor4D;
      xm.set(m, t);
      disposables.push(t);
    }
    return t;
  };
  try {
    for (const [j, job] of jobs.entries()) {
      const started = performance.now();
      const progressLabel = `${job.label} ${job.attack}`;
      input.onProgress?.(progressLabel, j, jobs.length);
      const results = await robustAccuracy(
        job.model,
        job.make,
        imagesFor(job.images),
        input.labels.slice(0, job.images),
        job.epsilons,
        {
          restarts: job.restarts,
          source: job.source,
          batchSize: job.defense === 'gan-projection' ? 50 : 500,
        },
      );
      const seconds = (performance.now() - started) / 1000;
      for (const r of results) {
        rows.push({
          model: job.label,
          defense: job.defense,
          attack: job.attack,
          eps: r.eps,
          images: job.images,
          robustAccuracy: r.robustAccuracy,
          restarts: job.restarts,
          steps: job.steps,
          stepSize: job.stepSize(r.eps),
          seconds: seconds / results.length,
        });
      }
      input.onProgress?.(progressLabel, j + 1, jobs.length);
    }
  } finally {
    tf.dispose(disposables);
  }
  return { rows, settings: s };
}
