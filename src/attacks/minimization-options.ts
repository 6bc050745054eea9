/** Checks of the options of the minimization attacks: one clear line (an AdvxError) naming the attack and the option. */
import { AdvxError } from '../errors.js';
import { definedOptions } from './option-checks.js';

export function checkPositive(attack: string, option: string, value: number): void {
  if (!Number.isFinite(value) || value <= 0)
    throw new AdvxError('bad-option', `${attack}: ${option} must be a finite number > 0 (got ${value})`, {
      option,
    });
}

export function checkNonNegative(attack: string, option: string, value: number): void {
  if (!Number.isFinite(value) || value < 0)
    throw new AdvxError('bad-option', `${attack}: ${option} must be a finite number >= 0 (got ${value})`, {
      option,
    });
}

/** The options given (not undefined) over the defaults. */
export function withDefaults<T extends object>(defaults: Required<T>, options: T): Required<T> {
  return { ...defaults, ...definedOptions(options) } as Required<T>;
}
