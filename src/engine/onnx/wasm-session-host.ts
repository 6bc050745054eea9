/**
 * Sessions on onnxruntime-web's wasm execution provider (the browser's ONNX Runtime: WebAssembly on the
 * CPU). Its threads and the location of its .wasm and .mjs files are settings of the module
 * (`ort.env.wasm`), set once here, as tfjs' wasm backend takes `wasmPaths`.
 */
import { COMMON_SESSION_OPTIONS, type OnnxRuntime, type SessionHost } from './session-host.js';

/** Where onnxruntime-web finds its files and how many threads it runs. */
export interface WasmRuntimeOptions {
  /**
   * A URL prefix (ending in '/') holding onnxruntime-web's `ort-wasm-*.wasm` and `.mjs` files, or a map
   * of file name -> URL (onnxruntime-web's `env.wasm.wasmPaths`). Default: onnxruntime-web's own (beside
   * its script, or what the bundler emitted).
   */
  wasmPaths?: string | Record<string, string>;
  /** WebAssembly threads (more than 1 needs a cross-origin isolated page). Default: onnxruntime-web's. */
  numThreads?: number;
}

/** onnxruntime-web's settings object, as far as advx sets it. */
interface WasmEnv {
  wasmPaths?: unknown;
  numThreads?: number;
}

export type WebOnnxRuntime = OnnxRuntime & { env?: { wasm?: WasmEnv } };

export function wasmSessionHost(runtime: WebOnnxRuntime, options: WasmRuntimeOptions = {}): SessionHost {
  const { wasmPaths, numThreads } = options;
  if (numThreads !== undefined && !(Number.isInteger(numThreads) && numThreads >= 1))
    throw new Error(`numThreads: expected a positive integer, got ${numThreads}`);
  if (
    wasmPaths !== undefined &&
    typeof wasmPaths !== 'string' &&
    (wasmPaths === null || typeof wasmPaths !== 'object')
  )
    throw new Error('wasmPaths: expected a URL prefix or a map of file name -> URL');
  const env = runtime.env?.wasm;
  if ((wasmPaths !== undefined || numThreads !== undefined) && env === undefined)
    throw new Error(
      'useOnnxRuntime: this ONNX Runtime has no wasm settings (env.wasm): is it onnxruntime-web?',
    );
  if (env !== undefined) {
    if (wasmPaths !== undefined) env.wasmPaths = wasmPaths;
    if (numThreads !== undefined) env.numThreads = numThreads;
  }
  return {
    runtime,
    sessionOptions: ({ optimizedModelPath }) => {
      if (optimizedModelPath !== undefined)
        throw new Error('optimizedModelPath: onnxruntime-web cannot write files');
      return { ...COMMON_SESSION_OPTIONS, executionProviders: ['wasm'] };
    },
  };
}
