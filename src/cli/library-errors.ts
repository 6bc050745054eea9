/**
 * The library's bad-input errors (AdvxError) as the CLI's own kind of them (UsageError): the same
 * message, code, option and file, exit code 2 either way. For commands that hand their whole work to one
 * library call.
 */
import { isAdvxError } from '../errors.js';
import { UsageError } from './errors.js';

/** Runs `run`; an AdvxError it throws comes out as a UsageError, anything else as it is. */
export async function asUsageErrors<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (!isAdvxError(error) || error instanceof UsageError) throw error;
    const usage = new UsageError(error.message, {
      cause: error,
      code: error.code,
      option: error.option,
      file: error.file,
    });
    usage.stack = error.stack;
    throw usage;
  }
}
