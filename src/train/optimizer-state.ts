/**
 * An optimizer's state as bytes and back, exactly: tfjs' getWeights/setWeights carry the step count and
 * the moments, but Adam's running powers beta1^t and beta2^t are rebuilt by setWeights as pow(beta, t+1),
 * where the running optimizer multiplied them step by step (they differ in the last bits). They are saved
 * too and put back, so that a resumed run continues with the very same numbers.
 */
import { tf } from '../engine/tf.js';

/** A named tensor, as tf.Optimizer.getWeights() returns them. */
export interface NamedTensor {
  name: string;
  tensor: tf.Tensor;
}

/** What a checkpoint holds of one optimizer; the caller owns the tensors (restoreOptimizer disposes them). */
export interface SavedOptimizer {
  className: string;
  weights: NamedTensor[];
  /** Adam's beta1^t and beta2^t as the running optimizer had them. */
  adamPowers?: [number, number];
}

interface OptimizerJson {
  className: string;
  specs: tf.io.WeightsManifestEntry[];
  adamPowers?: [number, number];
}

/** Adam's running powers (private fields of tfjs' AdamOptimizer), when `optimizer` has them. */
function adamPowerVariables(optimizer: tf.Optimizer): [tf.Variable, tf.Variable] | null {
  const fields = optimizer as unknown as { accBeta1?: unknown; accBeta2?: unknown };
  return fields.accBeta1 instanceof tf.Variable && fields.accBeta2 instanceof tf.Variable
    ? [fields.accBeta1, fields.accBeta2]
    : null;
}

/** The optimizer's state as a weights file and its JSON description. */
export async function encodeOptimizer(optimizer: tf.Optimizer): Promise<{ bin: Uint8Array; json: string }> {
  const weights = await optimizer.getWeights();
  try {
    const { data, specs } = await tf.io.encodeWeights(weights);
    const powers = adamPowerVariables(optimizer);
    const json: OptimizerJson = {
      className: optimizer.getClassName(),
      specs,
      ...(powers === null ? {} : { adamPowers: [powers[0].dataSync()[0], powers[1].dataSync()[0]] }),
    };
    return { bin: new Uint8Array(data), json: JSON.stringify(json) };
  } finally {
    // getWeights() makes a fresh scalar for the step count; the moments are the optimizer's own variables.
    for (const w of weights) if (!(w.tensor instanceof tf.Variable)) w.tensor.dispose();
  }
}

/** Reads what encodeOptimizer wrote; `file` names the JSON in error messages. */
export function decodeOptimizer(bin: Uint8Array, jsonText: string, file: string): SavedOptimizer {
  let json: OptimizerJson;
  try {
    json = JSON.parse(jsonText) as OptimizerJson;
  } catch (error) {
    throw new Error(`${file} is not valid JSON (${(error as Error).message})`, { cause: error });
  }
  if (typeof json.className !== 'string' || !Array.isArray(json.specs))
    throw new Error(`${file}: not an optimizer state (className and specs expected)`);
  const buffer = bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength) as ArrayBuffer;
  let map: tf.NamedTensorMap;
  try {
    map = tf.io.decodeWeights(buffer, json.specs);
  } catch (error) {
    throw new Error(`${file}: its weights file does not match it (${(error as Error).message})`, {
      cause: error,
    });
  }
  const powers = json.adamPowers;
  return {
    className: json.className,
    weights: json.specs.map((spec) => ({ name: spec.name, tensor: map[spec.name] })),
    adamPowers:
      Array.isArray(powers) && powers.length === 2 && powers.every(Number.isFinite)
        ? [powers[0], powers[1]]
        : undefined,
  };
}

/** Disposes the tensors of a saved optimizer state that will not be restored. */
export function disposeSavedOptimizer(saved: SavedOptimizer): void {
  for (const w of saved.weights) w.tensor.dispose();
}

/** Gives `optimizer` the saved state (exactly, Adam's powers included), then disposes the saved tensors. */
export async function restoreOptimizer(
  optimizer: tf.Optimizer,
  saved: SavedOptimizer | undefined,
): Promise<void> {
  if (saved === undefined) throw new Error('checkpoint: no saved state for this optimizer');
  try {
    if (saved.className !== optimizer.getClassName())
      throw new Error(
        `checkpoint: the saved optimizer is ${saved.className}, not ${optimizer.getClassName()}`,
      );
    await optimizer.setWeights(saved.weights);
    const powers = adamPowerVariables(optimizer);
    if (powers !== null && saved.adamPowers !== undefined) {
      const [beta1t, beta2t] = saved.adamPowers;
      tf.tidy(() => {
        powers[0].assign(tf.scalar(beta1t));
        powers[1].assign(tf.scalar(beta2t));
      });
    }
  } finally {
    disposeSavedOptimizer(saved);
  }
}
