/**
 * `advx attack IMAGE... --attack NAME [--eps LIST] [--steps N] [--step-size A] [--random-start]
 *  [--criterion C] [--label CLASS] [--model M] [--seed S] [--out DIR] [--json]`
 *
 * Shows the top-K predictions of each clean image and of its adversarial at each epsilon (the book's
 * Tables 10.1/10.2), and writes the adversarial image and the magnified perturbation as PNGs.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import type { Command } from 'commander';
import { createAttack, attackNames, type Attack } from '../../attacks/index.js';
import { minimalEpsilonSearch } from '../../attacks/epsilon-search.js';
import type { Criterion } from '../../criteria/index.js';
import { loadImagesFor } from '../../data/images.js';
import { perturbationToPng, tensorToPng, writePngFile } from '../../data/png.js';
import { distance } from '../../distances/index.js';
import { initEngine } from '../../engine/backend.js';
import { tf, type Tensor3D, type Tensor4D } from '../../engine/tf.js';
import { classIndex } from '../../models/labels.js';
import { predictLabels, topPredictions, type Model, type Prediction } from '../../models/model.js';
import { asUsage, UsageError } from '../errors.js';
import { CRITERION_HELP, parseCriterion } from '../criterion-option.js';
import { addModelOptions, loadModelFromFlags, type ModelFlags } from '../model-options.js';
import { parseEpsilons, parseInteger, parseNumber, parseRange } from '../options.js';
import { progressBar } from '../progress.js';
import { table, topTable } from '../tables.js';

export interface AttackFlags extends ModelFlags {
  attack: string;
  eps: string;
  steps?: string;
  stepSize?: string;
  randomStart?: boolean;
  repeats?: string;
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
  eps: number;
  success: boolean;
  top: Prediction[];
  linf: number;
  l2: number;
  adversarial: string;
  perturbation: string;
  magnification: number;
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

function buildAttack(flags: AttackFlags): Attack {
  return createAttack(flags.attack, {
    steps: flags.steps === undefined ? undefined : parseInteger(flags.steps, '--steps', 1),
    absStepsize: flags.stepSize === undefined ? undefined : parseNumber(flags.stepSize, '--step-size'),
    randomStart: flags.randomStart,
    repeats: flags.repeats === undefined ? undefined : parseInteger(flags.repeats, '--repeats', 1),
    seed: parseInteger(flags.seed, '--seed'),
  });
}

function defaultOutDir(): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  let dir = join('advx-out', stamp);
  for (let i = 2; existsSync(dir); i++) dir = join('advx-out', `${stamp}-${i}`);
  return dir;
}

function epsTag(eps: number): string {
  return eps
    .toPrecision(4)
    .replace(/\.?0+$/, '')
    .replace('.', 'p');
}

function outputPaths(files: string[], attack: string, epsilons: number[], outDir: string) {
  return files.map((file, n) =>
    epsilons.map((eps) => {
      const stem = `${n}-${basename(file, extname(file))}-${attack}-eps${epsTag(eps)}`;
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
) {
  await initEngine();
  const attack = await asUsage(() => buildAttack(flags));
  const model: Model = await loadModelFromFlags(flags);
  const epsilons = await asUsage(() => parseEpsilons(flags.eps, model.bounds));
  const k = await asUsage(() => parseInteger(flags.top, '--top', 1));
  const x = await asUsage(() => loadImagesFor(files, model));
  const clean = predictLabels(model, x);
  const labels = await asUsage(() =>
    flags.label === undefined ? clean : files.map(() => classIndex(model.labels, flags.label as string)),
  );
  const criterion = await asUsage(() => parseCriterion(flags.criterion, labels, model.labels));
  const outDir = flags.out ?? defaultOutDir();
  if (flags.epsSearch !== undefined && flags.epsSearch !== false) {
    return epsSearchAction(files, flags, { attack, model, x, labels, criterion, k, outDir }, out);
  }
  const paths = outputPaths(files, attack.name, epsilons, outDir);
  if (!flags.force) {
    const existing = paths
      .flat()
      .flatMap((p) => [p.adversarial, p.perturbation])
      .find((p) => existsSync(p));
    if (existing !== undefined)
      throw new UsageError(`${existing} exists; refusing to overwrite it (use --force or another --out)`);
  }
  mkdirSync(outDir, { recursive: true });

  const bar = progressBar(`${attack.name}`);
  const result = await attack
    .run(model, x, criterion, {
      epsilons,
      onProgress: (p) =>
        bar.update(
          p.epsilonIndex * p.steps + p.step,
          p.epsilonCount * p.steps,
          `eps ${p.epsilonIndex + 1}/${p.epsilonCount}`,
        ),
    })
    .finally(() => bar.stop());

  const cleanTop = topPredictions(model, x, k);
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
  for (let e = 0; e < epsilons.length; e++) {
    const adversarial = result.clipped[e];
    const top = topPredictions(model, adversarial, k);
    const linf = distance('linf', x, adversarial);
    const l2 = distance('l2', x, adversarial);
    const linfs = Array.from(linf.dataSync());
    const l2s = Array.from(l2.dataSync());
    tf.dispose([linf, l2]);
    for (let n = 0; n < files.length; n++) {
      const adv = rowOf(adversarial, n);
      const delta = tf.tidy(() => tf.sub(adv, rowOf(x, n)) as Tensor3D);
      writePngFile(paths[n][e].adversarial, await tensorToPng(adv, model.bounds), { overwrite: true });
      const magnified = await perturbationToPng(delta, model.bounds);
      writePngFile(paths[n][e].perturbation, magnified.png, { overwrite: true });
      tf.dispose([adv, delta]);
      report.images[n].runs.push({
        eps: epsilons[e],
        success: result.success[e][n],
        top: top[n],
        linf: linfs[n],
        l2: l2s[n],
        adversarial: paths[n][e].adversarial,
        perturbation: paths[n][e].perturbation,
        magnification: magnified.magnification,
      });
    }
  }
  tf.dispose([x, ...result.raw, ...result.clipped]);

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
  if (!flags.force) {
    const existing = paths.flatMap((p) => [p.adversarial, p.perturbation]).find((p) => existsSync(p));
    if (existing !== undefined)
      throw new UsageError(`${existing} exists; refusing to overwrite it (use --force or another --out)`);
  }
  mkdirSync(outDir, { recursive: true });
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
  const cleanTop = topPredictions(model, x, k);
  const advTop = topPredictions(model, result.adversarial, k);
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
    writePngFile(paths[n].adversarial, await tensorToPng(adv, model.bounds), { overwrite: true });
    const magnified = await perturbationToPng(delta, model.bounds);
    writePngFile(paths[n].perturbation, magnified.png, { overwrite: true });
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
            ? `minimal eps: none up to ${run.eps.toPrecision(4)} (${run.search.runs} attack runs); the largest tried:`
            : `minimal eps ${run.eps.toPrecision(4)} (grid eps ${run.search.gridEps.toPrecision(4)}; fails at ${run.search.failingEps.toPrecision(4)}; ${run.search.runs} attack runs)`,
        );
      }
      lines.push(
        `adversarial, eps ${run.eps.toPrecision(4)}: ${run.success ? 'SUCCESS' : 'failed'} (linf ${run.linf.toFixed(5)}, l2 ${run.l2.toFixed(4)})`,
        topTable(run.top),
        `  ${run.adversarial}`,
        `  ${run.perturbation} (magnified x${run.magnification.toFixed(0)})`,
      );
    }
  }
  const rates = report.images[0]?.runs.map((run, e) => {
    const wins = report.images.filter((im) => im.runs[e].success).length;
    return [run.eps.toPrecision(4), `${wins}/${report.images.length}`];
  });
  const searched = report.images[0]?.runs[0]?.search !== undefined;
  if (searched && report.images.length > 1) {
    const found = report.images.filter((im) => im.runs[0].success).map((im) => im.runs[0].eps);
    lines.push(
      '',
      `minimal eps found for ${found.length}/${report.images.length} images${found.length > 0 ? `, median ${median(found).toPrecision(4)}` : ''}`,
    );
  }
  if (!searched && rates !== undefined && report.images.length > 1)
    lines.push('', table(['eps', 'success'], rates));
  return lines.join('\n') + '\n';
}

export function registerAttackCommand(program: Command): void {
  addModelOptions(
    program
      .command('attack')
      .description('craft adversarial examples for image files and show predictions before/after')
      .argument('<images...>', 'JPEG or PNG files'),
  )
    .requiredOption('-a, --attack <NAME>', `attack: ${attackNames().join(', ')}`)
    .option(
      '-e, --eps <LIST>',
      'comma list of epsilons in units of the bounds; fractions like 8/255 allowed',
      '8/255',
    )
    .option('--steps <N>', 'iterations (iterative attacks)')
    .option('--step-size <A>', 'absolute step size (iterative attacks)')
    .option('--random-start', 'start from a random point of the eps ball')
    .option('--repeats <N>', 'draws per input (noise attacks)')
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
