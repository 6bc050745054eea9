/**
 * `advx experiment noise-pgd [--model M]... [--mu R] [--sigma R] [--pairs zip|grid] [--samples N]
 *  [--seed S] [--eps E] [--steps N] [--target CLASS] [--out DIR] [--force] [--json]`
 *
 * The book's Figure 10.7: Linf PGD on noise images of the sweep (same seed, same images), untargeted
 * (away from the noise's own top-1) and, with --target, targeted. CSV + labelled PNG panel per model.
 */
import type { Command } from 'commander';
import { formatPercent } from '../../experiments/transfer-writers.js';
import { initEngine } from '../../engine/backend.js';
import type { NoisePgdResult } from '../../experiments/noise-pgd.js';
import { prepareNoisePgdRun, type NoisePgdModelRun } from '../../experiments/noise-pgd-run.js';
import { classIndex } from '../../models/labels.js';
import { asUsage } from '../errors.js';
import { NOISE_PGD_DEFAULT_MODEL, NOISE_PGD_DEFAULTS } from '../experiment-defaults.js';
import { collectList, disposingOnError, loadModels, parseSingleEpsilon } from '../experiment-options.js';
import { getExperimentCommand } from '../experiment-command.js';
import { addPointOptions, parseNoisePgdOptions, type PointFlags } from '../noise-options.js';
import { parseInteger, parseNumber } from '../options.js';
import { flushNotes } from '../notes.js';
import { progressBar, type Progress } from '../progress.js';
import { table } from '../tables.js';

export interface NoisePgdFlags extends PointFlags {
  model?: string[];
  samples: string;
  seed: string;
  eps: string;
  steps: string;
  stepSize?: string;
  target?: string;
  panelRows: string;
  out?: string;
  force?: boolean;
  json?: boolean;
}

export function renderNoisePgd(result: NoisePgdResult): string {
  const several = result.rows.some((r) => r.sample > 0);
  const rows = result.rows.map((r) => [
    `${r.mu}`,
    `${r.sigma}${several ? `, #${r.sample + 1}` : ''}`,
    r.mode === 'targeted' ? `targeted: ${r.target?.name}` : 'untargeted',
    `${r.before.name} ${r.before.p.toFixed(3)}`,
    `${r.after.name} ${r.after.p.toFixed(3)}`,
    r.success ? 'yes' : 'no',
  ]);
  const fractions = Object.entries(result.confidentAfter).map(
    ([mode, f]) => `${mode} ${formatPercent(f as number)}`,
  );
  return [
    `${result.model}: Linf PGD, eps ${result.eps.toPrecision(4)}, ${result.steps} steps of ${(result.relStepsize * result.eps).toPrecision(3)}`,
    table(['mu', 'sigma', 'attack', 'before (top-1, p)', 'after (top-1, p)', 'success'], rows),
    `classified with p >= ${result.confidence}: before ${formatPercent(result.confidentBefore)}; after PGD: ${fractions.join(', ')}`,
  ].join('\n');
}

export async function noisePgdAction(
  flags: NoisePgdFlags,
  out: (s: string) => void = (s) => process.stdout.write(s),
) {
  await initEngine();
  const { points, samples, seed } = parseNoisePgdOptions(flags);
  const panelRows = parseInteger(flags.panelRows, '--panel-rows', 0);
  const steps = parseInteger(flags.steps, '--steps', 1);
  const models = await loadModels(flags.model ?? [NOISE_PGD_DEFAULT_MODEL]);
  const runs = await disposingOnError(models, async () => {
    const checked: NoisePgdModelRun[] = [];
    for (const model of models) {
      const eps = await asUsage(() => parseSingleEpsilon(flags.eps, model.bounds));
      const target =
        flags.target === undefined
          ? undefined
          : await asUsage(() => classIndex(model.labels, flags.target as string));
      const relStepsize =
        flags.stepSize === undefined
          ? undefined
          : await asUsage(() => parseNumber(flags.stepSize as string, '--step-size') / eps);
      checked.push({ model, eps, target, relStepsize });
    }
    return checked;
  });
  const prepared = await prepareNoisePgdRun({
    models: runs,
    points,
    samples,
    seed,
    steps,
    panelRows,
    out: flags.out,
    force: flags.force,
  });
  flushNotes(); // the options are checked: the work starts
  let bar: Progress | null = null;
  let barModel = '';
  const { results, files } = await prepared
    .run((p) => {
      if (bar === null || p.model !== barModel) {
        bar?.stop();
        bar = progressBar(`PGD on noise (${p.model})`);
        barModel = p.model;
      }
      bar.update(p.done, p.total, p.label);
    })
    .finally(() => bar?.stop());
  const report = {
    csv: files.csv,
    panels: files.panels,
    results: results.map(({ examples: _examples, ...rest }) => rest),
  };
  if (flags.json) out(JSON.stringify(report, null, 2) + '\n');
  else out([...results.map(renderNoisePgd), files.csv, ...files.panels].join('\n') + '\n');
  return report;
}

export function registerNoisePgdCommand(program: Command): void {
  const d = NOISE_PGD_DEFAULTS;
  addPointOptions(
    getExperimentCommand(program)
      .command('noise-pgd')
      .description(
        "Linf PGD on the sweep's noise images (the book's Figure 10.7): class and confidence before and after",
      )
      .option(
        '-m, --model <M>',
        `model(s), repeat or comma-separate (default: ${NOISE_PGD_DEFAULT_MODEL})`,
        collectList,
      ),
    d,
  )
    .option('-n, --samples <N>', 'noise images per (mu, sigma) point', d.samples)
    .option(
      '-s, --seed <S>',
      "seed of the noise (the sweep's seed gives the sweep's images) and of PGD's random start",
      d.seed,
    )
    .option('-e, --eps <E>', 'Linf radius in units of the bounds (8/255 style fractions allowed)', d.eps)
    .option('--steps <N>', 'PGD steps', d.steps)
    .option('--step-size <A>', 'absolute PGD step size (default 2.5 * eps / steps)')
    .option('-t, --target <CLASS>', 'also run targeted PGD towards this class (index or name)')
    .option('--panel-rows <N>', 'rows of the PNG panel (0: no panel)', d.panelRows)
    .option('-o, --out <DIR>', 'output folder (default: a new folder under advx-out/)')
    .option('--force', 'overwrite existing outputs in --out')
    .option('--json', 'print one JSON document on stdout')
    .action(async (flags: NoisePgdFlags) => {
      await noisePgdAction(flags);
    });
}
