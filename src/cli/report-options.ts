/**
 * The options of `advx report`, checked before any long computation starts (bad input: exit 2 at once),
 * and the settings of the report's sections they make (src/report/chapter-report.ts).
 */
import { existsSync } from 'node:fs';
import type { Model } from '../models/model.js';
import type { ChapterReportInput } from '../report/chapter-report.js';
import { ATTACK_FLAGS, createAttackFromFlags } from './attack-settings.js';
import { DEFAULT_EPS_GRID, epsGridOf } from './eps-search-option.js';
import { asUsage } from './errors.js';
import { NOISE_PGD_DEFAULTS, NOISE_SWEEP_DEFAULTS, TRANSFER_ZOO_DEFAULTS } from './experiment-defaults.js';
import { parseSingleEpsilon } from './experiment-options.js';
import { parseNoisePgdOptions, parseNoiseSweepOptions, parsePairs } from './noise-options.js';
import { parseInteger, parseRange, parseSeed } from './options.js';

export interface ReportFlags {
  model: string;
  models?: string[];
  out: string;
  force?: boolean;
  criterion: string;
  epsSearch: string;
  bisect: string;
  mu: string;
  sigma: string;
  pairs: string;
  samples: string;
  top: string;
  gridImages: string;
  pgdMu: string;
  pgdSigma: string;
  pgdEps: string;
  pgdSteps: string;
  target?: string;
  transferImages: string;
  transferAttack: string;
  transferEps: string;
  transferSteps?: string;
  seed: string;
}

export const REPORT_DEFAULTS = {
  model: 'mobilenet-v1-0.75',
  out: 'advx-report.html',
  criterion: 'confident:0.9',
  epsSearch: DEFAULT_EPS_GRID,
  bisect: '6',
  mu: NOISE_SWEEP_DEFAULTS.mu,
  sigma: NOISE_SWEEP_DEFAULTS.sigma,
  pairs: NOISE_SWEEP_DEFAULTS.pairs,
  samples: '2',
  top: NOISE_SWEEP_DEFAULTS.top,
  gridImages: '8',
  pgdMu: NOISE_PGD_DEFAULTS.mu,
  pgdSigma: NOISE_PGD_DEFAULTS.sigma,
  pgdEps: NOISE_PGD_DEFAULTS.eps,
  pgdSteps: NOISE_PGD_DEFAULTS.steps,
  transferImages: '8',
  transferAttack: TRANSFER_ZOO_DEFAULTS.attack,
  transferEps: TRANSFER_ZOO_DEFAULTS.eps,
  seed: '0',
};

/** PGD on noise in the report: one noise image per (--pgd-mu, --pgd-sigma) pair. */
const pgdNoise = (flags: ReportFlags) => ({
  mu: flags.pgdMu,
  sigma: flags.pgdSigma,
  pairs: 'zip',
  samples: '1',
  seed: flags.seed,
});

/** The settings of the sections that do not depend on a model. */
export type ReportSettings = Pick<ChapterReportInput, 'noiseSweep' | 'noisePgd' | 'transfer'> & {
  bisectionSteps: number;
};

function parseSettings(flags: ReportFlags): ReportSettings {
  const sweep = parseNoiseSweepOptions(flags);
  const pgd = parseNoisePgdOptions(pgdNoise(flags));
  const seed = parseSeed(flags.seed);
  const transferSteps =
    flags.transferSteps === undefined ? undefined : parseInteger(flags.transferSteps, '--transfer-steps', 1);
  return {
    bisectionSteps: parseInteger(flags.bisect, '--bisect', 0),
    noiseSweep: {
      ...sweep,
      pairs: parsePairs(flags.pairs),
      gridImages: parseInteger(flags.gridImages, '--grid-images', 0),
    },
    noisePgd: {
      points: pgd.points,
      seed: pgd.seed,
      eps: parseSingleEpsilon(flags.pgdEps, [0, 1], '--pgd-eps'),
      steps: parseInteger(flags.pgdSteps, '--pgd-steps', 1),
      target: flags.target,
    },
    transfer: {
      images: parseInteger(flags.transferImages, '--transfer-images', 1),
      seed,
      attack: createAttackFromFlags(flags.transferAttack, { steps: transferSteps, seed }, ATTACK_FLAGS),
      eps: parseSingleEpsilon(flags.transferEps, [0, 1], '--transfer-eps'),
    },
  };
}

/** Checks every option and returns the sections' settings (a UsageError, exit 2, for bad input). */
export async function parseReportFlags(flags: ReportFlags, image: string): Promise<ReportSettings> {
  return asUsage(() => {
    if (!existsSync(image)) throw new Error(`${image}: no such file`);
    if (parseRange(flags.epsSearch, '--eps-search').some((e) => !(e > 0 && e <= 1))) {
      throw new Error(
        `--eps-search: epsilons must be in (0, 1] of the bounds' range (got ${flags.epsSearch})`,
      );
    }
    return parseSettings(flags);
  });
}

/** The minimal-eps FGSM's grid for the report's model (the default grid is of its bounds' range). */
export function fgsmSettings(flags: ReportFlags, settings: ReportSettings, model: Model) {
  return {
    grid: epsGridOf(flags.epsSearch, model.bounds),
    gridText: flags.epsSearch,
    bisectionSteps: settings.bisectionSteps,
  };
}
