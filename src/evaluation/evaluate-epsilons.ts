/**
 * An evaluation at several eps (a robustness curve): one `evaluate` per eps, each with its own state in
 * `out/eps-<eps>/` (so each resumes on its own; a single eps uses `out` itself), and the checks that need several eps: robust accuracy
 * must not rise with eps, no image may be robust at a larger eps but not at a smaller one, and clean
 * accuracy must not change between runs.
 */
import { join } from 'node:path';
import type { Model } from '../models/model.js';
import {
  checkEvaluateOptions,
  prepareEvaluation,
  type EvaluateOptions,
  type PreparedEvaluation,
} from './evaluate.js';
import { loadEvaluationData, type DatasetSelection, type EvaluationData } from './evaluation-data.js';
import type { EvaluationResult } from './evaluation-result.js';
import type { Protocol, ProtocolName } from './protocols.js';
import { epsilonWarnings } from './sanity-checks.js';

export interface EpsilonsOptions extends Omit<EvaluateOptions, 'eps'> {
  eps: readonly number[];
}

export interface EpsilonsResult {
  evaluations: EvaluationResult[];
  /** Warnings across eps (each evaluation carries its own too). */
  warnings: string[];
}

/** The output sub-folder of one eps. */
export function epsilonFolder(out: string, eps: number): string {
  return join(out, `eps-${eps}`);
}

/** One prepared evaluation per eps (every check done, every state folder opened) before any runs. */
export async function prepareEpsilons(
  model: Model,
  data: EvaluationData | DatasetSelection,
  protocol: ProtocolName | Protocol,
  options: EpsilonsOptions,
): Promise<PreparedEvaluation[]> {
  const { eps: epsilons, out, ...rest } = options;
  if (epsilons.length === 0) throw new Error('eps: give at least one');
  if (new Set(epsilons).size !== epsilons.length)
    throw new Error(`eps: a value is given twice (${epsilons})`);
  for (const eps of epsilons) checkEvaluateOptions(model, { ...options, eps });
  const images = 'load' in data ? data : loadEvaluationData(data);
  const prepared: PreparedEvaluation[] = [];
  for (const eps of epsilons) {
    const folder = out === undefined || epsilons.length === 1 ? out : epsilonFolder(out, eps);
    prepared.push(await prepareEvaluation(model, images, protocol, { ...rest, eps, out: folder }));
  }
  return prepared;
}

/** The evaluations prepared by `prepareEpsilons`, run in turn, and the checks across eps. */
export async function runEpsilons(
  prepared: readonly PreparedEvaluation[],
  onEpsilon?: (eps: number, index: number, count: number) => void,
): Promise<EpsilonsResult> {
  const evaluations: EvaluationResult[] = [];
  for (let k = 0; k < prepared.length; k++) {
    onEpsilon?.(prepared[k].config.eps, k, prepared.length);
    evaluations.push(await prepared[k].run());
  }
  return epsilonsResult(evaluations);
}

/** Finished evaluations at several eps (in eps order), with the checks across them. */
export function epsilonsResult(evaluations: EvaluationResult[]): EpsilonsResult {
  const warnings = epsilonWarnings(
    evaluations.map((e) => ({
      eps: e.eps,
      cleanAccuracy: e.cleanAccuracy,
      robustAccuracy: e.robustAccuracy,
      robust: e.perImage.map((p) => p.robust),
    })),
  );
  return { evaluations, warnings };
}

export async function evaluateEpsilons(
  model: Model,
  data: EvaluationData | DatasetSelection,
  protocol: ProtocolName | Protocol,
  options: EpsilonsOptions,
  onEpsilon?: (eps: number, index: number, count: number) => void,
): Promise<EpsilonsResult> {
  return runEpsilons(await prepareEpsilons(model, data, protocol, options), onEpsilon);
}
