/**
 * The state file of an evaluation (`state.json` in its output folder): the configuration, the per-image
 * results so far and each attack's progress. It is replaced atomically (temporary file in the same
 * folder, fsync, rename) after every batch, so a process killed at any moment leaves either the previous
 * or the next state, never half of one. A resumed evaluation continues from it, only with the same
 * configuration.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomically } from '../data/atomic-write.js';
import type { GradientFlags } from './sanity-checks.js';

export const STATE_FILE = 'state.json';
/** The final result, written when the evaluation completes. */
export const RESULT_FILE = 'evaluation.json';
/** 2: an attack's batch b is the robust images of block b (version 1 cut the robust images anew). */
const STATE_VERSION = 2;

/** Everything that defines an evaluation's outcome: a resumed run must match it exactly. */
export interface EvaluationConfig {
  model: string;
  dataset: string;
  images: number;
  /** Dataset index of the first image. */
  offset: number;
  /** Digest of the images' indices and labels (see dataDigest). */
  data: string;
  protocol: string;
  attacks: string[];
  norm: string;
  eps: number;
  seed: number;
  batchSize: number;
}

export interface ImageState {
  /** Dataset index. */
  index: number;
  label: number;
  /** Correctly classified. */
  clean: boolean;
  /** Position (in the protocol) of the attack that fooled it first, or null. */
  fooledBy: number | null;
}

export interface AttackState {
  name: string;
  /** Blocks this attack has finished (its batch b: the images of block b robust when it starts). */
  batchesDone: number;
  done: boolean;
  /** Seconds spent, summed over resumed runs. */
  seconds: number;
  /** Whether the attack asked the model for gradients (null until it attacked an image). */
  usedGradients: boolean | null;
}

export interface SanityState {
  /** Clean-pass rows that looked like probabilities. */
  probabilityRows: number;
  /** Two passes on the first batch differed (null before the check ran). */
  randomized: boolean | null;
  /** Inputs with zero / non-finite gradients among `checked` (null for a model without gradients). */
  gradients: (GradientFlags & { checked: number }) | null;
}

export interface EvaluationState {
  version: number;
  config: EvaluationConfig;
  /** Images whose clean pass is done, in order. */
  perImage: ImageState[];
  cleanSeconds: number;
  sanity: SanityState;
  attacks: AttackState[];
}

export function newState(config: EvaluationConfig): EvaluationState {
  return {
    version: STATE_VERSION,
    config,
    perImage: [],
    cleanSeconds: 0,
    sanity: { probabilityRows: 0, randomized: null, gradients: null },
    attacks: config.attacks.map((name) => ({
      name,
      batchesDone: 0,
      done: false,
      seconds: 0,
      usedGradients: null,
    })),
  };
}

/** The first setting in which `recorded` differs from `expected`, as a phrase; null when they match. */
export function configDifference(recorded: EvaluationConfig, expected: EvaluationConfig): string | null {
  for (const key of Object.keys(expected) as (keyof EvaluationConfig)[]) {
    const [was, is] = [JSON.stringify(recorded[key] ?? null), JSON.stringify(expected[key])];
    if (was !== is) return `${key} ${was}, not ${is}`;
  }
  return null;
}

function isState(value: unknown): value is EvaluationState {
  const s = value as Partial<EvaluationState> | null;
  return (
    typeof s === 'object' &&
    s !== null &&
    s.version === STATE_VERSION &&
    typeof s.config === 'object' &&
    Array.isArray(s.perImage) &&
    Array.isArray(s.attacks) &&
    typeof s.sanity === 'object'
  );
}

export function readState(path: string): EvaluationState {
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new Error(`${path}: cannot read the evaluation state (${(error as Error).message})`, {
      cause: error,
    });
  }
  if (!isState(value)) throw new Error(`${path}: not an advx evaluation state (version ${STATE_VERSION})`);
  return value;
}

export function saveState(out: string, state: EvaluationState): void {
  writeFileAtomically(join(out, STATE_FILE), Buffer.from(JSON.stringify(state)), true);
}

/** Temporary files a killed writer may have left beside the state (writeFileAtomically's names). */
function removeLeftovers(out: string): void {
  for (const name of readdirSync(out)) {
    if (name.startsWith(`.${STATE_FILE}.tmp-`) || name.startsWith(`.${RESULT_FILE}.tmp-`))
      rmSync(join(out, name), { force: true });
  }
}

export interface OpenOptions {
  /** Continue from the folder's state (its configuration must match). */
  resume?: boolean;
  /** Start over, replacing a previous evaluation's files. */
  force?: boolean;
}

/**
 * The state to start from in output folder `out`, without touching the folder: with `resume` the recorded
 * one (same configuration only), else a new one, refused when an earlier evaluation's files are there
 * unless `force`. `startState` then prepares the folder.
 */
export function openState(out: string, config: EvaluationConfig, options: OpenOptions): EvaluationState {
  if (existsSync(out) && !statSync(out).isDirectory()) throw new Error(`${out}: not a folder`);
  const statePath = join(out, STATE_FILE);
  if (options.resume) {
    if (!existsSync(statePath)) throw new Error(`--resume: no ${STATE_FILE} in ${out} to continue from`);
    const state = readState(statePath);
    const difference = configDifference(state.config, config);
    if (difference !== null)
      throw new Error(`--resume: ${statePath} was made with ${difference}; resume with the same settings`);
    return state;
  }
  const earlier = [STATE_FILE, RESULT_FILE].map((f) => join(out, f)).find((f) => existsSync(f));
  if (earlier !== undefined && !options.force)
    throw new Error(
      `${earlier} exists (an earlier evaluation): use --resume to continue it, --force to start over, or another --out`,
    );
  return newState(config);
}

/**
 * Readies `out` for a run from `state`: creates it, removes what a killed writer left, and for a new
 * state removes an earlier result and writes the state.
 */
export function startState(out: string, state: EvaluationState, resumed: boolean): void {
  mkdirSync(out, { recursive: true });
  removeLeftovers(out);
  if (resumed) return;
  rmSync(join(out, RESULT_FILE), { force: true });
  saveState(out, state);
}
