/**
 * An evaluation run as `advx evaluate` makes it, in one of three ways:
 * - in this process: one evaluation per eps (evaluate-epsilons.ts), its state in `out` after every batch,
 *   continued with `resume`;
 * - sharded onto a Redis queue for `advx worker`s (src/queue): the same checks, the same files and the
 *   same result as in this process;
 * - attached to again by its id: a queued run whose coordinator stopped.
 *
 * Two steps, as the evaluations below have them: `prepareEvaluationRun` checks everything a caller gave
 * (options, data against the model, the output folder, the recorded state, the queue's Redis), so that
 * bad input fails before any work; `run()` then does the work and ends with the results of every eps and
 * the checks across them. Both report through one event stream.
 *
 * The queue (BullMQ, ioredis) loads only when a run goes to it.
 */
import type { Model } from '../models/model.js';
import type { QueuedEvaluationEvent } from './coordinator.js';
import type { ModelReference } from './model-identity.js';
import type { EvaluationEvent } from '../evaluation/evaluate.js';
import { prepareEpsilons, runEpsilons, type EpsilonsResult } from '../evaluation/evaluate-epsilons.js';
import type { DatasetSelection } from '../evaluation/evaluation-data.js';
import type { EvaluationConfig } from '../evaluation/evaluation-state.js';
import type { EvaluationNorm, ProtocolName } from '../evaluation/protocols.js';

/** What is evaluated, and where its state goes. */
export interface EvaluationRunSettings {
  /** The model, loaded (on a queue it is loaded here for the checks; workers load their own). */
  model: Model;
  data: DatasetSelection;
  /** A protocol by name; `custom` takes registry attack names. */
  protocol: { name: ProtocolName; attacks?: string[] };
  norm: EvaluationNorm;
  /** One evaluation per eps, in this order (several: each in `out/eps-<eps>/`). */
  eps: readonly number[];
  seed: number;
  batchSize: number;
  /** Folder of the state (saved after every batch) and the results. */
  out?: string;
  /** Continue the evaluation in `out`. */
  resume?: boolean;
  /** Start over in an `out` that holds an earlier evaluation. */
  force?: boolean;
}

/** Where a run goes to `advx worker`s. */
export interface EvaluationQueue {
  /** `redis://HOST:PORT[/DB]`. */
  url: string;
  /** How workers load the model (its content hash is computed when the run is prepared). */
  modelRef: Omit<ModelReference, 'hash'>;
  /** Images per job (rounded up to whole batches; default one batch). */
  shardSize?: number;
}

export type EvaluationRunRequest =
  /** In this process, or on the queue when `queue` is given. */
  | (EvaluationRunSettings & { queue?: EvaluationQueue })
  /** The queued evaluation with this id, continued: it has its settings and folder. */
  | { attach: { queue: string; id: string } };

/** What a queued run says about the queue itself (its result lines are the evaluation's events). */
export type QueueEvent = Exclude<QueuedEvaluationEvent, { kind: 'clean' | 'attack' | 'warning' | 'eps' }>;

export type EvaluationRunEvent =
  /** The evaluation of one eps (in this process; on a queue only its result lines). */
  | EvaluationEvent
  /** The evaluation of the eps at `index` starts (in this process) or its results follow (queue). */
  | { kind: 'eps'; eps: number; index: number; count: number }
  | { kind: 'queue'; event: QueueEvent };

/** A run checked and ready: its configuration per eps, and the work. */
export interface PreparedEvaluationRun {
  readonly configs: readonly EvaluationConfig[];
  run(): Promise<EpsilonsResult>;
}

/** Checks a run and opens its state (see the file comment); nothing runs before `run()`. */
export async function prepareEvaluationRun(
  request: EvaluationRunRequest,
  onEvent: (event: EvaluationRunEvent) => void = () => undefined,
): Promise<PreparedEvaluationRun> {
  if ('attach' in request) {
    const { attachQueuedEvaluation } = await import('./coordinator.js');
    const { queue, id } = request.attach;
    return attachQueuedEvaluation(queue, id, { onEvent: queuedEvents(onEvent) });
  }
  const { model, data, protocol, queue, ...options } = request;
  if (queue !== undefined) {
    const { prepareQueuedEvaluation } = await import('./coordinator.js');
    return prepareQueuedEvaluation({
      ...options,
      model,
      data,
      protocol,
      queue: queue.url,
      modelRef: queue.modelRef,
      shardSize: queue.shardSize,
      onEvent: queuedEvents(onEvent),
    });
  }
  const prepared = await prepareEpsilons(model, data, protocol, { ...options, onEvent });
  return {
    configs: prepared.map((p) => p.config),
    run: () => runEpsilons(prepared, (eps, index, count) => onEvent({ kind: 'eps', eps, index, count })),
  };
}

/** A queued run's events as a run's: its result lines as they are, the rest as queue events. */
function queuedEvents(onEvent: (event: EvaluationRunEvent) => void) {
  return (event: QueuedEvaluationEvent): void => {
    switch (event.kind) {
      case 'clean':
      case 'attack':
      case 'warning':
      case 'eps':
        return onEvent(event);
      default:
        return onEvent({ kind: 'queue', event });
    }
  };
}
