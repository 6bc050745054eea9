/**
 * Which ONNX Runtime module runs sessions. Node: onnxruntime-node, loaded on first use. The browser (or
 * any other host): the module given to `useOnnxRuntime`, e.g. `import * as ort from 'onnxruntime-web'`
 * (its InferenceSession and Tensor API is onnxruntime-common's, the same as onnxruntime-node's).
 */
import type * as OnnxRuntimeNode from 'onnxruntime-node';

/** What advx needs of an ONNX Runtime module. */
export type OnnxRuntime = Pick<typeof OnnxRuntimeNode, 'InferenceSession' | 'Tensor'>;

/**
 * Node's runtime. A variable, not a literal, so that browser bundlers do not follow it into
 * onnxruntime-node's native binding; only Node ever evaluates this import.
 */
const NODE_RUNTIME: string = 'onnxruntime-node';

let chosen: OnnxRuntime | null = null;

/** Runs every later ONNX session on `runtime` (call before loading an ONNX model). */
export function useOnnxRuntime(runtime: OnnxRuntime): void {
  if (typeof runtime?.InferenceSession?.create !== 'function' || typeof runtime.Tensor !== 'function')
    throw new Error('useOnnxRuntime: expected an ONNX Runtime module (with InferenceSession and Tensor)');
  chosen = runtime;
}

/** The runtime in use: the one given to `useOnnxRuntime`, else onnxruntime-node in Node. */
export async function onnxRuntime(): Promise<OnnxRuntime> {
  if (chosen !== null) return chosen;
  if (typeof process === 'undefined' || process.versions?.node === undefined)
    throw new Error(
      "advx: no ONNX Runtime here: call engine.useOnnxRuntime(ort) with `import * as ort from 'onnxruntime-web'` first",
    );
  chosen = (await import(NODE_RUNTIME)) as OnnxRuntime;
  return chosen;
}
