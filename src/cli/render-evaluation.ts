/**
 * What `advx evaluate` prints: the events of a run as lines (stdout) and progress bars (stderr), the
 * line that says what is evaluated, and the result (text, or one JSON document with --json).
 */
import { formatPercent } from '../experiments/transfer-writers.js';
import type { EpsilonsResult } from '../evaluation/evaluate-epsilons.js';
import type { EvaluationRunEvent, QueueEvent } from '../queue/evaluation-run.js';
import type { EvaluationConfig } from '../evaluation/evaluation-state.js';
import { progressBar, type Progress } from './progress.js';

const percent = (fraction: number) => formatPercent(fraction, 2);
/** An eps as people read it (8/255 -> 0.0313725). */
const shortEps = (eps: number) => String(Number(eps.toPrecision(6)));

/** Where the printed text goes. */
export interface EvaluationOutput {
  /** A result line (stdout; none with --json). */
  line: (text: string) => void;
  /** A warning (stdout; stderr with --json). */
  warn: (text: string) => void;
  /** A status line of a queued run (stderr). */
  status: (text: string) => void;
  /** The JSON document (stdout). */
  document: (text: string) => void;
}

/** The outputs of `advx evaluate`: with --json, stdout gets the document and nothing else. */
export function evaluationOutput(
  json: boolean | undefined,
  out: (s: string) => void,
  err: (s: string) => void,
): EvaluationOutput {
  return {
    line: (text) => (json ? undefined : out(`${text}\n`)),
    warn: (text) => (json ? err(`advx: ${text}\n`) : out(`${text}\n`)),
    status: (text) => err(`advx: ${text}\n`),
    document: out,
  };
}

/** Renders the events of a run as lines and progress bars. */
export class EvaluationPrinter {
  private bar: Progress | null = null;

  constructor(private readonly output: EvaluationOutput) {}

  private stopBar() {
    this.bar?.stop();
    this.bar = null;
  }

  handle(event: EvaluationRunEvent): void {
    const { line, warn } = this.output;
    switch (event.kind) {
      case 'queue':
        return this.handleQueue(event.event);
      case 'eps':
        this.stopBar();
        if (event.count > 1) line(`eps ${shortEps(event.eps)}`);
        return;
      case 'start':
        if (event.resumed) line(`resuming: ${event.cleanDone} of ${event.images} images classified before`);
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
        line(`clean accuracy: ${percent(event.cleanAccuracy)} (${event.correct}/${event.images})`);
        return;
      case 'attack':
        this.stopBar();
        line(
          `robust accuracy after ${event.name}: ${percent(event.robustAccuracy)} (${event.robust}/${event.images}; ` +
            `${event.attacked} attacked, ${event.seconds.toFixed(1)} s)`,
        );
        return;
      case 'warning':
        this.stopBar();
        warn(`warning: ${event.message}`);
        return;
    }
  }

  /** The status lines and the one progress bar of a queued run. */
  private handleQueue(event: QueueEvent): void {
    const { status } = this.output;
    switch (event.kind) {
      case 'queued':
        this.stopBar();
        status(
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
        status(
          event.up ? 'Redis is back: continuing' : `Redis is away (${event.reason}): the work waits for it`,
        );
        return;
      case 'requeued':
        this.stopBar();
        status(`${event.jobs} jobs Redis had lost are on the queue again`);
        return;
      case 'job-failed':
        this.stopBar();
        status(
          `job ${event.job} (images ${event.images}, eps ${shortEps(event.eps)}) failed: ${event.reason}`,
        );
        return;
    }
  }

  stop() {
    this.stopBar();
  }
}

/** What is evaluated, from the configurations of its eps. */
export function describeRun(configs: readonly EvaluationConfig[]): string {
  const [c] = configs;
  return (
    `model ${c.model} on ${c.dataset} test images ${c.offset}..${c.offset + c.images - 1} (${c.images}), ` +
    `${c.norm} eps ${configs.map((e) => shortEps(e.eps)).join(', ')}, protocol ${c.protocol}: ${c.attacks.join(', ')}`
  );
}

/** The result of a run: its warnings, then one JSON document or a line per eps (and the folder). */
export function renderEvaluationResult(
  result: EpsilonsResult,
  options: { json?: boolean; out?: string },
  output: EvaluationOutput,
): void {
  result.warnings.forEach((w) => output.warn(`warning: ${w}`));
  if (options.json) {
    const document = result.evaluations.length === 1 ? result.evaluations[0] : result;
    output.document(JSON.stringify(document, null, 2) + '\n');
  } else {
    for (const e of result.evaluations)
      output.line(
        `robust accuracy at eps ${shortEps(e.eps)}: ${percent(e.robustAccuracy)} (clean ${percent(e.cleanAccuracy)})`,
      );
    if (options.out !== undefined) output.line(`results: ${options.out}`);
  }
}
