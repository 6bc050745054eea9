/**
 * `advx attack IMAGE... --attack NAME [--eps LIST] [--steps N] [--step-size A] [--random-start]
 *  [--criterion C] [--label CLASS] [--model M] [--seed S] [--out DIR] [--json]`
 *
 * Shows the top-K predictions of each clean image and of its adversarial at each epsilon (the book's
 * Tables 10.1/10.2), and writes the adversarial image and the magnified perturbation as PNGs. A
 * minimization attack (cw, deepfool, ddn, fmn, ...) without --eps reports each image's smallest
 * adversarial found (one run with `eps: null`); fixed-epsilon attacks default to --eps 8/255.
 */
import { existsSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import type { Command } from 'commander';
import { attackNames, type Attack } from '../../attacks/index.js';
import { isMinimizationAttack, runAtBudgets } from '../../attacks/run-budgets.js';
import { minimalEpsilonSearch } from '../../attacks/epsilon-search.js';
import type { Criterion } from '../../criteria/index.js';
import { perturbationToPng, tensorToPng, writePngFile } from '../../data/png.js';
import { openFreshOutputFolder, openOutputFolder, type OutputPlace } from '../../data/output-folder.js';
import { distance } from '../../distances/index.js';
import { initEngine } from '../../engine/backend.js';
import { tf, type Tensor3D, type Tensor4D } from '../../engine/tf.js';
import { classIndex } from '../../models/labels.js';
import { predictLabels, topPredictions, type Model, type Prediction } from '../../models/model.js';
import { asUsage, UsageError } from '../errors.js';
import { CRITERION_HELP, parseCriterion } from '../criterion-option.js';
import {
  addModelOptions,
  addResizeOption,
  loadImagesFromFlags,
  loadModelFromFlags,
  type ModelFlags,
  type ResizeFlags,
} from '../model-options.js';
import { ATTACK_FLAGS, createAttackFromFlags } from '../attack-settings.js';
import { parseEpsilons, parseInteger, parseNumber, parseRange, parseSeed } from '../options.js';
import { flushNotes } from '../notes.js';
import { progressBar } from '../progress.js';
import { table, topTable } from '../tables.js';

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

export interface AttackRun {
  /** The epsilon, or null for a minimization attack's smallest adversarial (no --eps). */
  eps: number | null;
  success: boolean;
  top: Prediction[];
  linf: number;
  l2: number;
  adversarial: string;
  perturbation: string;
  magnification: number;
  /** Model queries this image cost (score- and decision-based attacks). */
  queries?: number;
  /** With --eps-search: the grid epsilon found and the largest epsilon at which the attack failed. */
  search?: { gridEps: number | null; failingEps: number; runs: number };
}

export interface AttackReport {
  model: string;
  attack: Record<string, unknown> & { name: string };
  criterion: string;
  images: {
    file: string;
    label: { index: number; name: string };
    clean: { top: Prediction[] };
    runs: AttackRun[];
  }[];
}

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
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return openFreshOutputFolder('advx-out', stamp);
}

/** Refuses (exit 2) when one of `paths` exists, unless --force. */
function refuseExisting(paths: string[], force: boolean | undefined): void {
  if (force) return;
  const existing = paths.find((p) => existsSync(p));
  if (existing !== undefined)
    throw new UsageError(`${existing} exists; refusing to overwrite it (use --force or another --out)`);
}

/** The --eps of fixed-epsilon attacks when none is given. */
export const DEFAULT_EPS = '8/255';

/** The file-name tag of a budget: `eps0p03137`, or `minimal` for the smallest adversarial. */
function budgetTag(eps: number | null): string {
  if (eps === null) return 'minimal';
  const digits = eps
    .toPrecision(4)
    .replace(/\.?0+$/, '')
    .replace('.', 'p');
  return `eps${digits}`;
}

function outputPaths(files: string[], attack: string, epsilons: (number | null)[], outDir: string) {
  return files.map((file, n) =>
    epsilons.map((eps) => {
      const stem = `${n}-${basename(file, extname(file))}-${attack}-${budgetTag(eps)}`;
      return {
        adversarial: join(outDir, `${stem}-adversarial.png`),
        perturbation: join(outDir, `${stem}-perturbation.png`),
      };
    }),
  );
}

function rowOf(t: Tensor4D, n: number): Tensor3D {
  return tf.tidy(() => tf.squeeze(tf.slice(t, [n, 0, 0, 0], [1, -1, -1, -1]), [0]) as Tensor3D);
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
    return await attackInto(output.shown, files, flags, attack, out);
  } finally {
    output.release();
  }
}

async function attackInto(
  outDir: string,
  files: string[],
  flags: AttackFlags,
  attack: Attack,
  out: (s: string) => void,
): Promise<AttackReport> {
  const model: Model = await loadModelFromFlags(flags);
  const epsilons = await asUsage(() =>
    flags.eps === undefined && isMinimizationAttack(attack)
      ? null
      : parseEpsilons(
          flags.eps ?? DEFAULT_EPS,
          model.bounds,
          '--eps',
          attack.norm,
          model.inputShape.reduce((a, b) => a * b, 1),
        ),
  );
  const k = await asUsage(() => parseInteger(flags.top, '--top', 1));
  const x = await loadImagesFromFlags(files, model, flags);
  try {
    return await attackImages({ outDir, files, flags, attack, model, x, epsilons, k }, out);
  } finally {
    x.dispose(); // also on the error paths (dispose twice is a no-op)
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

async function attackImages(inputs: AttackInputs, out: (s: string) => void): Promise<AttackReport> {
  const { outDir, files, flags, attack, model, x, epsilons, k } = inputs;
  const clean = await predictLabels(model, x);
  const labels = await asUsage(() =>
    flags.label === undefined ? clean : files.map(() => classIndex(model.labels, flags.label as string)),
  );
  const criterion = await asUsage(() => parseCriterion(flags.criterion, labels, model.labels));
  if (flags.epsSearch !== undefined && flags.epsSearch !== false) {
    return epsSearchAction(files, flags, { attack, model, x, labels, criterion, k, outDir }, out);
  }
  const budgets = epsilons ?? [null];
  const paths = outputPaths(files, attack.name, budgets, outDir);
  refuseExisting(
    paths.flat().flatMap((p) => [p.adversarial, p.perturbation]),
    flags.force,
  );

  flushNotes(); // the options are checked: the work starts
  const bar = progressBar(`${attack.name}`);
  const runs = await runAtBudgets(attack, model, x, criterion, epsilons, (p) =>
    bar.update(
      p.epsilonIndex * p.steps + p.step,
      p.epsilonCount * p.steps,
      `eps ${p.epsilonIndex + 1}/${p.epsilonCount}`,
    ),
  ).finally(() => bar.stop());

  const cleanTop = await topPredictions(model, x, k);
  const report: AttackReport = {
    model: model.name,
    attack: { name: attack.name, ...attack.describe() },
    criterion: criterion.description,
    images: files.map((file, n) => ({
      file,
      label: { index: labels[n], name: model.labels[labels[n]] },
      clean: { top: cleanTop[n] },
      runs: [],
    })),
  };
  for (const [e, run] of runs.entries()) {
    const top = await topPredictions(model, run.adversarial, k);
    for (let n = 0; n < files.length; n++) {
      const adv = rowOf(run.adversarial, n);
      const delta = tf.tidy(() => tf.sub(adv, rowOf(x, n)) as Tensor3D);
      // Without --force, exclusive creation: a file that appeared meanwhile is an error, never overwritten.
      writePngFile(paths[n][e].adversarial, await tensorToPng(adv, model.bounds), { overwrite: flags.force });
      const magnified = await perturbationToPng(delta, model.bounds);
      writePngFile(paths[n][e].perturbation, magnified.png, { overwrite: flags.force });
      tf.dispose([adv, delta]);
      report.images[n].runs.push({
        eps: run.eps,
        success: run.success[n],
        top: top[n],
        linf: run.linf[n],
        l2: run.l2[n],
        adversarial: paths[n][e].adversarial,
        perturbation: paths[n][e].perturbation,
        magnification: magnified.magnification,
        ...(run.queries === undefined ? {} : { queries: run.queries[n] }),
      });
    }
  }
  tf.dispose([x, ...runs.map((run) => run.adversarial)]);

  if (flags.json) out(JSON.stringify(report, null, 2) + '\n');
  else out(renderReport(report));
  return report;
}

/** The default grid of --eps-search: 1/255 .. 32/255 of the bounds' range, by 1/255. */
export const DEFAULT_EPS_GRID = '1/255:32/255:1/255';

function parseEpsGrid(text: string, bounds: readonly [number, number]): number[] {
  const range = bounds[1] - bounds[0];
  const grid = parseRange(text, '--eps-search').map((e) => e * (text === DEFAULT_EPS_GRID ? range : 1));
  parseEpsilons(grid.join(','), bounds, '--eps-search');
  if (grid.some((e) => e <= 0)) throw new UsageError(`--eps-search: epsilons must be > 0 (got ${text})`);
  return grid;
}

interface SearchContext {
  attack: Attack;
  model: Model;
  x: Tensor4D;
  labels: number[];
  criterion: Criterion;
  k: number;
  outDir: string;
}

/** `--eps-search`: the smallest epsilon per image at which the criterion holds (grid, then bisection). */
async function epsSearchAction(
  files: string[],
  flags: AttackFlags,
  ctx: SearchContext,
  out: (s: string) => void,
) {
  const { attack, model, x, labels, criterion, k, outDir } = ctx;
  const spec = typeof flags.epsSearch === 'string' ? flags.epsSearch : DEFAULT_EPS_GRID;
  const grid = await asUsage(() => parseEpsGrid(spec, model.bounds));
  const bisectionSteps = await asUsage(() => parseInteger(flags.bisect ?? '6', '--bisect', 0));
  const paths = files.map((file, n) => {
    const stem = `${n}-${basename(file, extname(file))}-${attack.name}-min-eps`;
    return {
      adversarial: join(outDir, `${stem}-adversarial.png`),
      perturbation: join(outDir, `${stem}-perturbation.png`),
    };
  });
  refuseExisting(
    paths.flatMap((p) => [p.adversarial, p.perturbation]),
    flags.force,
  );
  flushNotes(); // the options are checked: the work starts
  const bar = progressBar(`${attack.name} eps search`);
  const result = await minimalEpsilonSearch(attack, model, x, criterion, {
    grid,
    bisectionSteps,
    onProgress: (p) =>
      bar.update(
        p.image,
        p.images,
        `image ${p.image + 1}/${p.images}, ${p.phase}, eps ${p.eps.toPrecision(3)}`,
      ),
  }).finally(() => bar.stop());
  const cleanTop = await topPredictions(model, x, k);
  const advTop = await topPredictions(model, result.adversarial, k);
  const [linfs, l2s] = (['linf', 'l2'] as const).map((name) => {
    const d = distance(name, x, result.adversarial);
    const values = Array.from(d.dataSync());
    d.dispose();
    return values;
  });
  const report: AttackReport = {
    model: model.name,
    attack: { name: attack.name, ...attack.describe(), epsSearch: { grid: spec, bisectionSteps } },
    criterion: criterion.description,
    images: [],
  };
  for (let n = 0; n < files.length; n++) {
    const found = result.images[n];
    const adv = rowOf(result.adversarial, n);
    const delta = tf.tidy(() => tf.sub(adv, rowOf(x, n)) as Tensor3D);
    writePngFile(paths[n].adversarial, await tensorToPng(adv, model.bounds), { overwrite: flags.force });
    const magnified = await perturbationToPng(delta, model.bounds);
    writePngFile(paths[n].perturbation, magnified.png, { overwrite: flags.force });
    tf.dispose([adv, delta]);
    report.images.push({
      file: files[n],
      label: { index: labels[n], name: model.labels[labels[n]] },
      clean: { top: cleanTop[n] },
      runs: [
        {
          eps: found.eps ?? grid[grid.length - 1],
          success: result.success[n],
          top: advTop[n],
          linf: linfs[n],
          l2: l2s[n],
          adversarial: paths[n].adversarial,
          perturbation: paths[n].perturbation,
          magnification: magnified.magnification,
          search: { gridEps: found.gridEps, failingEps: found.failingEps, runs: found.runs },
        },
      ],
    });
  }
  tf.dispose([x, result.adversarial]);
  if (flags.json) out(JSON.stringify(report, null, 2) + '\n');
  else out(renderReport(report));
  return report;
}

function median(values: number[]): number {
  const sorted = [...values].sort((p, q) => p - q);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

const epsText = (eps: number | null): string => (eps === null ? 'none' : eps.toPrecision(4));

/** The line of one run: at an eps, or (eps null) the smallest adversarial found. */
function runLine(run: AttackRun): string {
  const queries = run.queries === undefined ? '' : `, ${run.queries} queries`;
  const size = `(linf ${run.linf.toFixed(5)}, l2 ${run.l2.toFixed(4)}${queries})`;
  if (run.eps === null) return `smallest adversarial: ${run.success ? 'SUCCESS' : 'none found'} ${size}`;
  return `adversarial, eps ${epsText(run.eps)}: ${run.success ? 'SUCCESS' : 'failed'} ${size}`;
}

/** Per image, the smallest adversarial's size; and the medians over the images where one was found. */
function minimalSummary(report: AttackReport): string[] {
  const runs = report.images.map((image) => image.runs[0]);
  const found = runs.filter((run) => run.success);
  const rows = report.images.map((image, n) => [
    basename(image.file),
    runs[n].success ? 'yes' : 'no',
    runs[n].success ? runs[n].l2.toFixed(4) : '-',
    runs[n].success ? runs[n].linf.toFixed(5) : '-',
  ]);
  const medians =
    found.length === 0
      ? ''
      : `, median l2 ${median(found.map((r) => r.l2)).toFixed(4)}, median linf ${median(found.map((r) => r.linf)).toFixed(5)}`;
  return [
    '',
    table(['image', 'adversarial', 'l2', 'linf'], rows),
    `smallest adversarial found for ${found.length}/${runs.length} images${medians}`,
  ];
}

function renderReport(report: AttackReport): string {
  const lines: string[] = [
    `model ${report.model}, attack ${report.attack.name}, criterion: ${report.criterion}`,
  ];
  for (const image of report.images) {
    lines.push(
      '',
      `${image.file}  label: ${image.label.name} (${image.label.index})`,
      'clean',
      topTable(image.clean.top),
    );
    for (const run of image.runs) {
      if (run.search !== undefined) {
        lines.push(
          run.search.gridEps === null
            ? `minimal eps: none up to ${epsText(run.eps)} (${run.search.runs} attack runs); the largest tried:`
            : `minimal eps ${epsText(run.eps)} (grid eps ${run.search.gridEps.toPrecision(4)}; fails at ${run.search.failingEps.toPrecision(4)}; ${run.search.runs} attack runs)`,
        );
      }
      lines.push(
        runLine(run),
        topTable(run.top),
        `  ${run.adversarial}`,
        `  ${run.perturbation} (magnified x${run.magnification.toFixed(0)})`,
      );
    }
  }
  const first = report.images[0]?.runs[0];
  if (first === undefined || report.images.length < 2) return lines.join('\n') + '\n';
  if (first.search !== undefined) {
    const found = report.images.filter((im) => im.runs[0].success).map((im) => im.runs[0].eps ?? 0);
    lines.push(
      '',
      `minimal eps found for ${found.length}/${report.images.length} images${found.length > 0 ? `, median ${median(found).toPrecision(4)}` : ''}`,
    );
  } else if (first.eps === null) {
    lines.push(...minimalSummary(report));
  } else {
    const rates = report.images[0].runs.map((run, e) => {
      const wins = report.images.filter((im) => im.runs[e].success).length;
      return [epsText(run.eps), `${wins}/${report.images.length}`];
    });
    lines.push('', table(['eps', 'success'], rates));
  }
  return lines.join('\n') + '\n';
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
