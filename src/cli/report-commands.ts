/** The command lines an `advx report` shows: the whole report's, and the one behind each section. */
import type { ChapterSectionId } from '../report/sections/chapter-sections.js';
import { shellCommand } from '../report/html-report.js';
import { classIndex } from '../models/labels.js';
import type { ReportFlags } from './report-options.js';

/** A class as a command-line argument: its name when that names it unambiguously, else its index. */
function classArgument(labels: readonly string[], index: number): string {
  const name = labels[index];
  try {
    return classIndex(labels, name) === index ? name : String(index);
  } catch {
    return String(index);
  }
}

function modelArgs(specs: readonly string[]): string[] {
  return specs.flatMap((m) => ['--model', m]);
}

/** The full `advx report` command line of a run, every option spelled out. */
export function reportCommand(image: string, flags: ReportFlags, models: readonly string[]): string {
  const options: [string, string | undefined][] = [
    ['--model', flags.model],
    ['--models', models.join(',')],
    ['--criterion', flags.criterion],
    ['--eps-search', flags.epsSearch],
    ['--bisect', flags.bisect],
    ['--mu', flags.mu],
    ['--sigma', flags.sigma],
    ['--pairs', flags.pairs],
    ['--samples', flags.samples],
    ['--top', flags.top],
    ['--grid-images', flags.gridImages],
    ['--pgd-mu', flags.pgdMu],
    ['--pgd-sigma', flags.pgdSigma],
    ['--pgd-eps', flags.pgdEps],
    ['--pgd-steps', flags.pgdSteps],
    ['--target', flags.target],
    ['--transfer-images', flags.transferImages],
    ['--transfer-attack', flags.transferAttack],
    ['--transfer-eps', flags.transferEps],
    ['--transfer-steps', flags.transferSteps],
    ['--seed', flags.seed],
    ['--out', flags.out],
  ];
  return shellCommand([
    'advx',
    'report',
    image,
    ...options.flatMap(([o, v]) => (v === undefined ? [] : [o, v])),
  ]);
}

/**
 * The command that reproduces each section of a report on `image` (models of the noise and transfer
 * sections: `models`; `labels`: the report model's classes, for the default --target).
 */
export function sectionCommands(
  image: string,
  flags: ReportFlags,
  models: readonly string[],
  labels: readonly string[],
): (id: ChapterSectionId, photoClass: number) => string {
  const seed = flags.seed;
  const attack = [
    ...['advx', 'attack', image, '--model', flags.model, '--attack', 'fgsm'],
    ...['--criterion', flags.criterion, '--eps-search', flags.epsSearch, '--bisect', flags.bisect],
  ];
  const sweep = [
    ...['advx', 'experiment', 'noise-sweep', ...modelArgs(models), '--mu', flags.mu, '--sigma', flags.sigma],
    ...['--pairs', flags.pairs, '--samples', flags.samples, '--top', flags.top, '--seed', seed],
    ...['--grid-images', flags.gridImages],
  ];
  const pgd = (photoClass: number) => [
    ...['advx', 'experiment', 'noise-pgd', '--model', flags.model, '--mu', flags.pgdMu],
    ...['--sigma', flags.pgdSigma, '--pairs', 'zip', '--samples', '1', '--eps', flags.pgdEps],
    ...['--steps', flags.pgdSteps, '--target', flags.target ?? classArgument(labels, photoClass)],
    ...['--seed', seed],
  ];
  const transfer = [
    ...['advx', 'experiment', 'transfer-zoo', ...modelArgs(models), '--images', flags.transferImages],
    ...['--attack', flags.transferAttack, '--eps', flags.transferEps],
    ...(flags.transferSteps === undefined ? [] : ['--steps', flags.transferSteps]),
    ...['--seed', seed],
  ];
  return (id, photoClass) => {
    switch (id) {
      case 'clean':
        return shellCommand(['advx', 'predict', image, '--model', flags.model, '--top', '3']);
      case 'fgsm':
      case 'panel':
        return shellCommand(attack);
      case 'noise-sweep':
        return shellCommand(sweep);
      case 'noise-pgd':
        return shellCommand(pgd(photoClass));
      case 'transfer':
        return shellCommand(transfer);
    }
  };
}
