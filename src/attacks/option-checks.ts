/**
 * One-line checks of attack options: `<attack>: <option> must be ... (got ...)`, thrown as an AdvxError
 * (`bad-option`, or `too-large` past the bounds of limits.ts) naming the option.
 */
import { AdvxError, describeValue } from '../errors.js';
import { checkSeed } from '../engine/random.js';
import { LIMITS } from '../limits.js';

const fail = (option: string, message: string, code: 'bad-option' | 'too-large' = 'bad-option') =>
  new AdvxError(code, message, { option });

/** The largest value of an integer option: model queries have their own bound, other counts LIMITS.count. */
export function largestCount(option: string): number {
  return /quer/i.test(option) ? LIMITS.queries : LIMITS.count;
}

/** An integer in [`min`, `max`] (Infinity allowed when `unbounded`). */
export function checkInteger(
  attack: string,
  option: string,
  value: number,
  min: number,
  unbounded = false,
  max = largestCount(option),
): void {
  if (unbounded && value === Infinity) return;
  if (!Number.isInteger(value) || value < min)
    throw fail(
      option,
      `${attack}: ${option} must be an integer >= ${min}${unbounded ? ' or Infinity' : ''} (got ${describeValue(value)})`,
    );
  if (value > max)
    throw fail(
      option,
      `${attack}: ${option} must be at most ${max}${unbounded ? ' or Infinity' : ''} (got ${value})`,
      'too-large',
    );
}

/** A seed: an integer in [0, 2^32) (engine/random.ts' checkSeed). */
export function checkAttackSeed(attack: string, value: number): void {
  checkSeed(value, `${attack}: seed`);
}

/** A finite number > 0. */
export function checkPositive(attack: string, option: string, value: number): void {
  if (!Number.isFinite(value) || value <= 0)
    throw fail(option, `${attack}: ${option} must be > 0 (got ${describeValue(value)})`);
}

/** A finite number in [lo, hi) (or [lo, hi] when `closed`). */
export function checkInRange(
  attack: string,
  option: string,
  value: number,
  lo: number,
  hi: number,
  closed = false,
): void {
  const inside = Number.isFinite(value) && value >= lo && (closed ? value <= hi : value < hi);
  if (!inside)
    throw fail(
      option,
      `${attack}: ${option} must be in [${lo}, ${hi}${closed ? ']' : ')'} (got ${describeValue(value)})`,
    );
}

/** One of `choices`. */
export function checkChoice<T extends string>(
  attack: string,
  option: string,
  value: string,
  choices: readonly T[],
): T {
  if (!(choices as readonly string[]).includes(value))
    throw fail(option, `${attack}: ${option} must be one of ${choices.join(', ')} (got ${String(value)})`);
  return value as T;
}

/** The options with undefined values dropped, so that defaults apply to them. */
export function definedOptions<T extends object>(options: T): Partial<T> {
  return Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** The options APGD and FAB share: the norm (Linf or L2), steps, restarts and a finite seed. */
export function checkRestartedAttack(
  attack: string,
  o: { norm: string; steps: number; restarts: number; seed: number },
): 'linf' | 'l2' {
  const norm = checkChoice(attack, 'norm', o.norm, ['linf', 'l2'] as const);
  checkInteger(attack, 'steps', o.steps, 1);
  checkInteger(attack, 'restarts', o.restarts, 1);
  if (!Number.isFinite(o.seed)) throw fail('seed', `${attack}: seed must be a finite number (got ${o.seed})`);
  return norm;
}
