/**
 * "Attack these images and write the results": the one run behind `advx attack` (fixed epsilons, a
 * minimization attack's smallest adversarial, or `--eps-search`) and the report's minimal-eps FGSM. It
 * runs the attack within the budget (attack-budget.ts), writes each adversarial and its magnified
 * perturbation as PNGs into an output folder when given (attack-image-files.ts names them), and returns
 * the entries of the CLI's JSON document (DESIGN.md): per image its label, clean top-k and one run per
 * outcome with eps, success, top-k, linf, l2, the PNG paths and the magnification.
 *
 * ```ts
 * const { images } = await attackImages(model, x, {
 *   files, attack: new attacks.FGSM(), criterion: criteria.misclassification(labels), labels,
 *   budget: { kind: 'search', grid: [0.01, 0.02, 0.03] }, output: { dir: 'out' },
 * });
 * ```
 */
import { join } from 'node:path';
import type { Attack } from '../attacks/index.js';
import type { Criterion } from '../criteria/index.js';
import { refuseExistingFiles } from '../data/output-folder.js';
import { magnifyPerturbation, perturbationToPng, tensorToPng, writePngFile } from '../data/png.js';
import { tf, type Tensor3D, type Tensor4D } from '../engine/tf.js';
import { AdvxError } from '../errors.js';
import { topPredictions, type Bounds, type Model, type Prediction } from '../models/model.js';
import {
  disposeOutcomes,
  runAttackBudget,
  type AttackBudget,
  type BudgetOutcome,
  type BudgetProgress,
} from './attack-budget.js';
import { attackImageFiles, type AttackImageFiles } from './attack-image-files.js';

export interface AttackImagesOutput {
  /** The folder of the PNGs; the entries name them under it as given (relative stays relative). */
  dir: string;
  /** Replace existing PNGs. Without it, one that exists is refused (AdvxError) before any attack runs. */
  overwrite?: boolean;
}

export interface AttackImagesOptions {
  /** The image files, one per row of the inputs: the entries' `file`, and the stems of the PNG names. */
  files: readonly string[];
  attack: Attack;
  criterion: Criterion;
  /** Each image's true class (the entries' `label`; `advx attack` takes the clean prediction). */
  labels: readonly number[];
  budget: AttackBudget;
  /** Classes kept per prediction (default 3). */
  top?: number;
  /** Where to write the PNGs; none: nothing is written (the entries have no paths). */
  output?: AttackImagesOutput;
  /** Return the adversarials (one batch per outcome) instead of disposing them; the caller disposes. */
  keepAdversarials?: boolean;
  /** Called once the options are checked, before the first attack run. */
  onStart?: () => void;
  onProgress?: (progress: BudgetProgress) => void;
}

export interface AttackedRun {
  /** The epsilon, or null for a minimization attack's smallest adversarial. */
  eps: number | null;
  success: boolean;
  top: Prediction[];
  linf: number;
  l2: number;
  /** The PNGs (with an output folder). */
  adversarial?: string;
  perturbation?: string;
  /** The factor the perturbation PNG is magnified by. */
  magnification: number;
  /** Model queries this image cost (score- and decision-based attacks). */
  queries?: number;
  /** With an eps search: the grid epsilon found and the largest epsilon at which the attack failed. */
  search?: { gridEps: number | null; failingEps: number; runs: number };
}

/** A run whose PNGs were written. */
export type WrittenRun = AttackedRun & AttackImageFiles;

export interface AttackedImage<Run extends AttackedRun = AttackedRun> {
  file: string;
  label: { index: number; name: string };
  clean: { top: Prediction[] };
  runs: Run[];
}

export interface AttackImagesResult<Run extends AttackedRun = AttackedRun> {
  images: AttackedImage<Run>[];
  /** With `keepAdversarials`: per outcome, the adversarials `[N,H,W,C]` (the caller disposes them). */
  adversarials?: Tensor4D[];
}

/** Image `n` of a batch, `[H,W,C]`. */
export function rowOf(t: Tensor4D, n: number): Tensor3D {
  return tf.tidy(() => tf.squeeze(tf.slice(t, [n, 0, 0, 0], [1, -1, -1, -1]), [0]) as Tensor3D);
}

function checkOptions(inputs: Tensor4D, options: AttackImagesOptions, top: number): void {
  const count = inputs.shape[0];
  if (options.files.length !== count || options.labels.length !== count)
    throw new AdvxError(
      'bad-input',
      `attack images: ${options.files.length} files and ${options.labels.length} labels for ${count} images`,
    );
  if (!Number.isInteger(top) || top < 1)
    throw new AdvxError('bad-option', `top must be an integer >= 1 (got ${top})`, { option: 'top' });
}

/** Refuses, before any work, to overwrite a PNG of an earlier run (output-folder.ts' one check). */
function refuseExisting(dir: string, files: AttackImageFiles[][]): void {
  refuseExistingFiles(
    dir,
    files.flat().flatMap((f) => [f.adversarial, f.perturbation]),
  );
}

/** Writes image `n`'s adversarial and magnified perturbation (when `paths`); returns the magnification. */
async function imagePngs(
  x: Tensor4D,
  adversarial: Tensor4D,
  n: number,
  bounds: Bounds,
  paths: AttackImageFiles | undefined,
  overwrite: boolean | undefined,
): Promise<number> {
  const adv = rowOf(adversarial, n);
  const delta = tf.tidy(() => tf.sub(adv, rowOf(x, n)) as Tensor3D);
  try {
    if (paths === undefined) return magnifyPerturbation(await delta.data(), bounds).magnification;
    // Without overwrite, exclusive creation: a file that appeared meanwhile is an error, never replaced.
    writePngFile(paths.adversarial, await tensorToPng(adv, bounds), { overwrite });
    const magnified = await perturbationToPng(delta, bounds);
    writePngFile(paths.perturbation, magnified.png, { overwrite });
    return magnified.magnification;
  } finally {
    tf.dispose([adv, delta]);
  }
}

/** The entries of every image: clean top-k, then one run per outcome (PNGs written on the way). */
async function entriesOf(
  model: Model,
  x: Tensor4D,
  outcomes: readonly BudgetOutcome[],
  options: AttackImagesOptions,
  top: number,
): Promise<AttackedImage[]> {
  const { files, labels, output } = options;
  const names = attackImageFiles(files, options.attack.name, options.budget);
  const cleanTop = await topPredictions(model, x, top);
  const images: AttackedImage[] = files.map((file, n) => ({
    file,
    label: { index: labels[n], name: model.labels[labels[n]] },
    clean: { top: cleanTop[n] },
    runs: [],
  }));
  for (const [e, outcome] of outcomes.entries()) {
    const advTop = await topPredictions(model, outcome.adversarial, top);
    for (let n = 0; n < files.length; n++) {
      const paths =
        output === undefined
          ? undefined
          : {
              adversarial: join(output.dir, names[n][e].adversarial),
              perturbation: join(output.dir, names[n][e].perturbation),
            };
      const magnification = await imagePngs(
        x,
        outcome.adversarial,
        n,
        model.bounds,
        paths,
        output?.overwrite,
      );
      const found = outcome.search?.[n];
      images[n].runs.push({
        eps: outcome.eps[n],
        success: outcome.success[n],
        top: advTop[n],
        linf: outcome.linf[n],
        l2: outcome.l2[n],
        ...paths,
        magnification,
        ...(outcome.queries === undefined ? {} : { queries: outcome.queries[n] }),
        ...(found === undefined
          ? {}
          : { search: { gridEps: found.gridEps, failingEps: found.failingEps, runs: found.runs } }),
      });
    }
  }
  return images;
}

/**
 * Attacks `inputs` (`[N,H,W,C]` in the model's bounds, one row per file; the caller keeps them) within
 * the budget and returns each image's entry; with `output`, writes the PNGs the entries name.
 */
export async function attackImages(
  model: Model,
  inputs: Tensor4D,
  options: AttackImagesOptions & { output: AttackImagesOutput },
): Promise<AttackImagesResult<WrittenRun>>;
export async function attackImages(
  model: Model,
  inputs: Tensor4D,
  options: AttackImagesOptions,
): Promise<AttackImagesResult>;
export async function attackImages(
  model: Model,
  inputs: Tensor4D,
  options: AttackImagesOptions,
): Promise<AttackImagesResult> {
  const top = options.top ?? 3;
  checkOptions(inputs, options, top);
  const { output } = options;
  if (output !== undefined && output.overwrite !== true)
    refuseExisting(output.dir, attackImageFiles(options.files, options.attack.name, options.budget));
  options.onStart?.();
  const outcomes = await runAttackBudget(
    options.attack,
    model,
    inputs,
    options.criterion,
    options.budget,
    options.onProgress,
  );
  let kept = false;
  try {
    const images = await entriesOf(model, inputs, outcomes, options, top);
    if (options.keepAdversarials !== true) return { images };
    kept = true;
    return { images, adversarials: outcomes.map((o) => o.adversarial) };
  } finally {
    if (!kept) disposeOutcomes(outcomes);
  }
}
