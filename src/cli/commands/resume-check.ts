/**
 * `--resume` continues the same run only: every option that defines the run must match what the
 * checkpoint recorded (`--epochs` may grow). Shared by `advx train` and `advx train gan`.
 */
import type { Checkpoint } from '../../train/checkpoint.js';
import { UsageError } from '../errors.js';

/** Throws a UsageError naming the first option that differs (and frees the checkpoint's networks). */
export function assertSameRun(checkpoint: Checkpoint, expected: Record<string, unknown>): void {
  for (const [key, value] of Object.entries(expected)) {
    const recorded = checkpoint.state.options[key] ?? null;
    if (JSON.stringify(recorded) !== JSON.stringify(value)) {
      Object.values(checkpoint.nets).forEach((n) => n.dispose());
      throw new UsageError(
        `--resume: the checkpoint was made with ${key} ${JSON.stringify(recorded)}, not ${JSON.stringify(value)}`,
      );
    }
  }
}
