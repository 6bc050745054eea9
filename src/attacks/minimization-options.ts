/** Checks of the options of the minimization attacks: one clear line (an AdvxError) naming the attack and the option. */
import { AdvxError } from '../errors.js';
import { checkInteger as checkBoundedInteger } from './option-checks.js';

/** An integer in [`min`, LIMITS.count] (option-checks.ts). */
export function checkInteger(attack: string, option: string, value: number, min: number): void {
  checkBoundedInteger(attack, option, value, min);
}

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
  const given = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
  return { ...defaults, ...given } as Required<T>;
}
