/**
 * Training checkpoints, replaced atomically so that a kill at any moment loses no finished epoch.
 *
 * A checkpoint folder (advx's: it carries a marker, see data/advx-folder.ts) holds:
 *   checkpoint.json        the pointer: which epoch folder is the current checkpoint
 *   epoch-NNNN-ID/         one complete checkpoint: state.json (progress and options), per network a tfjs
 *                          layers model folder, per optimizer its state (optimizer-NAME.bin + .json)
 *   .partial-epoch-NNNN-ID/  a checkpoint being written
 * A save writes the new epoch folder aside, flushes it to disk, renames it into place, then replaces the
 * pointer atomically (write aside, fsync, rename); only then is the previous epoch folder removed. The
 * weights and the state are always those of one epoch, and the previous checkpoint stays until the new
 * one is complete. Checkpoints written before this layout (state and files directly in the folder) are
 * still read.
 */
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join, resolve } from 'node:path';
import { tf } from '../engine/tf.js';
import { loadNetwork } from '../models/model-files.js';
import { saveLayersModel } from '../models/save-model.js';
import { ADVX_FOLDER_MARKER, advxFolderKind, ensureAdvxFolder, markAdvxFolder } from '../data/advx-folder.js';
import { writeFileAtomically } from '../data/atomic-write.js';
import { syncPath, syncTree } from '../data/sync-tree.js';
import { faultPoint } from '../data/fault-point.js';
import {
  decodeOptimizer,
  disposeSavedOptimizer,
  encodeOptimizer,
  type SavedOptimizer,
} from './optimizer-state.js';

export { restoreOptimizer, type NamedTensor, type SavedOptimizer } from './optimizer-state.js';

/** The pointer file (and, in the first layout, the state file). */
export const CHECKPOINT_JSON = 'checkpoint.json';
const STATE_JSON = 'state.json';
const FOLDER_KIND = 'checkpoint';
const EPOCH_FOLDER = /^epoch-\d+-[a-z0-9]+$/;
const PARTIAL_FOLDER = /^\.partial-epoch-/;
const POINTER_TEMPORARY = /^\.checkpoint\.json\.tmp-/;
/** Files of the first layout (state and files directly in the folder). */
const LEGACY_ENTRY = /^(optimizer-[a-z][a-z0-9-]*\.(bin|json)|.*\.tmp-\d+)$/;

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
  /** Optimizer states by optimizer name, for {@link restoreOptimizer}. */
  optimizers: Record<string, SavedOptimizer>;
}

/** What is at a checkpoint path: nothing, a folder advx did not make, or advx's (with a complete checkpoint or not). */
export type CheckpointFolder =
  | { kind: 'missing' }
  | { kind: 'foreign'; reason: 'file' | 'not-advx' }
  | { kind: 'advx'; epoch: number | null };

interface Pointer {
  format: 'advx-checkpoint';
  version: 2;
  current: string;
  epoch: number;
}

const NAME = /^[a-z][a-z0-9-]*$/;

function checkName(kind: string, name: string): void {
  if (!NAME.test(name))
    throw new Error(`checkpoint: ${kind} name '${name}' must be lower-case letters, digits and '-'`);
}

function readJson(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new Error(`${file}: cannot read it (${(error as Error).message})`, { cause: error });
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new Error(`${file} is not valid JSON (${(error as Error).message})`, { cause: error });
  }
}

function isPointer(value: unknown): value is Pointer {
  const p = value as Partial<Pointer> | null;
  return (
    p !== null &&
    typeof p === 'object' &&
    p.format === 'advx-checkpoint' &&
    typeof p.current === 'string' &&
    EPOCH_FOLDER.test(p.current)
  );
}

function isLegacyState(value: unknown): boolean {
  const s = value as Partial<CheckpointState> | null;
  return s !== null && typeof s === 'object' && Number.isInteger(s.epoch) && typeof s.options === 'object';
}

/** Where the current checkpoint under a folder is, and how many epochs it holds. */
interface Current {
  /** The epoch folder (or the checkpoint folder itself in the first layout). */
  folder: string;
  stateFile: string;
  epoch: number;
}

/**
 * The current complete checkpoint under `dir` (resolved), or null when there is none. The epoch comes
 * from the pointer, so that a damaged state file is reported when the checkpoint is loaded, naming the
 * file, instead of passing for no checkpoint (which a new run would clear).
 */
function currentCheckpoint(dir: string): Current | null {
  const pointerFile = join(dir, CHECKPOINT_JSON);
  if (!existsSync(pointerFile)) return null;
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(pointerFile, 'utf8'));
  } catch {
    return null;
  }
  if (isPointer(value)) {
    const folder = join(dir, value.current);
    if (!Number.isInteger(value.epoch) || value.epoch < 0 || !existsSync(folder)) return null;
    return { folder, stateFile: join(folder, STATE_JSON), epoch: value.epoch };
  }
  if (!isLegacyState(value)) return null;
  return { folder: dir, stateFile: pointerFile, epoch: (value as CheckpointState).epoch };
}

/** Tells what is at `dir`: used before a run writes its checkpoints there. */
export function inspectCheckpointFolder(dir: string): CheckpointFolder {
  const target = resolve(dir);
  if (!existsSync(target)) return { kind: 'missing' };
  if (advxFolderKind(target) === null) {
    try {
      readdirSync(target);
    } catch {
      return { kind: 'foreign', reason: 'file' };
    }
    // A checkpoint of the first layout had no marker: recognised by its state file.
    if (currentCheckpoint(target)?.folder !== target) return { kind: 'foreign', reason: 'not-advx' };
  } else if (advxFolderKind(target) !== FOLDER_KIND) return { kind: 'foreign', reason: 'not-advx' };
  return { kind: 'advx', epoch: checkpointEpoch(target) };
}

/** Epochs completed in the checkpoint at `dir`, or null when it holds no complete checkpoint. */
export function checkpointEpoch(dir: string): number | null {
  return currentCheckpoint(resolve(dir))?.epoch ?? null;
}

/** True when `dir` holds a complete checkpoint. */
export function hasCheckpoint(dir: string): boolean {
  return checkpointEpoch(dir) !== null;
}

async function writeCheckpointFiles(
  folder: string,
  nets: Record<string, tf.LayersModel>,
  optimizers: Record<string, tf.Optimizer>,
  state: CheckpointState,
): Promise<void> {
  mkdirSync(folder);
  for (const [name, net] of Object.entries(nets)) {
    await saveLayersModel(net, join(folder, name), { metadata: { checkpointEpoch: state.epoch } });
    faultPoint('checkpoint-network');
  }
  for (const [name, optimizer] of Object.entries(optimizers)) {
    const { bin, json } = await encodeOptimizer(optimizer);
    writeFileSync(join(folder, `optimizer-${name}.bin`), bin);
    writeFileSync(join(folder, `optimizer-${name}.json`), json);
  }
  const record = { ...state, nets: Object.keys(nets), optimizers: Object.keys(optimizers) };
  writeFileSync(join(folder, STATE_JSON), JSON.stringify(record, null, 1));
  faultPoint('checkpoint-written');
}

/** Removes what checkpoints left in `dir` other than the epoch folder `keep` (and the pointer and marker). */
function removeStale(dir: string, keep: string | null): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const name = entry.name;
    if (name === keep || name === CHECKPOINT_JSON || name === ADVX_FOLDER_MARKER) continue;
    const ours =
      (entry.isDirectory() && (EPOCH_FOLDER.test(name) || PARTIAL_FOLDER.test(name))) ||
      POINTER_TEMPORARY.test(name) ||
      LEGACY_ENTRY.test(name);
    if (ours) rmSync(join(dir, name), { recursive: true, force: true });
  }
}

/** Network folders of a first-layout checkpoint in `dir`, as its state file lists them. */
function legacyNetworkFolders(dir: string): string[] {
  try {
    const state = readJson(join(dir, CHECKPOINT_JSON)) as { nets?: unknown };
    return Array.isArray(state.nets)
      ? state.nets.filter((n): n is string => typeof n === 'string' && NAME.test(n))
      : [];
  } catch {
    return [];
  }
}

/**
 * Saves networks, optimizer states and the progress as the new checkpoint in `dir`, replacing the
 * previous one only once the new one is complete (see the file comment). `dir` must be advx's checkpoint
 * folder or not exist.
 */
export async function saveCheckpoint(
  dir: string,
  nets: Record<string, tf.LayersModel>,
  optimizers: Record<string, tf.Optimizer>,
  state: CheckpointState,
): Promise<void> {
  for (const name of Object.keys(nets)) checkName('network', name);
  for (const name of Object.keys(optimizers)) checkName('optimizer', name);
  if (!Number.isInteger(state.epoch) || state.epoch < 0)
    throw new Error(`checkpoint: epoch must be an integer >= 0 (got ${state.epoch})`);
  const target = resolve(dir);
  const found = inspectCheckpointFolder(target);
  if (found.kind === 'foreign') ensureAdvxFolder(target, FOLDER_KIND); // throws, naming the folder
  const legacy = found.kind === 'advx' && advxFolderKind(target) === null;
  const legacyNets = legacy ? legacyNetworkFolders(target) : [];
  if (legacy) markAdvxFolder(target, FOLDER_KIND);
  else ensureAdvxFolder(target, FOLDER_KIND);

  const id = `${String(state.epoch).padStart(4, '0')}-${Date.now().toString(36)}${process.pid.toString(36)}`;
  const name = `epoch-${id}`;
  const partial = join(target, `.partial-${name}`);
  try {
    await writeCheckpointFiles(partial, nets, optimizers, state);
    syncTree(partial);
    renameSync(partial, join(target, name));
  } catch (error) {
    rmSync(partial, { recursive: true, force: true });
    throw error;
  }
  syncPath(target, true);
  faultPoint('checkpoint-renamed');
  const pointer: Pointer = { format: 'advx-checkpoint', version: 2, current: name, epoch: state.epoch };
  writeFileAtomically(join(target, CHECKPOINT_JSON), new TextEncoder().encode(JSON.stringify(pointer)), true);
  faultPoint('checkpoint-switched');
  removeStale(target, name);
  for (const net of legacyNets) rmSync(join(target, net), { recursive: true, force: true });
}

/**
 * Reads the current checkpoint in `dir`; the caller disposes the networks and the optimizer tensors
 * (see {@link restoreOptimizer}).
 */
export async function loadCheckpoint(dir: string): Promise<Checkpoint> {
  const target = resolve(dir);
  const current = currentCheckpoint(target);
  if (current === null)
    throw new Error(`${target}: no complete checkpoint (${CHECKPOINT_JSON} is missing or broken)`);
  const { folder, stateFile } = current;
  const raw = readJson(stateFile) as CheckpointState & { nets?: unknown; optimizers?: unknown };
  if (raw.epoch !== current.epoch)
    throw new Error(
      `${stateFile}: epoch ${raw.epoch} does not match the ${current.epoch} of ${CHECKPOINT_JSON}`,
    );
  const netNames = Array.isArray(raw.nets) ? (raw.nets as string[]) : [];
  const optimizerNames = Array.isArray(raw.optimizers) ? (raw.optimizers as string[]) : [];
  const nets: Record<string, tf.LayersModel> = {};
  const optimizers: Record<string, SavedOptimizer> = {};
  try {
    for (const name of netNames) {
      checkName('network', name);
      const { net } = await loadNetwork(join(folder, name));
      if ((net as tf.LayersModel).layers === undefined) {
        net.dispose();
        throw new Error(`${join(folder, name)}: not a layers model`);
      }
      nets[name] = net as tf.LayersModel;
    }
    for (const name of optimizerNames) {
      checkName('optimizer', name);
      const jsonFile = join(folder, `optimizer-${name}.json`);
      const binFile = join(folder, `optimizer-${name}.bin`);
      let bin: Buffer;
      let json: string;
      try {
        bin = readFileSync(binFile);
        json = readFileSync(jsonFile, 'utf8');
      } catch (error) {
        throw new Error(`${folder}: optimizer state '${name}' cannot be read (${(error as Error).message})`, {
          cause: error,
        });
      }
      optimizers[name] = decodeOptimizer(bin, json, jsonFile);
    }
  } catch (error) {
    Object.values(nets).forEach((n) => n.dispose());
    Object.values(optimizers).forEach(disposeSavedOptimizer);
    throw error;
  }
  const { nets: _n, optimizers: _o, ...state } = raw;
  return { state, nets, optimizers };
}

/**
 * Removes the checkpoint in `dir` if it is advx's: the files checkpoints are made of, then the folder
 * when nothing else is left in it. Anything else found there is kept. Returns false when `dir` is not
 * advx's checkpoint folder (and then touches nothing).
 */
export function removeCheckpoint(dir: string): boolean {
  const target = resolve(dir);
  const found = inspectCheckpointFolder(target);
  if (found.kind === 'missing') return true;
  if (found.kind === 'foreign') return false;
  const legacyNets = advxFolderKind(target) === null ? legacyNetworkFolders(target) : [];
  if (advxFolderKind(target) === null) markAdvxFolder(target, FOLDER_KIND); // still ours after a kill
  // The pointer goes first: a kill while the rest is removed leaves no checkpoint, never a broken one.
  rmSync(join(target, CHECKPOINT_JSON), { force: true });
  syncPath(target, true);
  faultPoint('checkpoint-unlinked');
  removeStale(target, null);
  for (const net of legacyNets) rmSync(join(target, net), { recursive: true, force: true });
  const rest = readdirSync(target);
  if (rest.length === 1 && rest[0] === ADVX_FOLDER_MARKER) rmSync(join(target, ADVX_FOLDER_MARKER));
  try {
    rmdirSync(target);
  } catch {
    // something that is not ours is left in it: keep the folder
  }
  return true;
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
