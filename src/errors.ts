/**
 * The one error type of advx for misuse: what the caller gave is wrong (a tensor, a label list, an
 * option, a file, a model) and the message, one line, names it. Everything else that goes wrong (a bug,
 * a full disk, a network failure) is some other error. The CLI maps an AdvxError to exit code 2 and any
 * other error to exit code 1 (cli/errors.ts).
 *
 * ```ts
 * try {
 *   await attack.run(model, x, labels, { epsilons: 8 / 255 });
 * } catch (error) {
 *   if (isAdvxError(error) && error.code === 'bad-option') console.error(`fix ${error.option}: ${error.message}`);
 * }
 * ```
 */

/** What kind of thing the caller got wrong. */
export type AdvxErrorCode =
  /** A value passed in: a tensor (shape, dtype, values, disposed), labels, a criterion. */
  | 'bad-input'
  /** An option: missing, of the wrong type, out of range, or unknown. */
  | 'bad-option'
  /** A file the user named: missing, unreadable, or not what it should be. */
  | 'bad-file'
  /** A model that cannot serve the request: disposed, other input shape or classes, no gradients. */
  | 'bad-model'
  /** A count, size or list beyond the bounds advx checks before any work (limits.ts). */
  | 'too-large';

export const ADVX_ERROR_CODES: readonly AdvxErrorCode[] = [
  'bad-input',
  'bad-option',
  'bad-file',
  'bad-model',
  'too-large',
];

export interface AdvxErrorDetails {
  /** The option concerned, as the caller spells it (`epsilons`, `seed`, `--steps`). */
  option?: string;
  /** The file concerned. */
  file?: string;
  cause?: unknown;
}

/** Marks AdvxErrors across copies of the package (a bundle and node_modules), where instanceof fails. */
const BRAND = Symbol.for('advx.AdvxError');

/** A message on one line: line breaks become spaces (the CLI prints `advx: <message>` and nothing more). */
export function oneLine(message: string): string {
  return message.replace(/\s*[\r\n]+\s*/g, ' ').trim();
}

export class AdvxError extends Error {
  readonly code: AdvxErrorCode;
  readonly option?: string;
  readonly file?: string;

  constructor(code: AdvxErrorCode, message: string, details: AdvxErrorDetails = {}) {
    super(oneLine(message), details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'AdvxError';
    this.code = code;
    if (details.option !== undefined) this.option = details.option;
    if (details.file !== undefined) this.file = details.file;
  }
}
Object.defineProperty(AdvxError.prototype, BRAND, { value: true });

/** True for an AdvxError (also one thrown by another copy of advx). */
export function isAdvxError(error: unknown): error is AdvxError {
  if (error instanceof AdvxError) return true;
  return typeof error === 'object' && error !== null && (error as Record<symbol, unknown>)[BRAND] === true;
}

/** How a value shows in a message: strings quoted, arrays and objects briefly, never a huge dump. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (typeof value === 'string') return `'${value.length > 40 ? `${value.slice(0, 40)}...` : value}'`;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')
    return String(value);
  if (typeof value === 'function') return 'a function';
  if (Array.isArray(value)) return `an array of ${value.length}`;
  const name = (value as { constructor?: { name?: string } }).constructor?.name;
  return name !== undefined && name !== 'Object' ? `a ${name}` : 'an object';
}

/** JavaScript's own error types that only a bug throws (a SyntaxError is also JSON.parse on a bad file). */
export const BUG_TYPES: readonly (new (...args: never[]) => Error)[] = [
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
 * for none (a bug or a failure of the system):
 * - an AdvxError is itself;
 * - a Node file-system error about a path (ENOENT, EACCES, ...) is `bad-file`;
 * - a SyntaxError (JSON.parse of a user's file) is `bad-file`;
 * - a plain Error or a library's own Error subclass is `bad-input`: transitional, for modules that do not
 *   throw AdvxError yet (model loaders, image decoders, data readers); a TypeError, RangeError or other
 *   error of JavaScript's own is a bug and is not converted, nor is an assertion or another system error.
 */
export function inputErrorOf(error: unknown): AdvxError | null {
  if (isAdvxError(error)) return error;
  if (!(error instanceof Error)) return null;
  if (BUG_TYPES.some((type) => error instanceof type) || error.name === 'AssertionError') return null;
  const { code, path } = error as NodeJS.ErrnoException;
  if (typeof code === 'string' && FILE_CODES.has(code))
    return new AdvxError('bad-file', error.message, { cause: error, file: path });
  if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) return null; // another system failure
  if (error instanceof SyntaxError) return new AdvxError('bad-file', error.message, { cause: error });
  return new AdvxError('bad-input', error.message, { cause: error });
}

/**
 * Runs `read`, which reads something the user gave (a model, images, a data set, a folder), and throws
 * its failures as AdvxErrors where `classify` (default {@link inputErrorOf}) says they are bad input;
 * bugs and system failures stay what they are. The stack stays the original one.
 */
export async function readingInput<T>(
  read: () => T | Promise<T>,
  classify: (error: unknown) => AdvxError | null = inputErrorOf,
): Promise<T> {
  try {
    return await read();
  } catch (error) {
    const input = classify(error);
    if (input === null) throw error;
    if (input !== error) input.stack = (error as Error).stack;
    throw input;
  }
}
