/**
 * `advx report IMAGE [--model M] [--models LIST] [--out FILE] [...]`
 *
 * Replays the book's chapter 10 on a photo of the user's choosing and writes one self-contained HTML
 * file: the top-3 predictions, minimal-eps FGSM (confident misclassification), the top-3 after it, the
 * original | magnified perturbation | adversarial panel, the noise sweep per model, PGD on noise and
 * the zoo transfer matrix, each with the command that reproduces it. Progress goes to stderr.
 */
import { existsSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import type { Command } from 'commander';
import { createAttack } from '../../attacks/index.js';
import { minimalEpsilonSearch } from '../../attacks/epsilon-search.js';
import { writeFileAtomically } from '../../data/atomic-write.js';
import { loadImagesFor } from '../../data/images.js';
import { openOutputFile } from '../../data/output-folder.js';
import { magnifyPerturbation } from '../../data/png.js';
import { distance } from '../../distances/index.js';
import { initEngine } from '../../engine/backend.js';
import { tf, type Tensor3D, type Tensor4D } from '../../engine/tf.js';
import { noisePgdCells } from '../../experiments/noise-pgd-writers.js';
import { summarizeNoiseSweep } from '../../experiments/noise-sweep.js';
import { noiseGridCells } from '../../experiments/noise-sweep-writers.js';
import { formatRate, transferMatrixTable } from '../../experiments/transfer-zoo-writers.js';
import { classIndex } from '../../models/labels.js';
import { topPredictions, type Prediction } from '../../models/model.js';
import type { Model } from '../../models/model.js';
import { noiseConfidenceSvg, topClassesSvg, transferHeatmapSvg } from '../../report/chapter-charts.js';
import {
  renderHtmlReport,
  shellCommand,
  type ReportBlock,
  type ReportSection,
} from '../../report/html-report.js';
import { imagePanel } from '../../report/image-panel.js';
import { CRITERION_HELP, parseCriterion } from '../criterion-option.js';
import { asUsage } from '../errors.js';
import { parseEpsilons, parseInteger, parseRange } from '../options.js';
import { progressBar } from '../progress.js';
import { DEFAULT_EPS_GRID } from './attack.js';
import { NOISE_PGD_DEFAULTS, runNoisePgd, type NoisePgdFlags } from './experiment-noise-pgd.js';
import { NOISE_SWEEP_DEFAULTS, runNoiseSweep, type NoiseSweepFlags } from './experiment-noise-sweep.js';
import {
  collectList,
  DEFAULT_IMAGENET_MODELS,
  loadModels,
  parsePoints,
  percent,
} from './experiment-options.js';
import { runTransferZoo, TRANSFER_ZOO_DEFAULTS, type TransferZooFlags } from './experiment-transfer-zoo.js';

export interface ReportFlags {
  model: string;
  models?: string[];
  out: string;
  force?: boolean;
  criterion: string;
  epsSearch: string;
  bisect: string;
  mu: string;
  sigma: string;
  pairs: string;
  samples: string;
  top: string;
  gridImages: string;
  pgdMu: string;
  pgdSigma: string;
  pgdEps: string;
  pgdSteps: string;
  target?: string;
  transferImages: string;
  transferAttack: string;
  transferEps: string;
  transferSteps?: string;
  seed: string;
}

export const REPORT_DEFAULTS = {
  model: 'mobilenet-v1-0.75',
  out: 'advx-report.html',
  criterion: 'confident:0.9',
  epsSearch: DEFAULT_EPS_GRID,
  bisect: '6',
  mu: NOISE_SWEEP_DEFAULTS.mu,
  sigma: NOISE_SWEEP_DEFAULTS.sigma,
  pairs: NOISE_SWEEP_DEFAULTS.pairs,
  samples: '2',
  top: NOISE_SWEEP_DEFAULTS.top,
  gridImages: '8',
  pgdMu: NOISE_PGD_DEFAULTS.mu,
  pgdSigma: NOISE_PGD_DEFAULTS.sigma,
  pgdEps: NOISE_PGD_DEFAULTS.eps,
  pgdSteps: NOISE_PGD_DEFAULTS.steps,
  transferImages: '8',
  transferAttack: TRANSFER_ZOO_DEFAULTS.attack,
  transferEps: TRANSFER_ZOO_DEFAULTS.eps,
  seed: '0',
};

/** The sections of the report, in order (ids are stable: tests and links rely on them). */
export const REPORT_SECTIONS = [
  { id: 'clean', title: 'Top-3 predictions of the photo (Table 10.1)' },
  { id: 'fgsm', title: 'Minimal-epsilon FGSM and the top-3 after it (Table 10.2)' },
  { id: 'panel', title: 'Original | magnified perturbation | adversarial (Figure 10.2)' },
  { id: 'noise-sweep', title: 'Gaussian noise through each model (Figures 10.5 and 10.8)' },
  { id: 'noise-pgd', title: 'PGD on noise (Figure 10.7)' },
  { id: 'transfer', title: 'Transfer across the zoo' },
] as const;

type SectionId = (typeof REPORT_SECTIONS)[number]['id'];

const topRows = (top: readonly Prediction[]) =>
  top.map((p, i) => [String(i + 1), `${p.name} (${p.index})`, p.p.toFixed(4)]);
const TOP_HEAD = ['#', 'class', 'p'];

function rowOf(t: Tensor4D, n: number): Tensor3D {
  return tf.tidy(() => tf.squeeze(tf.slice(t, [n, 0, 0, 0], [1, -1, -1, -1]), [0]) as Tensor3D);
}

/** A class as a command-line argument: its name when that names it unambiguously, else its index. */
function classArgument(labels: readonly string[], index: number): string {
  const name = labels[index];
  try {
    return classIndex(labels, name) === index ? name : String(index);
  } catch {
    return String(index);
  }
}

function modelArgs(specs: readonly string[]): string[] {
  return specs.flatMap((m) => ['--model', m]);
}

/** The full `advx report` command line of a run, every option spelled out. */
export function reportCommand(image: string, flags: ReportFlags, models: readonly string[]): string {
  const options: [string, string | undefined][] = [
    ['--model', flags.model],
    ['--models', models.join(',')],
    ['--criterion', flags.criterion],
    ['--eps-search', flags.epsSearch],
    ['--bisect', flags.bisect],
    ['--mu', flags.mu],
    ['--sigma', flags.sigma],
    ['--pairs', flags.pairs],
    ['--samples', flags.samples],
    ['--top', flags.top],
    ['--grid-images', flags.gridImages],
    ['--pgd-mu', flags.pgdMu],
    ['--pgd-sigma', flags.pgdSigma],
    ['--pgd-eps', flags.pgdEps],
    ['--pgd-steps', flags.pgdSteps],
    ['--target', flags.target],
    ['--transfer-images', flags.transferImages],
    ['--transfer-attack', flags.transferAttack],
    ['--transfer-eps', flags.transferEps],
    ['--transfer-steps', flags.transferSteps],
    ['--seed', flags.seed],
    ['--out', flags.out],
  ];
  return shellCommand([
    'advx',
    'report',
    image,
    ...options.flatMap(([o, v]) => (v === undefined ? [] : [o, v])),
  ]);
}

/** Checks every option before any long computation starts (bad input: exit 2 at once). */
async function validate(flags: ReportFlags, image: string): Promise<void> {
  await asUsage(() => {
    if (!existsSync(image)) throw new Error(`${image}: no such file`);
    if (parseRange(flags.epsSearch, '--eps-search').some((e) => !(e > 0 && e <= 1))) {
      throw new Error(
        `--eps-search: epsilons must be in (0, 1] of the bounds' range (got ${flags.epsSearch})`,
      );
    }
    parseInteger(flags.bisect, '--bisect', 0);
    parsePoints(flags);
    parsePoints({ mu: flags.pgdMu, sigma: flags.pgdSigma, pairs: 'zip' });
    for (const [v, o, min] of [
      [flags.samples, '--samples', 1],
      [flags.top, '--top', 1],
      [flags.gridImages, '--grid-images', 0],
      [flags.pgdSteps, '--pgd-steps', 1],
      [flags.transferImages, '--transfer-images', 1],
      [flags.seed, '--seed', 0],
    ] as const) {
      parseInteger(v, o, min);
    }
    if (flags.transferSteps !== undefined) parseInteger(flags.transferSteps, '--transfer-steps', 1);
    parseEpsilons(flags.pgdEps, [0, 1], '--pgd-eps');
    parseEpsilons(flags.transferEps, [0, 1], '--transfer-eps');
    createAttack(flags.transferAttack);
  });
}

interface Step {
  (title: string): void;
}

function stepper(total: number, err: (s: string) => void): Step {
  let k = 0;
  let started = Date.now();
  let last = '';
  return (title: string) => {
    const now = Date.now();
    if (last !== '') err(`advx report: ${last} done in ${((now - started) / 1000).toFixed(1)} s\n`);
    started = now;
    last = title;
    if (title !== '') err(`advx report: [${++k}/${total}] ${title}...\n`);
  };
}

export interface ReportResult {
  file: string;
  sections: { id: string; ok: boolean; error?: string }[];
  seconds: number;
}

type ReportIo = { out: (s: string) => void; err: (s: string) => void };

export async function reportAction(
  image: string,
  flags: ReportFlags,
  io: ReportIo = {
    out: (s) => process.stdout.write(s),
    err: (s) => process.stderr.write(s),
  },
): Promise<ReportResult> {
  const t0 = Date.now();
  await initEngine();
  await validate(flags, image);
  // Checked (a folder, an existing file without --force, a place that cannot be written) and locked
  // against another run writing the same report, before any work.
  const output = await asUsage(() => openOutputFile(flags.out, { force: flags.force === true }));
  try {
    return await writeReport(image, flags, io, t0);
  } finally {
    output.release();
  }
}

async function writeReport(
  image: string,
  flags: ReportFlags,
  io: ReportIo,
  t0: number,
): Promise<ReportResult> {
  const step = stepper(REPORT_SECTIONS.length + 1, io.err);
  const sweepSpecs = flags.models ?? DEFAULT_IMAGENET_MODELS;
  step('loading models and the photo');
  const specs = [...new Set([flags.model, ...sweepSpecs])];
  const loaded = await loadModels(specs);
  const bySpec = new Map(specs.map((spec, i) => [spec, loaded[i]]));
  const primary = bySpec.get(flags.model) as Model;
  const sweepModels = [...new Set(sweepSpecs)].map((spec) => bySpec.get(spec) as Model);
  const x = await asUsage(() => loadImagesFor([image], primary));
  const seed = flags.seed;
  const photo = basename(image);

  const sections: ReportSection[] = [];
  const status: ReportResult['sections'] = [];
  const titleOf = (id: SectionId) => REPORT_SECTIONS.find((s) => s.id === id)?.title as string;
  /** Runs one section; a failure becomes a note in the report (and exit code 1), not a lost report. */
  const run = async (id: SectionId, command: string, build: () => Promise<ReportBlock[]>) => {
    try {
      sections.push({ id, title: titleOf(id), command, blocks: await build() });
      status.push({ id, ok: true });
    } catch (error) {
      const message = (error as Error).message;
      io.err(`advx report: section '${id}' failed: ${message}\n`);
      sections.push({
        id,
        title: titleOf(id),
        command,
        blocks: [{ kind: 'note', text: `This section failed: ${message}` }],
      });
      status.push({ id, ok: false, error: message });
    }
  };

  // 1. clean top-3
  step('top-3 predictions');
  const clean = (await topPredictions(primary, x, 3))[0];
  const label = clean[0].index;
  await run(
    'clean',
    shellCommand(['advx', 'predict', image, '--model', flags.model, '--top', '3']),
    async () => [
      {
        kind: 'paragraph',
        text: `${photo} as ${primary.name} sees it (${primary.inputShape[0]}x${primary.inputShape[1]}, centre crop).`,
      },
      { kind: 'table', head: TOP_HEAD, rows: topRows(clean) },
    ],
  );

  // 2-3. minimal-eps FGSM, top-3 after, panel
  step('minimal-epsilon FGSM');
  const criterion = await asUsage(() => parseCriterion(flags.criterion, [label], primary.labels));
  const grid = parseRange(flags.epsSearch, '--eps-search').map(
    (e) => e * (flags.epsSearch === DEFAULT_EPS_GRID ? primary.bounds[1] - primary.bounds[0] : 1),
  );
  const attackCommand = shellCommand([
    'advx',
    'attack',
    image,
    '--model',
    flags.model,
    '--attack',
    'fgsm',
    '--criterion',
    flags.criterion,
    '--eps-search',
    flags.epsSearch,
    '--bisect',
    flags.bisect,
  ]);
  let panelBlocks: ReportBlock[] = [{ kind: 'note', text: 'No adversarial: the FGSM section failed.' }];
  await run('fgsm', attackCommand, async () => {
    const bar = progressBar('fgsm eps search');
    const search = await minimalEpsilonSearch(createAttack('fgsm'), primary, x, criterion, {
      grid,
      bisectionSteps: parseInteger(flags.bisect, '--bisect', 0),
      onProgress: (p) =>
        bar.update(p.runs, grid.length + Number(flags.bisect), `${p.phase} eps ${p.eps.toPrecision(3)}`),
    }).finally(() => bar.stop());
    const found = search.images[0];
    const after = (await topPredictions(primary, search.adversarial, 3))[0];
    const linf = distance('linf', x, search.adversarial);
    const linfValue = (await linf.data())[0];
    linf.dispose();
    const original = rowOf(x, 0);
    const adversarial = rowOf(search.adversarial, 0);
    const delta = tf.sub(adversarial, original) as Tensor3D;
    const magnification = magnifyPerturbation(await delta.data(), primary.bounds).magnification;
    const panel = await imagePanel([{ original, perturbation: delta, adversarial }], primary.bounds);
    tf.dispose([original, adversarial, delta, search.adversarial]);
    const summary =
      found.eps === null
        ? `FGSM found no ${criterion.description} up to eps ${grid[grid.length - 1].toPrecision(4)} (${found.runs} attack runs); shown: what it produced at the largest eps.`
        : `Smallest eps with ${criterion.description}: ${found.eps.toPrecision(4)} (= ${((found.eps / (primary.bounds[1] - primary.bounds[0])) * 255).toFixed(2)}/255 of the range; smallest on the grid ${found.gridEps?.toPrecision(4)}, fails at ${found.failingEps.toPrecision(4)}; ${found.runs} attack runs).`;
    panelBlocks = [
      {
        kind: 'image',
        png: panel,
        alt: 'original, magnified perturbation, adversarial',
        caption: `Left: the photo (${clean[0].name} ${clean[0].p.toFixed(3)}). Middle: the perturbation magnified x${magnification.toFixed(0)} (grey = 0). Right: the adversarial (${after[0].name} ${after[0].p.toFixed(3)}); Linf ${linfValue.toFixed(5)}.`,
      },
    ];
    return [
      {
        kind: 'paragraph',
        text: `The book's FGSM(criterion=ConfidentMisclassification(.9)): per image, the eps grid ${flags.epsSearch} is scanned until the criterion holds, then ${flags.bisect} bisection steps refine it.`,
      },
      found.eps === null ? { kind: 'note', text: summary } : { kind: 'paragraph', text: summary },
      {
        kind: 'table',
        head: TOP_HEAD,
        rows: topRows(after),
        caption: `Top-3 of the adversarial (eps ${(found.eps ?? grid[grid.length - 1]).toPrecision(4)}).`,
      },
    ];
  });
  await run('panel', attackCommand, async () => panelBlocks);

  // 4. noise sweep
  step('noise sweep');
  const sweepFlags: NoiseSweepFlags = {
    mu: flags.mu,
    sigma: flags.sigma,
    pairs: flags.pairs,
    top: flags.top,
    samples: flags.samples,
    seed,
    gridImages: flags.gridImages,
  };
  const pairs = flags.pairs === 'grid' ? 'grid' : 'zip';
  await run(
    'noise-sweep',
    shellCommand([
      'advx',
      'experiment',
      'noise-sweep',
      ...modelArgs(sweepSpecs),
      '--mu',
      flags.mu,
      '--sigma',
      flags.sigma,
      '--pairs',
      flags.pairs,
      '--samples',
      flags.samples,
      '--top',
      flags.top,
      '--seed',
      seed,
      '--grid-images',
      flags.gridImages,
    ]),
    async () => {
      const result = await runNoiseSweep(sweepModels, sweepFlags);
      const summary = summarizeNoiseSweep(result, 8);
      const points = result.predictions.map((p) => ({
        model: p.model,
        mu: p.mu,
        sigma: p.sigma,
        p: p.top[0].p,
        top1: p.top[0].name,
      }));
      const blocks: ReportBlock[] = [
        {
          kind: 'paragraph',
          text: `${result.points.length} (mu, sigma) points (${flags.pairs}) x ${result.samples} noise images each, per model; noise drawn in pixel units 0..255, clipped, then each model's own preprocessing. The CSV (the book's initialization_vals_for_noise.csv) keeps the top-${result.top} per image.`,
        },
        {
          kind: 'table',
          head: [
            'model',
            'noise images',
            'top-1 p > 0.5',
            'top-1 p > 0.9',
            'mean top-1 p',
            'most frequent top-1',
          ],
          rows: summary.map((s) => [
            s.model,
            String(s.images),
            percent(s.above50),
            percent(s.above90),
            s.meanTop1.toFixed(3),
            s.frequent
              .slice(0, 3)
              .map((f) => `${f.name} (${f.count})`)
              .join(', '),
          ]),
        },
        { kind: 'svg', svg: await noiseConfidenceSvg(points, pairs) },
        {
          kind: 'svg',
          svg: await topClassesSvg(summary.flatMap((s) => s.frequent.map((f) => ({ model: s.model, ...f })))),
        },
      ];
      const gridImages = parseInteger(flags.gridImages, '--grid-images', 0);
      if (gridImages > 0) {
        for (const model of sweepModels) {
          blocks.push({
            kind: 'paragraph',
            text: `${model.name}: noise images with their top-1 class and probability.`,
          });
          blocks.push({ kind: 'gallery', items: await noiseGridCells(model, result, gridImages), size: 140 });
        }
      }
      return blocks;
    },
  );

  // 5. PGD on noise
  step('PGD on noise');
  const target = flags.target ?? classArgument(primary.labels, label);
  const pgdFlags: NoisePgdFlags = {
    mu: flags.pgdMu,
    sigma: flags.pgdSigma,
    pairs: 'zip',
    samples: '1',
    seed,
    eps: flags.pgdEps,
    steps: flags.pgdSteps,
    target,
    panelRows: '8',
  };
  await run(
    'noise-pgd',
    shellCommand([
      'advx',
      'experiment',
      'noise-pgd',
      '--model',
      flags.model,
      '--mu',
      flags.pgdMu,
      '--sigma',
      flags.pgdSigma,
      '--pairs',
      'zip',
      '--samples',
      '1',
      '--eps',
      flags.pgdEps,
      '--steps',
      flags.pgdSteps,
      '--target',
      target,
      '--seed',
      seed,
    ]),
    async () => {
      const result = await runNoisePgd(primary, pgdFlags);
      const fractions = Object.entries(result.confidentAfter).map(
        ([mode, f]) => `${mode} ${percent(f as number)}`,
      );
      return [
        {
          kind: 'paragraph',
          text: `Linf PGD (eps ${result.eps.toPrecision(4)}, ${result.steps} steps) on noise images of the sweep (same seed): untargeted, away from the noise's own top-1, and targeted towards ${primary.labels[result.rows.find((r) => r.target !== null)?.target?.index ?? label]} (the photo's class unless --target is given).`,
        },
        {
          kind: 'table',
          head: ['mu', 'sigma', 'attack', 'before (top-1, p)', 'after (top-1, p)', 'success'],
          rows: result.rows.map((r) => [
            String(r.mu),
            String(r.sigma),
            r.mode === 'targeted' ? `targeted: ${r.target?.name}` : 'untargeted',
            `${r.before.name} ${r.before.p.toFixed(3)}`,
            `${r.after.name} ${r.after.p.toFixed(3)}`,
            r.success ? 'yes' : 'no',
          ]),
          caption: `Classified with p >= ${result.confidence}: before ${percent(result.confidentBefore)}; after PGD: ${fractions.join(', ')}.`,
        },
        { kind: 'gallery', items: noisePgdCells(result, 8), size: 140, columns: 6 },
      ];
    },
  );

  // 6. transfer
  step('transfer across the zoo');
  const transferFlags: TransferZooFlags = {
    images: flags.transferImages,
    seed,
    attack: flags.transferAttack,
    eps: flags.transferEps,
    steps: flags.transferSteps,
  };
  await run(
    'transfer',
    shellCommand([
      'advx',
      'experiment',
      'transfer-zoo',
      ...modelArgs(sweepSpecs),
      '--images',
      flags.transferImages,
      '--attack',
      flags.transferAttack,
      '--eps',
      flags.transferEps,
      ...(flags.transferSteps === undefined ? [] : ['--steps', flags.transferSteps]),
      '--seed',
      seed,
    ]),
    async () => {
      const result = await runTransferZoo(sweepModels, [], transferFlags);
      const { head, rows } = transferMatrixTable(result);
      return [
        {
          kind: 'paragraph',
          text: `${result.attack} at eps ${result.eps.toPrecision(4)}, crafted white-box on each model with the true labels of ${result.images} sample photos, then shown to every model. Flip rate: misclassified after the attack, among the photos the evaluating model gets right. The diagonal is the white-box success rate.`,
        },
        {
          kind: 'table',
          head,
          rows,
          caption: `Clean top-1 on these photos: ${result.models.map((m, i) => `${m} ${percent(result.cleanAccuracy[i])}`).join(', ')}.`,
        },
        {
          kind: 'svg',
          svg: await transferHeatmapSvg(
            result.matrix.flat().map((c) => ({
              source: c.source,
              target: c.target,
              rate: c.flipRate,
              label: `${formatRate(c.flipRate)} (${c.flipped}/${c.evaluated})`,
            })),
          ),
        },
      ];
    },
  );

  step('writing the report');
  x.dispose();
  loaded.forEach((m) => m.dispose());
  const seconds = (Date.now() - t0) / 1000;
  const html = renderHtmlReport({
    title: `Adversarial examples on ${photo}`,
    intro: [
      `Chapter 10 of GANs in Action, replayed by advx on ${photo} with ${primary.name} (FGSM and PGD sections) and ${sweepSpecs.join(', ')} (noise and transfer sections). Every section shows the command that reproduces it.`,
    ],
    sections,
    footer: `advx report, ${new Date().toISOString()}, ${tf.getBackend()} backend, ${seconds.toFixed(0)} s. Command: ${reportCommand(image, flags, sweepSpecs)}`,
  });
  // Atomically: a kill while writing leaves the previous report (with --force) or none, never half of one.
  await asUsage(() => writeFileAtomically(flags.out, new TextEncoder().encode(html), flags.force === true));
  step('');
  const failed = status.filter((s) => !s.ok);
  io.out(
    `${resolve(flags.out)} (${(html.length / 1024).toFixed(0)} KiB, ${sections.length} sections${failed.length > 0 ? `, ${failed.length} failed: ${failed.map((f) => f.id).join(', ')}` : ''}) in ${seconds.toFixed(0)} s\n`,
  );
  return { file: flags.out, sections: status, seconds };
}

export function registerReportCommand(program: Command): void {
  const d = REPORT_DEFAULTS;
  program
    .command('report')
    .description("replay the book's chapter 10 on a photo: one self-contained HTML report")
    .argument('<image>', 'a JPEG or PNG photo')
    .option('-m, --model <M>', 'model of the FGSM and PGD sections', d.model)
    .option(
      '--models <M>',
      `models of the noise sweep and transfer sections, repeat or comma-separate (default: ${DEFAULT_IMAGENET_MODELS.join(',')})`,
      collectList,
    )
    .option('-o, --out <FILE>', 'the HTML file to write', d.out)
    .option('--force', 'overwrite --out')
    .option('-c, --criterion <C>', `criterion of the minimal-eps FGSM (${CRITERION_HELP})`, d.criterion)
    .option(
      '--eps-search <GRID>',
      'eps grid START:STOP:STEP of the FGSM search (units of the bounds; the default is of the range)',
      d.epsSearch,
    )
    .option('--bisect <N>', 'bisection steps after the grid', d.bisect)
    .option('--mu <RANGE>', 'noise sweep means (pixel units)', d.mu)
    .option('--sigma <RANGE>', 'noise sweep standard deviations (pixel units)', d.sigma)
    .option('--pairs <MODE>', 'zip or grid', d.pairs)
    .option('-n, --samples <N>', 'noise images per (mu, sigma) point', d.samples)
    .option('-k, --top <K>', 'predictions kept per noise image', d.top)
    .option('--grid-images <N>', 'noise images shown per model', d.gridImages)
    .option('--pgd-mu <RANGE>', 'means of the noise images PGD attacks (zipped with --pgd-sigma)', d.pgdMu)
    .option('--pgd-sigma <RANGE>', 'standard deviations of the noise images PGD attacks', d.pgdSigma)
    .option('--pgd-eps <E>', 'Linf radius of PGD on noise', d.pgdEps)
    .option('--pgd-steps <N>', 'PGD steps', d.pgdSteps)
    .option(
      '-t, --target <CLASS>',
      "target class of targeted PGD on noise (default: the photo's top-1 class)",
    )
    .option('--transfer-images <N>', 'sample photos of the transfer section', d.transferImages)
    .option('--transfer-attack <NAME>', 'attack of the transfer section', d.transferAttack)
    .option('--transfer-eps <E>', 'epsilon of the transfer section', d.transferEps)
    .option('--transfer-steps <N>', 'iterations of an iterative transfer attack')
    .option('-s, --seed <S>', 'seed of noise, photo draw and random starts', d.seed)
    .action(async (image: string, flags: ReportFlags) => {
      const result = await reportAction(image, flags);
      if (result.sections.some((s) => !s.ok)) {
        throw new Error(
          `the report was written, but ${result.sections.filter((s) => !s.ok).length} section(s) failed`,
        );
      }
    });
}
