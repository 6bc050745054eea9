/**
 * Upper bounds on the counts, sizes and lists users give. Beyond them a run would exhaust memory (V8 or
 * the 32-bit wasm heap then abort the whole process, with no message) or would not end in a lifetime, so
 * they are refused before any work starts, with an error naming the option: by the CLI's option parsers
 * (cli/options.ts) and by the library functions that take such counts.
 */
import { AdvxError } from './errors.js';

export const LIMITS = {
  /** Any count without a bound of its own: steps, restarts, epochs, images, samples, top-k. */
  count: 1_000_000,
  /** Values in one list or range: epsilons, an eps-search grid, a mu or sigma range. */
  listLength: 10_000,
  /** Model queries per input of a score- or decision-based attack. */
  queries: 100_000_000,
  /**
   * Images per forward or backward pass. The wasm heap is 32-bit: a training step of the Fashion-MNIST CNN
   * at batch 16384 aborts the process (4096 still runs, measured here); larger images fill it sooner.
   */
  batchSize: 1024,
  /** Noise images per model of a noise sweep or PGD on noise (points x samples): each keeps its predictions in memory. */
  noiseImages: 100_000,
  /** Bisection steps: a double has a 52-bit mantissa, further halvings change nothing. */
  bisectionSteps: 52,
  /** A TCP port. */
  port: 65_535,
} as const;

/**
 * An integer in [min, max], or an AdvxError naming `what` (`'too-large'` above max, `'bad-option'`
 * otherwise). Returns the value.
 */
export function checkCount(
  value: number,
  what: string,
  min = 0,
  max: number = LIMITS.count,
  option: string = what,
): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min)
    throw new AdvxError('bad-option', `${what} must be an integer >= ${min} (got ${String(value)})`, {
      option,
    });
  if (value > max)
    throw new AdvxError('too-large', `${what} must be at most ${max} (got ${value})`, { option });
  return value;
}
