/**
 * The failures of a training run's reading of what the user gave (its --out folder, the data set, a
 * checkpoint to resume, an --init model) as AdvxErrors (bad input, exit 2 at the command line), by the
 * library's rule (src/errors.ts `inputErrorOf`): a Node file-system error about a path and a SyntaxError are
 * `bad-file`, another Error is `bad-input`; a TypeError or other error of JavaScript's own (a bug), an
 * assertion and any other system failure stay what they are.
 */
import { AdvxError } from '../errors.js';

/** Failures of reading what the user gave, as bad input: src/errors.ts' rule. */
export { readingInput } from '../errors.js';

/**
 * Runs `read`; any failure is bad input about `option` (an AdvxError "PREFIX: message", exit 2; the
 * prefix is the option unless given, e.g. "--init DIR").
 */
export async function readingOption<T>(
  option: string,
  read: () => T | Promise<T>,
  prefix = option,
): Promise<T> {
  try {
    return await read();
  } catch (error) {
    throw new AdvxError('bad-option', `${prefix}: ${(error as Error).message}`, { cause: error, option });
  }
}
