/**
 * `advx evaluate --model M --dataset fashion-mnist|mnist|cifar10|imagenet-samples [--images N] [--offset K]
 *  --norm linf|l2 --eps E[,E...] --protocol autoattack|autoattack-rand|pgd|custom [--attacks a,b,c]
 *  [--json] [--out DIR] [--resume] [--force] [--seed S] [--batch-size B]
 *  [--queue redis://HOST:PORT[/DB] [--shard-size N] | --queue URL --attach ID]`
 *
 * Robust accuracy under an evaluation protocol (src/evaluation): prints the clean accuracy, then the
 * robust accuracy after each attack as it goes (progress on stderr), then the sanity warnings. With
 * `--out`, the state is saved after every batch and `--resume` continues a killed run. `--json` prints
 * one JSON document (the evaluation; `{ evaluations, warnings }` for several eps) and nothing else.
 *
 * With `--queue`, the images go in shards (`--shard-size` images, whole batches) onto a Redis queue for
 * `advx worker`s anywhere (src/queue); the command shows one progress bar over all of them and prints and
 * writes what a single-process run does, with the same result. A killed coordinator continues with
 * `--resume` (same `--out`) or `--attach ID`.
 */
import type { Command } from 'commander';
import { initEngine } from '../../engine/backend.js';
import type { EpsilonsResult } from '../../evaluation/evaluate-epsilons.js';
import { DATASET_NAMES, EVALUATION_NORMS, PROTOCOL_NAMES } from '../../evaluation/index.js';
import {
  prepareEvaluationRun,
  type EvaluationRunRequest,
  type PreparedEvaluationRun,
} from '../../queue/evaluation-run.js';
import type { Model } from '../../models/model.js';
import { asUsage } from '../errors.js';
import {
  checkEpsilons,
  EVALUATE_DEFAULTS,
  modelReferenceOfFlags,
  parseEvaluateMode,
  type EvaluateFlags,
} from '../evaluate-flags.js';
import { addModelOptions, loadModelFromFlags } from '../model-options.js';
import {
  describeRun,
  EvaluationPrinter,
  evaluationOutput,
  renderEvaluationResult,
} from '../render-evaluation.js';

export { EVALUATE_DEFAULTS, parseEvaluateFlags } from '../evaluate-flags.js';
export type { EvaluateFlags, EvaluateRequest } from '../evaluate-flags.js';
export type EvaluateOutput = EpsilonsResult;

/** The library's request from the flags; loads the model (disposed by the caller) unless attaching. */
async function runRequest(flags: EvaluateFlags): Promise<{ request: EvaluationRunRequest; model?: Model }> {
  const mode = parseEvaluateMode(flags);
  if (mode.kind === 'attach') return { request: { attach: { queue: mode.queue, id: mode.id } } };
  const { request } = mode;
  const queue = mode.kind === 'queue' ? { ...mode.queue, modelRef: modelReferenceOfFlags(flags) } : undefined;
  await initEngine();
  const model = await loadModelFromFlags(flags);
  try {
    checkEpsilons(request, model);
  } catch (error) {
    model.dispose();
    throw error;
  }
  const { dataset, images, offset, ...settings } = request;
  const data = { dataset, images, offset };
  return {
    model,
    request: { ...settings, model, data, out: flags.out, resume: flags.resume, force: flags.force, queue },
  };
}

export async function evaluateAction(
  flags: EvaluateFlags,
  out: (s: string) => void = (s) => process.stdout.write(s),
  err: (s: string) => void = (s) => process.stderr.write(s),
): Promise<EvaluateOutput> {
  const { request, model } = await runRequest(flags);
  try {
    const output = evaluationOutput(flags.json, out, err);
    const printer = new EvaluationPrinter(output);
    const prepared: PreparedEvaluationRun = await asUsage(() =>
      prepareEvaluationRun(request, (event) => printer.handle(event)),
    );
    output.line(describeRun(prepared.configs));
    let result: EvaluateOutput;
    try {
      result = await prepared.run();
    } finally {
      printer.stop();
    }
    renderEvaluationResult(result, flags, output);
    return result;
  } finally {
    model?.dispose();
  }
}

export function registerEvaluateCommand(program: Command): void {
  const d = EVALUATE_DEFAULTS;
  addModelOptions(
    program
      .command('evaluate')
      .description('robust accuracy under an evaluation protocol (AutoAttack, PGD, custom), resumable'),
  )
    .option('-d, --dataset <NAME>', `test images of: ${DATASET_NAMES.join(', ')}`)
    .option('-n, --images <N>', 'number of images', d.images)
    .option('--offset <K>', 'dataset index of the first image', d.offset)
    .option('--norm <NORM>', `norm of eps: ${EVALUATION_NORMS.join(', ')}`, d.norm)
    .option('-e, --eps <LIST>', 'perturbation budget(s) in units of the bounds, e.g. 8/255 or 0.05,0.1')
    .option('-p, --protocol <NAME>', `${PROTOCOL_NAMES.join(', ')}`, d.protocol)
    .option('--attacks <LIST>', 'attacks of --protocol custom, in order (e.g. fgsm,linf-pgd)')
    .option('-s, --seed <S>', 'seed of the attacks (each batch derives its own)', d.seed)
    .option('--batch-size <B>', 'images attacked at a time', d.batchSize)
    .option('-o, --out <DIR>', 'folder for state.json (saved after every batch) and evaluation.json')
    .option('--resume', 'continue the evaluation in --out (same settings only)')
    .option('--force', 'start over in an --out that holds an earlier evaluation')
    .option('--json', 'print one JSON document on stdout')
    .option('-q, --queue <URL>', 'run on advx workers through the Redis at redis://HOST:PORT[/DB]')
    .option(
      '--shard-size <N>',
      'with --queue: images per job, rounded up to whole batches (default: one batch)',
    )
    .option('--attach <ID>', 'with --queue: continue the queued evaluation with this id')
    .action(async (flags: EvaluateFlags) => {
      await evaluateAction(flags);
    });
}
