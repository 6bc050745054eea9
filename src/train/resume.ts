/**
 * Resuming a training run from its checkpoint, shared by `advx train` and `advx train gan`: the run must
 * be the same run (every option that defines it matches what the checkpoint recorded; only the number of
 * epochs may grow), then the networks get the saved weights and the optimizers their exact saved state.
 */
import type { tf } from '../engine/tf.js';
import {
  copyWeights,
  loadCheckpoint,
  restoreOptimizer,
  type Checkpoint,
  type CheckpointState,
} from './checkpoint.js';
import { disposeSavedOptimizer } from './optimizer-state.js';

/** The checkpoint belongs to another run (a user-facing, one-line message). */
export class ResumeMismatchError extends Error {}

export interface ResumeTarget {
  /** Freshly built networks, by the names the checkpoint saved them under. */
  nets: Record<string, tf.LayersModel>;
  /** Fresh optimizers, by the names the checkpoint saved them under. */
  optimizers: Record<string, tf.Optimizer>;
}

/** Throws ResumeMismatchError naming the first option whose value differs from the checkpoint's. */
export function assertSameRun(state: CheckpointState, expected: Record<string, unknown>): void {
  for (const [key, value] of Object.entries(expected)) {
    const recorded = state.options[key] ?? null;
    if (JSON.stringify(recorded) !== JSON.stringify(value)) {
      throw new ResumeMismatchError(
        `--resume: the checkpoint was made with ${key} ${JSON.stringify(recorded)}, not ${JSON.stringify(value)}`,
      );
    }
  }
}

function dispose(checkpoint: Checkpoint): void {
  Object.values(checkpoint.nets).forEach((n) => n.dispose());
  Object.values(checkpoint.optimizers).forEach(disposeSavedOptimizer);
}

/**
 * Loads the checkpoint in `dir` into `target` after checking that it is the run described by `expected`
 * and that it has at most `epochs` epochs. Returns the checkpoint's state (epochs done, history).
 * Everything loaded is disposed, also when a check fails.
 */
export async function resumeTraining(
  dir: string,
  expected: Record<string, unknown>,
  target: ResumeTarget,
  epochs: number,
): Promise<CheckpointState> {
  const checkpoint = await loadCheckpoint(dir);
  try {
    assertSameRun(checkpoint.state, expected);
    if (checkpoint.state.epoch > epochs) {
      throw new ResumeMismatchError(
        `--epochs: the checkpoint has ${checkpoint.state.epoch} epochs already; ask for at least that many`,
      );
    }
    for (const [name, net] of Object.entries(target.nets)) {
      const saved = checkpoint.nets[name];
      if (saved === undefined) throw new Error(`${dir}: the checkpoint has no network '${name}'`);
      copyWeights(saved, net);
    }
    for (const [name, optimizer] of Object.entries(target.optimizers)) {
      const saved = checkpoint.optimizers[name];
      if (saved === undefined) throw new Error(`${dir}: the checkpoint has no state of optimizer '${name}'`);
      delete checkpoint.optimizers[name];
      await restoreOptimizer(optimizer, saved);
    }
    return checkpoint.state;
  } finally {
    dispose(checkpoint);
  }
}
