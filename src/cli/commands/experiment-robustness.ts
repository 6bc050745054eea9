/**
 * `advx experiment robustness [--model M] [--robust-model M|none] [--generator DIR|none] [--eps LIST]
 *  [--images N] [--projection-images N] [--steps N] [--rel-step R] [--restarts N] [--projection-steps L]
 *  [--projection-restarts R] [--projection-lr LR] [--projection-eps LIST] [--eot K] [--latent-steps N] [--seed S]
 *  [--out DIR] [--force] [--json]`
 *
 * Robust accuracy against eps on the Fashion-MNIST test set (the first N images) for the natural CNN,
 * the adversarially trained CNN and the GAN projection defense, under FGSM and PGD with restarts, and
 * for the projection also PGD ignoring it, BPDA and BPDA+EOT: CSV, plot (PNG + SVG) and a table.
 */
import type { Command } from 'commander';
import { initEngine } from '../../engine/backend.js';
import { ROBUSTNESS_MAX_SEED, type RobustnessSettings } from '../../experiments/robustness.js';
import { prepareRobustnessRun, type RobustnessRun } from '../../experiments/robustness-run.js';
import { LIMITS } from '../../limits.js';
import { asUsage, UsageError } from '../errors.js';
import { getExperimentCommand } from '../experiment-command.js';
import { parseEpsilons, parseInteger, parseNumber, parseSeed } from '../options.js';
import { progressBar } from '../progress.js';
import { renderRobustnessRun } from '../render-robustness.js';

export interface RobustnessFlags {
  model: string;
  robustModel: string;
  generator: string;
  eps: string;
  images: string;
  projectionImages: string;
  steps: string;
  relStep: string;
  restarts: string;
  projectionSteps: string;
  projectionRestarts: string;
  projectionLr: string;
  projectionEps?: string;
  eot: string;
  latentSteps: string;
  seed: string;
  out?: string;
  force?: boolean;
  json?: boolean;
}

export const ROBUSTNESS_DEFAULTS = {
  model: 'fashion-mnist-cnn',
  robustModel: 'fashion-mnist-cnn-robust',
  generator: 'fashion-mnist-gan',
  eps: '0,0.025,0.05,0.075,0.1,0.15,0.2',
  images: '500',
  projectionImages: '100',
  steps: '20',
  relStep: '0.125',
  restarts: '2',
  projectionSteps: '100',
  projectionRestarts: '2',
  projectionLr: '0.05',
  projectionEps: '0,0.05,0.1,0.15',
  eot: '2',
  latentSteps: '200',
  seed: '0',
};

export function parseRobustnessSettings(flags: RobustnessFlags): RobustnessSettings {
  const positive = (text: string, option: string) => {
    const v = parseNumber(text, option);
    if (!(v > 0)) throw new UsageError(`${option}: must be > 0 (got ${text})`);
    return v;
  };
  return {
    epsilons: parseEpsilons(flags.eps, [0, 1]),
    steps: parseInteger(flags.steps, '--steps', 1),
    relStepsize: positive(flags.relStep, '--rel-step'),
    restarts: parseInteger(flags.restarts, '--restarts', 1),
    seed: parseSeed(flags.seed, '--seed', ROBUSTNESS_MAX_SEED),
    projection: {
      steps: parseInteger(flags.projectionSteps, '--projection-steps', 1),
      restarts: parseInteger(flags.projectionRestarts, '--projection-restarts', 1),
      lr: positive(flags.projectionLr, '--projection-lr'),
    },
    eotSamples: parseInteger(flags.eot, '--eot', 1, LIMITS.batchSize),
    latentSteps: parseInteger(flags.latentSteps, '--latent-steps', 0),
    projectionEpsilons:
      flags.projectionEps === undefined
        ? undefined
        : parseEpsilons(flags.projectionEps, [0, 1], '--projection-eps'),
  };
}

export async function robustnessAction(
  flags: RobustnessFlags,
  out: (s: string) => void = (s) => process.stdout.write(s),
): Promise<RobustnessRun> {
  const settings = await asUsage(() => parseRobustnessSettings(flags));
  const images = await asUsage(() => parseInteger(flags.images, '--images', 1));
  const projectionImages = await asUsage(() =>
    parseInteger(flags.projectionImages, '--projection-images', 1),
  );
  await initEngine();
  const prepared = await asUsage(() =>
    prepareRobustnessRun({
      model: flags.model,
      robustModel: flags.robustModel === 'none' ? undefined : flags.robustModel,
      generator: flags.generator === 'none' ? undefined : flags.generator, // a folder, or the shipped one's name
      images,
      projectionImages,
      settings,
      out: flags.out,
      force: flags.force,
    }),
  );
  const bar = progressBar('robustness');
  let run: RobustnessRun;
  try {
    run = await prepared.run((label, done, total) => bar.update(done, total, label));
  } finally {
    bar.stop();
  }
  if (flags.json)
    out(JSON.stringify({ ...run.result, csv: run.csv, png: run.png, svg: run.svg }, null, 2) + '\n');
  else out(renderRobustnessRun(run, { ...prepared, projectionImages }));
  return run;
}

export function registerRobustnessCommand(program: Command): void {
  const d = ROBUSTNESS_DEFAULTS;
  getExperimentCommand(program)
    .command('robustness')
    .description(
      'robust accuracy vs eps: natural CNN, adversarially trained CNN, GAN projection (PGD, BPDA, EOT)',
    )
    .option(
      '-m, --model <M>',
      'the naturally trained classifier (also the one behind the projection)',
      d.model,
    )
    .option('--robust-model <M>', "the adversarially trained classifier ('none' to skip)", d.robustModel)
    .option(
      '--generator <DIR>',
      "generator folder or embedded name for the projection defense ('none' to skip)",
      d.generator,
    )
    .option('-e, --eps <LIST>', 'epsilons (Linf, pixels in [0,1])', d.eps)
    .option('-n, --images <N>', 'first N Fashion-MNIST test images', d.images)
    .option(
      '--projection-images <N>',
      'first N of those for the projection defense (each attack step projects)',
      d.projectionImages,
    )
    .option('--steps <N>', 'PGD steps', d.steps)
    .option('--rel-step <R>', 'PGD step size relative to eps (0.125: 0.0125 at eps 0.1)', d.relStep)
    .option('--restarts <N>', 'PGD restarts (robust = survives all)', d.restarts)
    .option('--projection-steps <L>', 'Adam steps on z per projection', d.projectionSteps)
    .option('--projection-restarts <R>', 'random starts per projection', d.projectionRestarts)
    .option('--projection-lr <LR>', 'Adam learning rate on z', d.projectionLr)
    .option('--projection-eps <LIST>', 'epsilons for the projection attacks', d.projectionEps)
    .option('--eot <K>', 'projections averaged per EOT gradient', d.eot)
    .option(
      '--latent-steps <N>',
      'Adam steps of the latent-space (on-manifold) attack; 0 skips it',
      d.latentSteps,
    )
    .option('-s, --seed <S>', 'seed of random starts and projections', d.seed)
    .option('-o, --out <DIR>', 'output folder (default: a new folder under advx-out/)')
    .option('--force', 'overwrite existing outputs in --out')
    .option('--json', 'print one JSON document on stdout')
    .action(async (flags: RobustnessFlags) => {
      await robustnessAction(flags);
    });
}
