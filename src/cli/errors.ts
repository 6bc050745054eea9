/**
 * Exit codes of the CLI (DESIGN.md): 0 success (also when an attack did not succeed), 2 bad usage or bad
 * input, 1 any other failure. Bad input is an AdvxError (src/errors.ts), the library's one error type
 * for misuse; `UsageError` is the CLI's own kind of it (an option's value). Anything else is a failure of
 * advx or of the system: exit 1. Errors print as one line, never a stack trace (ADVX_DEBUG=1 shows it).
 */
import { AdvxError, isAdvxError, oneLine, type AdvxErrorCode } from '../errors.js';

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

/** JavaScript's own error types that only a bug throws (a SyntaxError is also JSON.parse on a bad file). */
const BUG_TYPES: readonly (new (...args: never[]) => Error)[] = [
  TypeError,
  RangeError,
  ReferenceError,
  EvalError,
  URIError,
];

/** Node's file-system error codes: a path the user gave that cannot be used. */
const FILE_CODES = new Set([
  'ENOENT',
  'EACCES',
  'EPERM',
  'EISDIR',
  'ENOTDIR',
  'ELOOP',
  'ENAMETOOLONG',
  'EEXIST',
]);

/**
 * The AdvxError that `error`, thrown while reading what the user gave, stands for; null when it stands
 * for none (a bug or a failure of the system, exit 1):
 * - an AdvxError is itself;
 * - a Node file-system error about a path (ENOENT, EACCES, ...) is `bad-file`;
 * - a SyntaxError (JSON.parse of a user's file) is `bad-file`;
 * - a plain Error or a library's own Error subclass is `bad-input`: transitional, for modules that do not
 *   throw AdvxError yet (model loaders, image decoders, data readers); a TypeError, RangeError or other
 *   error of JavaScript's own is a bug and is not converted.
 */
export function inputErrorOf(error: unknown): AdvxError | null {
  if (isAdvxError(error)) return error;
  if (!(error instanceof Error)) return null;
  if (BUG_TYPES.some((type) => error instanceof type)) return null;
  if (error.name === 'AssertionError') return null;
  const { code, path } = error as NodeJS.ErrnoException;
  if (typeof code === 'string' && FILE_CODES.has(code))
    return new UsageError(error.message, { cause: error, code: 'bad-file', file: path });
  if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) return null; // another system failure
  if (error instanceof SyntaxError) return new UsageError(error.message, { cause: error, code: 'bad-file' });
  return new UsageError(error.message, { cause: error, code: 'bad-input' });
}

/**
 * Runs `load`, which reads something the user gave (a model, images, a data set, an output folder), and
 * turns its failures into AdvxErrors (exit 2) as `inputErrorOf` says; bugs stay what they are (exit 1).
 */
export async function asUsage<T>(load: () => T | Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (error) {
    const input = inputErrorOf(error);
    if (input === null) throw error;
    if (input !== error) input.stack = (error as Error).stack;
    throw input;
  }
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
