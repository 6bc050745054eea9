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
import { attackNames, createAttack } from '../../attacks/registry.js';
import { initEngine } from '../../engine/backend.js';
import {
  DATASET_NAMES,
  EVALUATION_NORMS,
  largestEps,
  PROTOCOL_NAMES,
  prepareEpsilons,
  runEpsilons,
  type DatasetName,
  type EvaluationConfig,
  type EvaluationEvent,
  type EvaluationNorm,
  type EvaluationResult,
  type Protocol,
  type ProtocolName,
} from '../../evaluation/index.js';
import type { Model } from '../../models/model.js';
import { asUsage, UsageError } from '../errors.js';
import { addModelOptions, loadModelFromFlags, type ModelFlags } from '../model-options.js';
import { parseInteger, parseNumberList } from '../options.js';
import { progressBar, type Progress } from '../progress.js';
import {
  attachQueuedEvaluation,
  prepareQueuedEvaluation,
  type PreparedQueuedEvaluation,
  type QueuedEvaluationEvent,
} from '../../queue/coordinator.js';
import { defaultEngine, ENGINES } from '../../models/load.js';
import { parseBounds, parseChoice, parsePreprocess } from '../options.js';

export interface EvaluateFlags extends ModelFlags {
  dataset?: string;
  images: string;
  offset: string;
  norm: string;
  eps?: string;
  protocol: string;
  attacks?: string;
  seed: string;
  batchSize: string;
  out?: string;
  resume?: boolean;
  force?: boolean;
  json?: boolean;
  /** Run on `advx worker`s through the Redis at this URL. */
  queue?: string;
  shardSize?: string;
  /** Continue the queued evaluation with this id. */
  attach?: string;
}

export const EVALUATE_DEFAULTS = {
  images: '100',
  offset: '0',
  norm: 'linf',
  protocol: 'autoattack',
  seed: '0',
  batchSize: '100',
};

/** What the flags ask for, checked before any model or data is loaded. */
export interface EvaluateRequest {
  dataset: DatasetName;
  images: number;
  offset: number;
  norm: EvaluationNorm;
  eps: number[];
  protocol: Protocol;
  seed: number;
  batchSize: number;
}

function oneOf<T extends string>(value: string, known: readonly T[], option: string, what: string): T {
  if (!(known as readonly string[]).includes(value))
    throw new UsageError(`${option}: unknown ${what} '${value}' (known: ${known.join(', ')})`);
  return value as T;
}

export function parseEvaluateFlags(flags: EvaluateFlags): EvaluateRequest {
  if (flags.dataset === undefined)
    throw new UsageError(`--dataset: give the data set (${DATASET_NAMES.join(', ')})`);
  const dataset = oneOf(flags.dataset, DATASET_NAMES, '--dataset', 'data set');
  const protocolName = oneOf<ProtocolName>(flags.protocol, PROTOCOL_NAMES, '--protocol', 'protocol');
  const norm = oneOf(flags.norm, EVALUATION_NORMS, '--norm', 'norm');
  if (flags.eps === undefined) throw new UsageError('--eps: give the perturbation budget (e.g. 8/255)');
  const eps = parseNumberList(flags.eps, '--eps');
  const twice = eps.find((e, i) => eps.indexOf(e) !== i);
  if (twice !== undefined) throw new UsageError(`--eps: ${twice} is given twice`);
  const attacks = flags.attacks
    ?.split(',')
    .map((a) => a.trim())
    .filter((a) => a !== '');
  if (attacks !== undefined && protocolName !== 'custom')
    throw new UsageError(
      `--attacks: only with --protocol custom (the ${protocolName} protocol fixes its attacks)`,
    );
  if (protocolName === 'custom' && (attacks === undefined || attacks.length === 0))
    throw new UsageError(`--protocol custom: give --attacks (names from: ${attackNames().join(', ')})`);
  for (const name of attacks ?? []) {
    let attackNorm: string;
    try {
      attackNorm = createAttack(name).norm;
    } catch (error) {
      throw new UsageError(`--attacks: ${(error as Error).message}`);
    }
    if (attackNorm !== norm)
      throw new UsageError(`--attacks: ${name} measures eps in ${attackNorm}, but --norm is ${norm}`);
  }
  if (flags.resume && flags.force) throw new UsageError('--resume and --force exclude each other');
  if (flags.resume && flags.out === undefined)
    throw new UsageError('--resume: give --out, the folder of the evaluation to continue');
  return {
    dataset,
    images: parseInteger(flags.images, '--images', 1),
    offset: parseInteger(flags.offset, '--offset', 0),
    norm,
    eps,
    protocol: { name: protocolName, attacks },
    seed: parseInteger(flags.seed, '--seed', 0),
    batchSize: parseInteger(flags.batchSize, '--batch-size', 1),
  };
}

/** The eps values against the model's norm range (needs the model's bounds and input size). */
function checkEpsilons(request: EvaluateRequest, model: Model): void {
  const largest = largestEps(request.norm, model);
  const bad = request.eps.find((e) => e < 0 || e > largest);
  if (bad !== undefined)
    throw new UsageError(
      `--eps: ${bad} is out of range [0, ${Number(largest.toPrecision(6))}] for the ${request.norm} norm ` +
        `and bounds [${model.bounds}]`,
    );
}

const percent = (fraction: number) => `${(100 * fraction).toFixed(2)}%`;
/** An eps as people read it (8/255 -> 0.0313725). */
const shortEps = (eps: number) => String(Number(eps.toPrecision(6)));

/** Renders the events of a run as lines (stdout) and progress bars (stderr). */
class EvaluationPrinter {
  private bar: Progress | null = null;

  constructor(
    private readonly line: (text: string) => void,
    private readonly warn: (text: string) => void,
    /** Where a queued run's status lines go (stderr). */
    private readonly status: (text: string) => void = warn,
  ) {}

  private stopBar() {
    this.bar?.stop();
    this.bar = null;
  }

  /** Lines and the one progress bar of a queued run (its result lines are the single-process ones). */
  handleQueued(event: QueuedEvaluationEvent): void {
    switch (event.kind) {
      case 'queued':
        this.stopBar();
        this.status(
          `evaluation ${event.id}: ${event.jobs - event.done} jobs on the queue` +
            (event.done > 0 ? ` (${event.done} done before)` : '') +
            ' for advx worker --queue',
        );
        return;
      case 'progress':
        this.bar ??= progressBar('queue');
        this.bar.update(
          Math.floor(event.done),
          event.total,
          `${event.jobsDone}/${event.jobs} jobs, ${event.workers} workers`,
        );
        return;
      case 'redis':
        this.stopBar();
        this.status(
          event.up ? 'Redis is back: continuing' : `Redis is away (${event.reason}): the work waits for it`,
        );
        return;
      case 'requeued':
        this.stopBar();
        this.status(`${event.jobs} jobs Redis had lost are on the queue again`);
        return;
      case 'job-failed':
        this.stopBar();
        this.status(
          `job ${event.job} (images ${event.images}, eps ${shortEps(event.eps)}) failed: ${event.reason}`,
        );
        return;
      case 'eps':
        this.stopBar();
        if (event.count > 1) this.line(`eps ${shortEps(event.eps)}`);
        return;
      default:
        this.handle(event);
    }
  }

  handle(event: EvaluationEvent): void {
    switch (event.kind) {
      case 'start':
        if (event.resumed)
          this.line(`resuming: ${event.cleanDone} of ${event.images} images classified before`);
        return;
      case 'progress': {
        this.bar ??= progressBar(
          event.stage === 'clean' ? 'clean' : `attack ${event.attackIndex + 1}/${event.attacks}`,
        );
        this.bar.update(event.done, event.total, event.attack ?? 'clean pass');
        return;
      }
      case 'clean':
        this.stopBar();
        this.line(`clean accuracy: ${percent(event.cleanAccuracy)} (${event.correct}/${event.images})`);
        return;
      case 'attack':
        this.stopBar();
        this.line(
          `robust accuracy after ${event.name}: ${percent(event.robustAccuracy)} (${event.robust}/${event.images}; ` +
            `${event.attacked} attacked, ${event.seconds.toFixed(1)} s)`,
        );
        return;
      case 'warning':
        this.stopBar();
        this.warn(`warning: ${event.message}`);
        return;
    }
  }

  stop() {
    this.stopBar();
  }
}

/** What is evaluated, from the configurations of its eps. */
function describeRun(configs: readonly EvaluationConfig[]): string {
  const [c] = configs;
  return (
    `model ${c.model} on ${c.dataset} test images ${c.offset}..${c.offset + c.images - 1} (${c.images}), ` +
    `${c.norm} eps ${configs.map((e) => shortEps(e.eps)).join(', ')}, protocol ${c.protocol}: ${c.attacks.join(', ')}`
  );
}

export interface EvaluateOutput {
  evaluations: EvaluationResult[];
  warnings: string[];
}

/** Prints the result of a run as the single-process command does. */
function renderResult(
  result: EvaluateOutput,
  flags: EvaluateFlags,
  out: (s: string) => void,
  line: (text: string) => void,
  warn: (text: string) => void,
): void {
  result.warnings.forEach((w) => warn(`warning: ${w}`));
  if (flags.json) {
    const document = result.evaluations.length === 1 ? result.evaluations[0] : result;
    out(JSON.stringify(document, null, 2) + '\n');
  } else {
    for (const e of result.evaluations)
      line(
        `robust accuracy at eps ${shortEps(e.eps)}: ${percent(e.robustAccuracy)} (clean ${percent(e.cleanAccuracy)})`,
      );
    if (flags.out !== undefined) line(`results: ${flags.out}`);
  }
}

/** `--queue`: the evaluation (new, resumed or attached to by id) on workers; the same output. */
async function evaluateOnQueueAction(
  flags: EvaluateFlags,
  out: (s: string) => void,
  err: (s: string) => void,
): Promise<EvaluateOutput> {
  if (flags.queue === undefined)
    throw new UsageError(`--${flags.attach ? 'attach' : 'shard-size'}: only with --queue`);
  if (flags.home !== undefined)
    throw new UsageError(
      '--home: not with --queue; each advx worker finds zoo models in its own ADVX_HOME (set it where the workers run)',
    );
  const queue = flags.queue;
  const line = (text: string) => (flags.json ? undefined : out(`${text}\n`));
  const warn = (text: string) => (flags.json ? err(`advx: ${text}\n`) : out(`${text}\n`));
  const printer = new EvaluationPrinter(line, warn, (text) => err(`advx: ${text}\n`));
  const onEvent = (event: QueuedEvaluationEvent) => printer.handleQueued(event);
  let prepared: PreparedQueuedEvaluation;
  if (flags.attach !== undefined) {
    if (flags.resume || flags.force || flags.out !== undefined)
      throw new UsageError(
        '--attach: the evaluation has its settings and folder; give no --out, --resume or --force',
      );
    const id = flags.attach;
    prepared = await asUsage(() => attachQueuedEvaluation(queue, id, { onEvent }));
  } else {
    const request = parseEvaluateFlags(flags);
    const shardSize =
      flags.shardSize === undefined ? undefined : parseInteger(flags.shardSize, '--shard-size', 1);
    const modelRef = {
      spec: flags.model,
      bounds: flags.bounds === undefined ? undefined : ([...parseBounds(flags.bounds)] as [number, number]),
      preprocess: flags.preprocess === undefined ? undefined : parsePreprocess(flags.preprocess),
      engine: flags.engine === undefined ? defaultEngine() : parseChoice(flags.engine, '--engine', ENGINES),
      layout:
        flags.layout === undefined
          ? undefined
          : parseChoice(flags.layout.toUpperCase(), '--layout', ['NCHW', 'NHWC'] as const),
    };
    await initEngine();
    const model = await loadModelFromFlags(flags);
    try {
      checkEpsilons(request, model);
      prepared = await asUsage(() =>
        prepareQueuedEvaluation({
          queue,
          model,
          modelRef,
          data: { dataset: request.dataset, images: request.images, offset: request.offset },
          protocol: {
            name: request.protocol.name,
            attacks: request.protocol.attacks?.filter((a) => typeof a === 'string'),
          },
          norm: request.norm,
          eps: request.eps,
          seed: request.seed,
          batchSize: request.batchSize,
          shardSize,
          out: flags.out,
          resume: flags.resume,
          force: flags.force,
          onEvent,
        }),
      );
    } finally {
      model.dispose();
    }
  }
  line(describeRun(prepared.configs));
  let result: EvaluateOutput;
  try {
    result = await prepared.run();
  } finally {
    printer.stop();
  }
  renderResult(result, flags, out, line, warn);
  return result;
}

export async function evaluateAction(
  flags: EvaluateFlags,
  out: (s: string) => void = (s) => process.stdout.write(s),
  err: (s: string) => void = (s) => process.stderr.write(s),
): Promise<EvaluateOutput> {
  if (flags.queue !== undefined || flags.attach !== undefined || flags.shardSize !== undefined)
    return evaluateOnQueueAction(flags, out, err);
  const request = parseEvaluateFlags(flags);
  await initEngine();
  const model = await loadModelFromFlags(flags);
  try {
    checkEpsilons(request, model);
    const line = (text: string) => (flags.json ? undefined : out(`${text}\n`));
    const warn = (text: string) => (flags.json ? err(`advx: ${text}\n`) : out(`${text}\n`));
    const printer = new EvaluationPrinter(line, warn);
    const prepared = await asUsage(() =>
      prepareEpsilons(
        model,
        { dataset: request.dataset, images: request.images, offset: request.offset },
        request.protocol,
        {
          norm: request.norm,
          eps: request.eps,
          seed: request.seed,
          batchSize: request.batchSize,
          out: flags.out,
          resume: flags.resume,
          force: flags.force,
          onEvent: (event) => printer.handle(event),
        },
      ),
    );
    line(describeRun(prepared.map((p) => p.config)));
    let result: EvaluateOutput;
    try {
      result = await runEpsilons(prepared, (eps, _, count) =>
        count > 1 ? line(`eps ${shortEps(eps)}`) : undefined,
      );
    } finally {
      printer.stop();
    }
    renderResult(result, flags, out, line, warn);
    return result;
  } finally {
    model.dispose();
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
