/**
 * `advx experiment noise-sweep [--model M]... [--mu 50:200:10] [--sigma 10:100:2] [--pairs zip|grid]
 *  [--top 20] [--samples N] [--seed S] [--grid-images N] [--out DIR] [--force] [--json]`
 *
 * The book's Figures 10.5/10.8: Gaussian noise in pixel units through ImageNet models. Writes
 * `initialization_vals_for_noise.csv` and a labelled PNG grid per model; prints how often each model is
 * confident about noise.
 */
import type { Command } from 'commander';
import { formatPercent } from '../../experiments/transfer-writers.js';
import { initEngine } from '../../engine/backend.js';
import { summarizeNoiseSweep, type NoiseSummary } from '../../experiments/noise-sweep.js';
import { prepareNoiseSweepRun } from '../../experiments/noise-sweep-run.js';
import { NOISE_SWEEP_DEFAULTS } from '../experiment-defaults.js';
import { collectList, DEFAULT_IMAGENET_MODELS, loadModels } from '../experiment-options.js';
import { getExperimentCommand } from '../experiment-command.js';
import { addPointOptions, parseNoiseSweepOptions, type PointFlags } from '../noise-options.js';
import { parseInteger } from '../options.js';
import { flushNotes } from '../notes.js';
import { progressBar } from '../progress.js';
import { table } from '../tables.js';

export interface NoiseSweepFlags extends PointFlags {
  model?: string[];
  top: string;
  samples: string;
  seed: string;
  gridImages: string;
  out?: string;
  force?: boolean;
  json?: boolean;
}

export interface NoiseSweepReport {
  models: string[];
  points: number;
  samples: number;
  top: number;
  seed: number;
  csv: string;
  rows: number;
  grids: Record<string, string>;
  summary: NoiseSummary[];
}

export function renderNoiseSummary(summary: NoiseSummary[]): string {
  return table(
    ['model', 'noise images', 'top-1 p > 0.5', 'top-1 p > 0.9', 'mean top-1 p', 'most frequent top-1'],
    summary.map((s) => [
      s.model,
      s.images,
      formatPercent(s.above50),
      formatPercent(s.above90),
      s.meanTop1.toFixed(3),
      s.frequent.map((f) => `${f.name} (${f.count})`).join(', '),
    ]),
  );
}

export async function noiseSweepAction(
  flags: NoiseSweepFlags,
  out: (s: string) => void = (s) => process.stdout.write(s),
) {
  await initEngine();
  const gridImages = parseInteger(flags.gridImages, '--grid-images', 0);
  const { points, samples, top, seed } = parseNoiseSweepOptions(flags);
  const models = await loadModels(flags.model ?? DEFAULT_IMAGENET_MODELS);
  const prepared = await prepareNoiseSweepRun({
    models,
    points,
    samples,
    top,
    seed,
    gridImages,
    out: flags.out,
    force: flags.force,
  });
  flushNotes(); // the options are checked: the work starts
  const bar = progressBar('noise sweep');
  const { result, files, rows } = await prepared
    .run((done, total, label) => bar.update(done, total, label))
    .finally(() => bar.stop());
  const summary = summarizeNoiseSweep(result);
  const report: NoiseSweepReport = {
    models: result.models,
    points: result.points.length,
    samples: result.samples,
    top: result.top,
    seed: result.seed,
    csv: files.csv,
    rows,
    grids: files.grids,
    summary,
  };
  if (flags.json) {
    out(JSON.stringify(report, null, 2) + '\n');
  } else {
    const perModel = result.points.length * result.samples;
    out(
      [
        `noise sweep: ${result.points.length} (mu, sigma) points x ${result.samples} samples = ${perModel} noise images per model, seed ${result.seed}`,
        renderNoiseSummary(summary),
        `${files.csv} (${report.rows} rows: top-${result.top} per noise image)`,
        ...Object.values(files.grids),
      ].join('\n') + '\n',
    );
  }
  return report;
}

export function registerNoiseSweepCommand(program: Command): void {
  const d = NOISE_SWEEP_DEFAULTS;
  addPointOptions(
    getExperimentCommand(program)
      .command('noise-sweep')
      .description(
        "Gaussian noise through ImageNet models (the book's Figures 10.5/10.8): CSV of top-k predictions, PNG grids",
      )
      .option(
        '-m, --model <M>',
        `model(s), repeat or comma-separate (default: ${DEFAULT_IMAGENET_MODELS.join(',')})`,
        collectList,
      ),
    d,
  )
    .option('-k, --top <K>', 'predictions kept per noise image', d.top)
    .option('-n, --samples <N>', 'noise images per (mu, sigma) point', d.samples)
    .option('-s, --seed <S>', 'seed of the noise', d.seed)
    .option('--grid-images <N>', 'noise images shown in each PNG grid (0: no grid)', d.gridImages)
    .option('-o, --out <DIR>', 'output folder (default: a new folder under advx-out/)')
    .option('--force', 'overwrite existing outputs in --out')
    .option('--json', 'print one JSON document on stdout')
    .action(async (flags: NoiseSweepFlags) => {
      await noiseSweepAction(flags);
    });
}
