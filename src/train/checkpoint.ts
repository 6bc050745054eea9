/**
 * Training checkpoints: one folder holding, per network, a tfjs layers model (model.json + weights.bin),
 * per optimizer its state (Adam's step count and moments) in `optimizer-NAME.bin` + `.json`, and
 * `checkpoint.json` with the run's progress and options. Written atomically enough for interruption: the
 * state file goes last, so a checkpoint whose `checkpoint.json` exists is complete.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { tf } from '../engine/tf.js';
import { loadNetwork } from '../models/model-files.js';
import { saveLayersModel } from '../models/save-model.js';

/** A named tensor, as tf.Optimizer.getWeights() returns them. */
export interface NamedTensor {
  name: string;
  tensor: tf.Tensor;
}

export const CHECKPOINT_JSON = 'checkpoint.json';

/** What a training loop needs to carry on. */
export interface CheckpointState {
  /** Epochs completed. */
  epoch: number;
  /** The options of the run (checked on resume so that a resumed run is the same run). */
  options: Record<string, unknown>;
  /** Per-epoch summaries so far. */
  history: unknown[];
  [key: string]: unknown;
}

export interface Checkpoint {
  state: CheckpointState;
  nets: Record<string, tf.LayersModel>;
  /** Optimizer weights by optimizer name, for `optimizer.setWeights`. */
  optimizers: Record<string, NamedTensor[]>;
}

function writeAtomically(path: string, data: string | Uint8Array): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}

const NAME = /^[a-z][a-z0-9-]*$/;

function checkName(kind: string, name: string): void {
  if (!NAME.test(name))
    throw new Error(`checkpoint: ${kind} name '${name}' must be lower-case letters, digits and '-'`);
}

/** Saves networks, optimizer states and the progress into `dir` (replacing an earlier checkpoint there). */
export async function saveCheckpoint(
  dir: string,
  nets: Record<string, tf.LayersModel>,
  optimizers: Record<string, tf.Optimizer>,
  state: CheckpointState,
): Promise<void> {
  const target = resolve(dir);
  mkdirSync(target, { recursive: true });
  // Invalidate first: a crash while writing leaves no checkpoint.json, so nothing half-written is resumed.
  rmSync(join(target, CHECKPOINT_JSON), { force: true });
  for (const [name, net] of Object.entries(nets)) {
    checkName('network', name);
    await saveLayersModel(net, join(target, name), {
      overwrite: true,
      metadata: { checkpointEpoch: state.epoch },
    });
  }
  for (const [name, optimizer] of Object.entries(optimizers)) {
    checkName('optimizer', name);
    const weights = await optimizer.getWeights();
    const { data, specs } = await tf.io.encodeWeights(weights);
    // getWeights() makes a fresh scalar for the step count; the moments are the optimizer's own variables.
    for (const w of weights) if (!(w.tensor instanceof tf.Variable)) w.tensor.dispose();
    writeAtomically(join(target, `optimizer-${name}.bin`), new Uint8Array(data));
    writeAtomically(
      join(target, `optimizer-${name}.json`),
      JSON.stringify({ className: optimizer.getClassName(), specs }),
    );
  }
  writeAtomically(
    join(target, CHECKPOINT_JSON),
    JSON.stringify({ ...state, nets: Object.keys(nets), optimizers: Object.keys(optimizers) }, null, 1),
  );
}

/** True when `dir` holds a complete checkpoint. */
export function hasCheckpoint(dir: string): boolean {
  return existsSync(join(resolve(dir), CHECKPOINT_JSON));
}

/**
 * Reads a checkpoint written by {@link saveCheckpoint}; the caller disposes the networks and the optimizer
 * tensors (see {@link restoreOptimizer}).
 */
export async function loadCheckpoint(dir: string): Promise<Checkpoint> {
  const target = resolve(dir);
  const stateFile = join(target, CHECKPOINT_JSON);
  if (!existsSync(stateFile))
    throw new Error(`${target}: no complete checkpoint (${CHECKPOINT_JSON} is missing)`);
  let raw: CheckpointState & { nets?: string[]; optimizers?: string[] };
  try {
    raw = JSON.parse(readFileSync(stateFile, 'utf8'));
  } catch (error) {
    throw new Error(`${stateFile} is not valid JSON (${(error as Error).message})`, { cause: error });
  }
  if (!Number.isInteger(raw.epoch) || raw.epoch < 0)
    throw new Error(`${stateFile}: epoch must be an integer >= 0`);
  const nets: Record<string, tf.LayersModel> = {};
  for (const name of raw.nets ?? []) {
    checkName('network', name);
    const { net } = await loadNetwork(join(target, name));
    if ((net as tf.LayersModel).layers === undefined)
      throw new Error(`${join(target, name)}: not a layers model`);
    nets[name] = net as tf.LayersModel;
  }
  const optimizers: Record<string, NamedTensor[]> = {};
  for (const name of raw.optimizers ?? []) {
    checkName('optimizer', name);
    const meta = JSON.parse(readFileSync(join(target, `optimizer-${name}.json`), 'utf8')) as {
      specs: tf.io.WeightsManifestEntry[];
    };
    const bytes = readFileSync(join(target, `optimizer-${name}.bin`));
    const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
    const map = tf.io.decodeWeights(buffer, meta.specs);
    optimizers[name] = meta.specs.map((spec) => ({ name: spec.name, tensor: map[spec.name] }));
  }
  const { nets: _n, optimizers: _o, ...state } = raw;
  return { state, nets, optimizers };
}

/** Copies the weights of `from` into `to` (same architecture), e.g. a checkpoint into a freshly built network. */
export function copyWeights(from: tf.LayersModel, to: tf.LayersModel): void {
  const source = from.getWeights();
  const target = to.getWeights();
  if (source.length !== target.length || source.some((w, i) => w.shape.join() !== target[i].shape.join())) {
    throw new Error(
      `checkpoint: the saved network (${source.length} weights) does not match this architecture (${target.length} weights)`,
    );
  }
  to.setWeights(source);
}

/** Gives `optimizer` the state saved in a checkpoint, then disposes the loaded tensors (setWeights copies them). */
export async function restoreOptimizer(
  optimizer: tf.Optimizer,
  weights: NamedTensor[] | undefined,
): Promise<void> {
  if (weights === undefined) throw new Error('checkpoint: no saved state for this optimizer');
  try {
    await optimizer.setWeights(weights);
  } finally {
    for (const w of weights) w.tensor.dispose();
  }
}
