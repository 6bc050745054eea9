/**
 * Exit codes of the CLI (DESIGN.md): 0 success (also when an attack did not succeed), 2 bad usage or bad
 * input, 1 any other failure. Errors print as one line, never a stack trace (ADVX_DEBUG=1 shows it).
 */
export class UsageError extends Error {
  readonly exitCode = 2;
}

/** Runs `load`, turning any error into a UsageError: used for everything that reads user input. */
export async function asUsage<T>(load: () => T | Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (error) {
    if (error instanceof UsageError) throw error;
    const usage = new UsageError((error as Error).message);
    usage.stack = (error as Error).stack;
    throw usage;
  }
}

export function exitCodeOf(error: unknown): number {
  if (error instanceof UsageError) return 2;
  const code = (error as { code?: string }).code;
  if (typeof code === 'string' && code.startsWith('commander.')) return 2;
  return 1;
}

export function reportError(error: unknown): number {
  const code = exitCodeOf(error);
  const message = (error as Error).message ?? String(error);
  process.stderr.write(`advx: ${message.replace(/^error: /, '')}\n`);
  if (process.env.ADVX_DEBUG) process.stderr.write(`${(error as Error).stack}\n`);
  return code;
}
