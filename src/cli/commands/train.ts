/**
 * `advx train`: trains the small Fashion-MNIST CNN (the embedded default model) and saves it as a tfjs
 * layers model folder that `--model DIR` (and the zoo entry `fashion-mnist-cnn`) loads. This file parses
 * the options, runs defenses/classifier-training.ts (one call) and prints its progress.
 *
 * Adversarial training: `--adversarial pgd|fgsm --eps E --steps N --step-size A` (Madry et al. PGD, or
 * fast FGSM with a random start), optionally `--clean-fraction F`, `--arch fashion-mnist-cnn-wide` and
 * `--init DIR` (start from a saved model's weights). Every run checkpoints each epoch in OUT/checkpoint
 * and `--resume` continues an interrupted run exactly. `advx train gan` is train-gan.ts.
 */
import { formatPercent } from '../../experiments/transfer-writers.js';
import type { Command } from 'commander';
import {
  TRAIN_ARCHITECTURES,
  TRAIN_DATASETS,
  type ClassifierTrainingReport,
  type ClassifierTrainingSettings,
} from '../../defenses/classifier-training-settings.js';
import { runClassifierTraining } from '../../defenses/classifier-training.js';
import { asUsageErrors } from '../library-errors.js';
import { progressBar, type Progress } from '../progress.js';
import { parseTrainFlags, type TrainFlags } from '../train-flags.js';

export { parseTrainFlags, type TrainFlags } from '../train-flags.js';

const percent = (fraction: number) => formatPercent(fraction, 2);

/** The first line of a run: what is trained on what, how. */
function startLine(s: ClassifierTrainingSettings, trainImages: number, backend: string, labeled?: number) {
  const run = `${s.epochs} epochs, batch ${s.batchSize}, learning rate ${s.learningRate}, seed ${s.seed}`;
  if (s.vat !== undefined) {
    return (
      `training ${s.arch} with virtual adversarial training on ${labeled} labelled + ${trainImages} unlabelled ${s.dataset} images (${backend}): ` +
      `${run}, VAT eps ${s.vat.eps}, alpha ${s.vat.alpha}\n`
    );
  }
  const a = s.adversarial;
  const recipe =
    a === undefined
      ? ''
      : `, adversarial ${a.method} eps ${a.eps}${a.method === 'pgd' ? ` ${a.steps} steps` : ''} of ${a.stepSize}` +
        (a.cleanFraction > 0 ? `, ${a.cleanFraction} of each batch clean` : '');
  return `training ${s.arch} on ${trainImages} ${s.dataset} images (${backend}): ${run}${recipe}\n`;
}

/**
 * The action of `advx train` (callable without spawning a process): checks the options, trains, prints
 * one line per epoch (once its checkpoint is saved) with the test accuracy, and the saved model. Bad
 * options, a bad --out and a missing data set throw a UsageError (exit 2) before any work.
 */
export async function trainAction(
  flags: TrainFlags,
  out: (s: string) => void = (s) => process.stdout.write(s),
): Promise<ClassifierTrainingReport> {
  const settings = parseTrainFlags(flags);
  let bar: Progress | null = null;
  try {
    return await asUsageErrors(() =>
      runClassifierTraining(settings, {
        onStart: ({ trainImages, labeledImages, backend }) =>
          out(startLine(settings, trainImages, backend, labeledImages)),
        onResume: (epoch, dir) => out(`resuming after epoch ${epoch} from ${dir}\n`),
        onProgress: (p) => {
          bar ??= progressBar(`epoch ${p.epoch}/${p.epochs}`);
          bar.update(p.batch, p.batches, `loss ${p.loss.toFixed(4)}`);
          if (p.batch === p.batches) {
            bar.stop();
            bar = null;
          }
        },
        onEpoch: (e, r) =>
          out(
            `epoch ${e.epoch}/${settings.epochs}: loss ${e.loss.toFixed(4)}, train accuracy ${percent(e.trainAccuracy)}, ` +
              `test accuracy ${percent(e.testAccuracy)} (${e.seconds.toFixed(1)} s)\n` +
              (r === undefined
                ? ''
                : `  PGD-${r.steps} (step ${r.stepSize}, eps ${r.eps}, random start) on the first ${r.images} test images: clean ${percent(r.clean)}, robust ${percent(r.robust)}\n`),
          ),
        onVatEpoch: (e) =>
          out(
            `epoch ${e.epoch}/${settings.epochs}: cross-entropy ${e.crossEntropy.toFixed(4)}, LDS ${e.lds.toFixed(4)}, ` +
              `test accuracy ${percent(e.testAccuracy)} (${e.seconds.toFixed(1)} s)\n`,
          ),
        onSaved: (saved) => {
          const weights =
            settings.vat === undefined ? `${(saved.weightBytes / 1e6).toFixed(2)} MB of weights, ` : '';
          out(
            `saved ${saved.dir} (test accuracy ${percent(saved.testAccuracy)} on ${saved.testImages} images, ` +
              `${weights}${saved.seconds.toFixed(0)} s)\n`,
          );
        },
      }),
    );
  } finally {
    (bar as Progress | null)?.stop();
  }
}

/** Adds `advx train` to the program (`advx train gan` is added under it by train-gan.ts). */
export function registerTrainCommand(program: Command): void {
  // `advx train gan --epochs 3`: options after `gan` belong to gan, not to train (which has an --epochs
  // of its own). Commander needs positional options for that, set on the program before `train` is made
  // (subcommands, gan too, inherit it); other commands are not affected (the program's own options,
  // --help and --version, come first anyway).
  program.enablePositionalOptions();
  program
    .command('train')
    .description(
      'train the small Fashion-MNIST CNN (the embedded default model) and save it as a tfjs layers model',
    )
    .option('--dataset <name>', `training data (${TRAIN_DATASETS.join(', ')})`, 'fashion-mnist')
    .option('--epochs <n>', 'passes over the training set', '5')
    .option('--batch-size <n>', 'images per optimizer step', '64')
    .option('--learning-rate <lr>', 'Adam learning rate', '0.001')
    .option('--seed <s>', 'seed of the initial weights and of the shuffling', '1')
    .option('--limit <n>', 'train on the first N training images only (smoke runs)')
    .option('--out <dir>', 'folder to save model.json and weights.bin in (required)')
    .option('--force', 'replace a model already in --out')
    .option(
      '--arch <name>',
      `architecture (${Object.keys(TRAIN_ARCHITECTURES).join(', ')})`,
      'fashion-mnist-cnn',
    )
    .option(
      '--init <dir>',
      'start from the weights of a saved model of the same architecture (e.g. fine-tune the natural model)',
    )
    .option('--adversarial <method>', `adversarial training: pgd (Madry et al.) or fgsm (fast, random start)`)
    .option('--eps <e>', 'Linf radius of the training attack (default 0.1)')
    .option('--steps <n>', 'PGD steps of the training attack (default 8)')
    .option('--step-size <a>', 'step of the training attack (default eps/5 for pgd, 1.25 eps for fgsm)')
    .option('--clean-fraction <f>', 'share of each batch kept clean (default 0)')
    .option(
      '--robust-eval <n>',
      'after each epoch, PGD-20 robust accuracy on the first N test images (default 500 with --adversarial, else 0)',
    )
    .option('--resume', 'continue the run checkpointed in OUT/checkpoint (same options; --epochs may grow)')
    .option(
      '--keep-checkpoint',
      'keep OUT/checkpoint after training (default: removed when training completes)',
    )
    .option(
      '--vat',
      'semi-supervised virtual adversarial training: the first --labeled images keep their labels, all are used unlabelled',
    )
    .option('--labeled <n>', 'labelled training images with --vat (default 1000)')
    .option('--vat-eps <e>', 'L2 radius of the virtual adversarial perturbation (default 2)')
    .option(
      '--vat-alpha <a>',
      'weight of the VAT smoothness term (default 1; 0: supervised only, the baseline)',
    )
    .action(async (flags: TrainFlags) => {
      await trainAction(flags);
    });
}
