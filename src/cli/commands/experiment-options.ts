/**
 * Moved to src/cli/experiment-options.ts (a command imports no other file of commands/): this
 * re-export serves experiment-robustness.ts and experiment-transfer.ts until they import it from there.
 */
export * from '../experiment-options.js';
