/**
 * The flags of `advx evaluate`, checked (UsageError naming the flag) before any model or data is loaded,
 * and the one check that needs the model: eps against its norm range.
 */
import { createAttack, attackNames } from '../attacks/registry.js';
import {
  DATASET_NAMES,
  EVALUATION_NORMS,
  largestEps,
  PROTOCOL_NAMES,
  type DatasetName,
  type EvaluationNorm,
  type ProtocolName,
} from '../evaluation/index.js';
import type { EvaluationQueue } from '../queue/evaluation-run.js';
import { defaultEngine, ENGINES } from '../models/load.js';
import type { Model } from '../models/model.js';
import { UsageError } from './errors.js';
import { LAYOUTS, type ModelFlags } from './model-options.js';
import { parseBounds, parseChoice, parseInteger, parseNumberList, parsePreprocess } from './options.js';

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
  protocol: { name: ProtocolName; attacks?: string[] };
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

/** How the command runs: in this process, on a queue, or attached to a queued evaluation by id. */
export type EvaluateMode =
  | { kind: 'local'; request: EvaluateRequest }
  | { kind: 'queue'; request: EvaluateRequest; queue: Omit<EvaluationQueue, 'modelRef'> }
  | { kind: 'attach'; queue: string; id: string };

/** The flags of the run and of its queue (`--queue`, `--shard-size`, `--attach`), checked. */
export function parseEvaluateMode(flags: EvaluateFlags): EvaluateMode {
  if (flags.queue === undefined && flags.attach === undefined && flags.shardSize === undefined)
    return { kind: 'local', request: parseEvaluateFlags(flags) };
  if (flags.queue === undefined)
    throw new UsageError(`--${flags.attach ? 'attach' : 'shard-size'}: only with --queue`);
  if (flags.home !== undefined)
    throw new UsageError(
      '--home: not with --queue; each advx worker finds zoo models in its own ADVX_HOME (set it where the workers run)',
    );
  if (flags.attach !== undefined) {
    if (flags.resume || flags.force || flags.out !== undefined)
      throw new UsageError(
        '--attach: the evaluation has its settings and folder; give no --out, --resume or --force',
      );
    return { kind: 'attach', queue: flags.queue, id: flags.attach };
  }
  const request = parseEvaluateFlags(flags);
  const shardSize =
    flags.shardSize === undefined ? undefined : parseInteger(flags.shardSize, '--shard-size', 1);
  return { kind: 'queue', request, queue: { url: flags.queue, shardSize } };
}

/** How workers load `--model`: the spec as given and the flags that change its outputs. */
export function modelReferenceOfFlags(flags: ModelFlags): EvaluationQueue['modelRef'] {
  return {
    spec: flags.model,
    bounds: flags.bounds === undefined ? undefined : ([...parseBounds(flags.bounds)] as [number, number]),
    preprocess: flags.preprocess === undefined ? undefined : parsePreprocess(flags.preprocess),
    engine: flags.engine === undefined ? defaultEngine() : parseChoice(flags.engine, '--engine', ENGINES),
    layout:
      flags.layout === undefined ? undefined : parseChoice(flags.layout.toUpperCase(), '--layout', LAYOUTS),
  };
}

/** The eps values against the model's norm range (needs the model's bounds and input size). */
export function checkEpsilons(request: EvaluateRequest, model: Model): void {
  const largest = largestEps(request.norm, model);
  const bad = request.eps.find((e) => e < 0 || e > largest);
  if (bad !== undefined)
    throw new UsageError(
      `--eps: ${bad} is out of range [0, ${Number(largest.toPrecision(6))}] for the ${request.norm} norm ` +
        `and bounds [${model.bounds}]`,
    );
}
