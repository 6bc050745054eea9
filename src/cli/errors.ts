/**
 * Exit codes of the CLI (DESIGN.md): 0 success (also when an attack did not succeed), 2 bad usage or bad
 * input, 1 any other failure. Bad input is an AdvxError (src/errors.ts), the library's one error type
 * for misuse; `UsageError` is the CLI's own kind of it (an option's value). Anything else is a failure of
 * advx or of the system: exit 1. Errors print as one line, never a stack trace (ADVX_DEBUG=1 shows it).
 */
import {
  AdvxError,
  BUG_TYPES,
  inputErrorOf as libraryInputErrorOf,
  isAdvxError,
  oneLine,
  readingInput,
  type AdvxErrorCode,
} from '../errors.js';

export interface UsageErrorOptions {
  cause?: unknown;
  option?: string;
  file?: string;
  code?: AdvxErrorCode;
}

/** Bad usage of the command line: an option's value, a missing argument, a file that cannot be used. */
export class UsageError extends AdvxError {
  readonly exitCode = 2;

  constructor(message: string, options: UsageErrorOptions = {}) {
    super(options.code ?? 'bad-option', message, options);
    this.name = 'UsageError';
  }
}

/**
 * The library's `inputErrorOf` (src/errors.ts) as the CLI's kind of error: what the user gave that cannot
 * be used is a UsageError (exit 2) with the same message and code; null for a bug or a system failure.
 */
export function inputErrorOf(error: unknown): AdvxError | null {
  const input = libraryInputErrorOf(error);
  if (input === null || input === error) return input;
  return new UsageError(input.message, { cause: error, code: input.code, file: input.file });
}

/**
 * Runs `load`, which reads something the user gave (a model, images, a data set, an output folder), and
 * turns its failures into AdvxErrors (exit 2) as `inputErrorOf` says; bugs stay what they are (exit 1).
 */
export async function asUsage<T>(load: () => T | Promise<T>): Promise<T> {
  return readingInput(load, inputErrorOf);
}

/** 2 for bad usage or bad input (an AdvxError, a commander parse error), 1 for anything else. */
export function exitCodeOf(error: unknown): number {
  if (isAdvxError(error)) return 2;
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && code.startsWith('commander.')) return 2;
  return 1;
}

/** Prints `advx: <message>` on one line (the stack with ADVX_DEBUG=1) and returns the exit code. */
export function reportError(error: unknown): number {
  const code = exitCodeOf(error);
  const raw = error instanceof Error ? error.message : String(error);
  const message = oneLine(raw.replace(/^error: /, '')) || (error as Error)?.name || 'unknown error';
  const bug = code === 1 && BUG_TYPES.some((type) => error instanceof type);
  const hint = bug && !process.env.ADVX_DEBUG ? ' (an internal error; ADVX_DEBUG=1 prints where)' : '';
  process.stderr.write(`advx: ${message}${hint}\n`);
  if (process.env.ADVX_DEBUG) process.stderr.write(`${(error as Error)?.stack ?? ''}\n`);
  return code;
}
