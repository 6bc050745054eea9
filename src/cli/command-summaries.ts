/**
 * What `advx --help` lists for each top-level command without loading it: its term (name, options,
 * arguments) and description, as the command registers them. lazy-commands.test.ts checks that these
 * equal the registered commands; when a command changes, update its line here.
 */
export interface CommandSummary {
  /** As commander prints it, e.g. `attack [options] <images...>`. */
  term: string;
  description: string;
}

export const COMMAND_SUMMARIES: Record<string, CommandSummary> = {
  predict: {
    term: 'predict [options] <images...>',
    description: 'top-K predictions of a model for image files',
  },
  attack: {
    term: 'attack [options] <images...>',
    description: 'craft adversarial examples for image files and show predictions before/after',
  },
  train: {
    term: 'train [options]',
    description:
      'train the small Fashion-MNIST CNN (the embedded default model) and save it as a tfjs layers model',
  },
  experiment: {
    term: 'experiment',
    description: "the book's experiments: noise sweep, PGD on noise, transfer, robustness",
  },
  report: {
    term: 'report [options] <image>',
    description: "replay the book's chapter 10 on a photo: one self-contained HTML report",
  },
  export: { term: 'export', description: 'write a model in another format' },
  serve: { term: 'serve [options]', description: 'serve a model as an HTTP JSON service (until Ctrl-C)' },
  models: { term: 'models', description: 'the model zoo: list it, fetch models advx gets itself' },
  evaluate: {
    term: 'evaluate [options]',
    description: 'robust accuracy under an evaluation protocol (AutoAttack, PGD, custom), resumable',
  },
  ui: {
    term: 'ui [options]',
    description: 'serve a page that attacks a photo in the browser (until Ctrl-C)',
  },
  worker: {
    term: 'worker [options]',
    description: 'work on queued evaluations (advx evaluate --queue) until SIGINT/SIGTERM',
  },
  queue: { term: 'queue', description: 'queued evaluations (advx evaluate --queue, advx worker)' },
};
