/**
 * Which ONNX Runtime runs sessions. Node: onnxruntime-node on its CPU provider, loaded on first use. The
 * browser (or any other host): the module given to `useOnnxRuntime`, e.g. `import * as ort from
 * 'onnxruntime-web/wasm'`, on its wasm provider (its InferenceSession and Tensor API is onnxruntime-common's,
 * the same as onnxruntime-node's). How sessions are made on each: session-host.ts.
 */
import { cpuSessionHost } from './cpu-session-host.js';
import { checkOnnxRuntime, type OnnxRuntime, type SessionHost } from './session-host.js';
import { wasmSessionHost, type WasmRuntimeOptions, type WebOnnxRuntime } from './wasm-session-host.js';

export type { OnnxRuntime, SessionHost } from './session-host.js';
export type { WasmRuntimeOptions } from './wasm-session-host.js';

export interface OnnxRuntimeOptions extends WasmRuntimeOptions {
  /**
   * `cpu` (onnxruntime-node: intra-op threads per session) or `wasm` (onnxruntime-web). Default: `wasm`
   * outside Node or when a wasm option is given, else `cpu`.
   */
  executionProvider?: 'cpu' | 'wasm';
}

/**
 * Node's runtime. A variable, not a literal, so that browser bundlers do not follow it into
 * onnxruntime-node's native binding; only Node ever evaluates this import.
 */
const NODE_RUNTIME: string = 'onnxruntime-node';

/** What the browser says when an ONNX model is loaded and no runtime was given. */
export const NO_RUNTIME_MESSAGE =
  'no ONNX Runtime in this page: ONNX models run on onnxruntime-web, an optional peer dependency of advx. ' +
  "Install it (npm install onnxruntime-web), then `import * as ort from 'onnxruntime-web/wasm'` and call " +
  'engine.useOnnxRuntime(ort, { wasmPaths }) before loading the model';

let chosen: SessionHost | null = null;

const inNode = () => typeof process !== 'undefined' && process.versions?.node !== undefined;

/** Runs every later ONNX session on `runtime` (call before loading an ONNX model). */
export function useOnnxRuntime(runtime: OnnxRuntime, options: OnnxRuntimeOptions = {}): void {
  checkOnnxRuntime(runtime, 'useOnnxRuntime');
  const { executionProvider, ...wasm } = options;
  const wasmAsked = wasm.wasmPaths !== undefined || wasm.numThreads !== undefined;
  const provider = executionProvider ?? (inNode() && !wasmAsked ? 'cpu' : 'wasm');
  if (provider !== 'cpu' && provider !== 'wasm')
    throw new Error(`useOnnxRuntime: executionProvider must be cpu or wasm (got '${String(provider)}')`);
  if (provider === 'cpu' && wasmAsked)
    throw new Error('useOnnxRuntime: wasmPaths and numThreads are settings of the wasm provider');
  chosen = provider === 'cpu' ? cpuSessionHost(runtime) : wasmSessionHost(runtime as WebOnnxRuntime, wasm);
}

/** Whether a runtime is at hand without loading one: given to useOnnxRuntime, or Node's. */
export function hasOnnxRuntime(): boolean {
  return chosen !== null || inNode();
}

/** The session host in use: the runtime given to `useOnnxRuntime`, else onnxruntime-node in Node. */
export async function sessionHost(): Promise<SessionHost> {
  if (chosen !== null) return chosen;
  if (!inNode()) throw new Error(`advx: ${NO_RUNTIME_MESSAGE}`);
  chosen = cpuSessionHost((await import(NODE_RUNTIME)) as OnnxRuntime);
  return chosen;
}

/** The runtime in use: the one given to `useOnnxRuntime`, else onnxruntime-node in Node. */
export async function onnxRuntime(): Promise<OnnxRuntime> {
  return (await sessionHost()).runtime;
}
