/**
 * The noise options of `advx experiment noise-sweep`, `advx experiment noise-pgd` and `advx report`:
 * `--mu`, `--sigma`, `--pairs zip|grid` (the (mu, sigma) points, in pixel units) and `--samples`.
 */
import type { Command } from 'commander';
import { MU_RANGE, noisePoints, type NoisePoint, type PairMode } from '../experiments/noise-sweep.js';
import { LIMITS } from '../limits.js';
import { UsageError } from './errors.js';
import { note } from './notes.js';
import { parseInteger, parseRange, parseSeed } from './options.js';

export interface PointFlags {
  mu: string;
  sigma: string;
  pairs: string;
}

export function parsePairs(text: string): PairMode {
  if (text !== 'zip' && text !== 'grid')
    throw new UsageError(`--pairs: zip or grid (got ${text})`, { option: '--pairs' });
  return text;
}

/**
 * `--mu START:STOP:STEP --sigma START:STOP:STEP --pairs zip|grid` -> (mu, sigma) points, in pixel units:
 * mu in [0, 255], sigma >= 0, at most LIMITS.noiseImages points. `zip` of lists of different lengths
 * pairs the first values (as Python's zip) and says so in a note.
 */
export function parsePoints(flags: PointFlags): NoisePoint[] {
  const mus = parseRange(flags.mu, '--mu');
  const sigmas = parseRange(flags.sigma, '--sigma');
  if (sigmas.some((s) => s < 0))
    throw new UsageError(`--sigma: values must be >= 0 (got ${flags.sigma})`, { option: '--sigma' });
  if (mus.some((m) => !(m >= MU_RANGE[0] && m <= MU_RANGE[1])))
    throw new UsageError(
      `--mu: values must be in [${MU_RANGE[0]}, ${MU_RANGE[1]}], pixel units (got ${flags.mu})`,
      {
        option: '--mu',
      },
    );
  const pairs = parsePairs(flags.pairs);
  if (pairs === 'grid' && mus.length * sigmas.length > LIMITS.noiseImages)
    throw new UsageError(
      `--pairs grid: ${mus.length} --mu x ${sigmas.length} --sigma values make ${mus.length * sigmas.length} points; at most ${LIMITS.noiseImages}`,
      { option: '--pairs', code: 'too-large' },
    );
  if (pairs === 'zip' && mus.length !== sigmas.length) {
    const [longer, extra] =
      mus.length > sigmas.length
        ? ['--mu', mus.length - sigmas.length]
        : ['--sigma', sigmas.length - mus.length];
    note(
      `--pairs zip: ${mus.length} --mu and ${sigmas.length} --sigma values; the last ${extra} ${longer} values are left out (as Python's zip; --pairs grid takes every pair)`,
    );
  }
  return noisePoints(mus, sigmas, pairs);
}

/**
 * `--samples` per (mu, sigma) point: an integer >= 1 with points x samples at most `max` noise images
 * (LIMITS.noiseImages; the PGD on noise attacks them in one batch, so LIMITS.batchSize there).
 */
export function parseSamples(text: string, points: number, max: number = LIMITS.noiseImages): number {
  const samples = parseInteger(text, '--samples', 1);
  if (points * samples > max)
    throw new UsageError(
      `--samples: ${points} (mu, sigma) points x ${samples} samples = ${points * samples} noise images; at most ${max}`,
      { option: '--samples', code: 'too-large' },
    );
  return samples;
}

export function addPointOptions(
  command: Command,
  defaults: { mu: string; sigma: string; pairs: string },
): Command {
  return command
    .option(
      '--mu <RANGE>',
      'noise means in pixel units 0..255, START:STOP:STEP (inclusive) or one value',
      defaults.mu,
    )
    .option(
      '--sigma <RANGE>',
      'noise standard deviations in pixel units, START:STOP:STEP or one value',
      defaults.sigma,
    )
    .option(
      '--pairs <MODE>',
      "zip: i-th mu with i-th sigma (the book's zip); grid: every combination",
      defaults.pairs,
    );
}

/** The sweep's points, samples, top-k and seed, checked (bounds included) before any model is loaded. */
export function parseNoiseSweepOptions(flags: PointFlags & { samples: string; top: string; seed: string }) {
  const points = parsePoints(flags);
  return {
    points,
    samples: parseSamples(flags.samples, points.length),
    top: parseInteger(flags.top, '--top', 1),
    seed: parseSeed(flags.seed),
  };
}

/** PGD on noise's points, samples and seed, checked: one batch holds every noise image. */
export function parseNoisePgdOptions(flags: PointFlags & { samples: string; seed: string }) {
  const points = parsePoints(flags);
  return {
    points,
    samples: parseSamples(flags.samples, points.length, LIMITS.batchSize),
    seed: parseSeed(flags.seed),
  };
}
