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
