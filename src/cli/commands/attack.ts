/**
 * `advx attack IMAGE... --attack NAME [--eps LIST] [--steps N] [--step-size A] [--random-start]
 *  [--criterion C] [--label CLASS] [--model M] [--seed S] [--out DIR] [--json]`
 *
 * Shows the top-K predictions of each clean image and of its adversarial at each epsilon (the book's
 * Tables 10.1/10.2), and writes the adversarial image and the magnified perturbation as PNGs. A
 * minimization attack (cw, deepfool, ddn, fmn, ...) without --eps reports each image's smallest
 * adversarial found (one run with `eps: null`); fixed-epsilon attacks default to --eps 8/255.
 */
import type { Command } from 'commander';
import { attackNames, type Attack } from '../../attacks/index.js';
import { isMinimizationAttack } from '../../attacks/run-budgets.js';
import { openFreshOutputFolder, openOutputFolder, type OutputPlace } from '../../data/output-folder.js';
import { initEngine } from '../../engine/backend.js';
import type { Tensor4D } from '../../engine/tf.js';
import type { AttackBudget } from '../../evaluation/attack-budget.js';
import { attackImages } from '../../evaluation/attack-images.js';
import { EXPERIMENTS_FOLDER, timeStamp } from '../../experiments/experiment-folder.js';
import { classIndex } from '../../models/labels.js';
import { predictLabels, type Model } from '../../models/model.js';
import { renderAttackReport, type AttackReport } from '../attack-output.js';
import { ATTACK_FLAGS, createAttackFromFlags } from '../attack-settings.js';
import { CRITERION_HELP, parseCriterion } from '../criterion-option.js';
import { DEFAULT_EPS_GRID, parseEpsGrid } from '../eps-search-option.js';
import { asUsage } from '../errors.js';
import {
  addModelOptions,
  addResizeOption,
  loadImagesFromFlags,
  loadModelFromFlags,
  type ModelFlags,
  type ResizeFlags,
} from '../model-options.js';
import { flushNotes } from '../notes.js';
import { parseEpsilons, parseInteger, parseNumber, parseSeed } from '../options.js';
import { progressBar, type Progress } from '../progress.js';

export type { AttackReport } from '../attack-output.js';

export interface AttackFlags extends ModelFlags, ResizeFlags {
  attack: string;
  /** Default: 8/255 for fixed-epsilon attacks; none (the smallest adversarial) for minimization attacks. */
  eps?: string;
  steps?: string;
  stepSize?: string;
  randomStart?: boolean;
  repeats?: string;
  maxQueries?: string;
  criterion: string;
  label?: string;
  seed: string;
  top: string;
  out?: string;
  force?: boolean;
  json?: boolean;
  /** `--eps-search [START:STOP:STEP]`: true when given without a grid. */
  epsSearch?: string | boolean;
  bisect?: string;
}

/** The --eps of fixed-epsilon attacks when none is given. */
export const DEFAULT_EPS = '8/255';

/** The attack of --attack with its options; an option the attack does not take gets a note on stderr. */
function buildAttack(flags: AttackFlags): Attack {
  return createAttackFromFlags(
    flags.attack,
    {
      steps: flags.steps === undefined ? undefined : parseInteger(flags.steps, '--steps', 1),
      absStepsize: flags.stepSize === undefined ? undefined : parseNumber(flags.stepSize, '--step-size'),
      randomStart: flags.randomStart,
      repeats: flags.repeats === undefined ? undefined : parseInteger(flags.repeats, '--repeats', 1),
      maxQueries:
        flags.maxQueries === undefined ? undefined : parseInteger(flags.maxQueries, '--max-queries', 1),
      seed: parseSeed(flags.seed),
    },
    ATTACK_FLAGS,
  );
}

/**
 * The folder of the PNGs, opened before any work (a bad --out is one line, exit 2) and locked for this
 * run: --out, or a new folder under advx-out/ named after the time (made exclusively: two runs started
 * in the same second get different folders).
 */
function openAttackOutput(out: string | undefined): OutputPlace {
  if (out !== undefined) return openOutputFolder(out);
  return openFreshOutputFolder(EXPERIMENTS_FOLDER, timeStamp());
}

/** --eps, or null (the smallest adversarial) for a minimization attack without it. */
function parseAttackEpsilons(flags: AttackFlags, attack: Attack, model: Model): number[] | null {
  if (flags.eps === undefined && isMinimizationAttack(attack)) return null;
  const size = model.inputShape.reduce((a, b) => a * b, 1);
  return parseEpsilons(flags.eps ?? DEFAULT_EPS, model.bounds, '--eps', attack.norm, size);
}

/** The grid text of --eps-search, or undefined without it. */
function epsSearchGrid(flags: AttackFlags): string | undefined {
  if (flags.epsSearch === undefined || flags.epsSearch === false) return undefined;
  return typeof flags.epsSearch === 'string' ? flags.epsSearch : DEFAULT_EPS_GRID;
}

function parseBudget(flags: AttackFlags, epsilons: number[] | null, model: Model): AttackBudget {
  const grid = epsSearchGrid(flags);
  if (grid === undefined) return epsilons === null ? { kind: 'smallest' } : { kind: 'epsilons', epsilons };
  return {
    kind: 'search',
    grid: parseEpsGrid(grid, model.bounds),
    bisectionSteps: parseInteger(flags.bisect ?? '6', '--bisect', 0),
  };
}

export async function attackAction(
  files: string[],
  flags: AttackFlags,
  out: (s: string) => void = (s) => process.stdout.write(s),
): Promise<AttackReport> {
  await initEngine();
  const attack = await asUsage(() => buildAttack(flags));
  const output = await asUsage(() => openAttackOutput(flags.out));
  try {
    const model: Model = await loadModelFromFlags(flags);
    const epsilons = await asUsage(() => parseAttackEpsilons(flags, attack, model));
    const k = await asUsage(() => parseInteger(flags.top, '--top', 1));
    const x = await loadImagesFromFlags(files, model, flags);
    try {
      const report = await attackLoaded({
        outDir: output.shown,
        files,
        flags,
        attack,
        model,
        x,
        epsilons,
        k,
      });
      out(flags.json ? JSON.stringify(report, null, 2) + '\n' : renderAttackReport(report));
      return report;
    } finally {
      x.dispose(); // also on the error paths
    }
  } finally {
    output.release();
  }
}

/** What the attack of the loaded images needs. */
interface AttackInputs {
  outDir: string;
  files: string[];
  flags: AttackFlags;
  attack: Attack;
  model: Model;
  x: Tensor4D;
  epsilons: number[] | null;
  k: number;
}

async function attackLoaded(inputs: AttackInputs): Promise<AttackReport> {
  const { outDir, files, flags, attack, model, x, epsilons, k } = inputs;
  const clean = await predictLabels(model, x);
  const labels = await asUsage(() =>
    flags.label === undefined ? clean : files.map(() => classIndex(model.labels, flags.label as string)),
  );
  const criterion = await asUsage(() => parseCriterion(flags.criterion, labels, model.labels));
  const budget = await asUsage(() => parseBudget(flags, epsilons, model));
  let bar: Progress | undefined;
  const result = await attackImages(model, x, {
    files,
    attack,
    criterion,
    labels,
    budget,
    top: k,
    output: { dir: outDir, overwrite: flags.force },
    onStart: () => {
      flushNotes(); // the options are checked: the work starts
      bar = progressBar(budget.kind === 'search' ? `${attack.name} eps search` : attack.name);
    },
    onProgress: (p) => bar?.update(p.done, p.total, p.label),
  }).finally(() => bar?.stop());
  const search =
    budget.kind === 'search'
      ? { epsSearch: { grid: epsSearchGrid(flags), bisectionSteps: budget.bisectionSteps } }
      : {};
  return {
    model: model.name,
    attack: { name: attack.name, ...attack.describe(), ...search },
    criterion: criterion.description,
    images: result.images,
  };
}

export function registerAttackCommand(program: Command): void {
  addResizeOption(
    addModelOptions(
      program
        .command('attack')
        .description('craft adversarial examples for image files and show predictions before/after')
        .argument('<images...>', 'JPEG or PNG files'),
    ),
  )
    .requiredOption('-a, --attack <NAME>', `attack: ${attackNames().join(', ')}`)
    .option(
      '-e, --eps <LIST>',
      `comma list of epsilons in units of the bounds; fractions like 8/255 allowed (default ${DEFAULT_EPS}; minimization attacks without --eps report the smallest adversarial found)`,
    )
    .option('--steps <N>', 'iterations (iterative attacks)')
    .option('--step-size <A>', 'absolute step size (iterative attacks)')
    .option('--random-start', 'start from a random point of the eps ball')
    .option('--repeats <N>', 'draws per input (noise attacks)')
    .option('--max-queries <N>', 'model queries per image at most (score- and decision-based attacks)')
    .option('-c, --criterion <C>', CRITERION_HELP, 'misclassification')
    .option('-l, --label <CLASS>', 'true class (index or name) of every image; default: the clean prediction')
    .option('-s, --seed <S>', 'seed of every random choice', '0')
    .option('-k, --top <K>', 'classes shown per prediction', '3')
    .option('-o, --out <DIR>', 'folder for the PNGs (default: a new folder under advx-out/)')
    .option('--force', 'overwrite existing PNGs in --out')
    .option('--json', 'print one JSON document on stdout')
    .option(
      '--eps-search [GRID]',
      `search the smallest eps per image: scan START:STOP:STEP, then bisect (default ${DEFAULT_EPS_GRID} of the bounds' range)`,
    )
    .option('--bisect <N>', 'bisection steps of --eps-search', '6')
    .action(async (files: string[], flags: AttackFlags) => {
      await attackAction(files, flags);
    });
}
