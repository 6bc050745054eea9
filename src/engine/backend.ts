/**
 * Backend set-up, in Node and in the browser. Node: wasm by default (`ADVX_BACKEND=cpu` for the
 * reference backend), cpu as a fallback with a warning. Browser: the first of webgpu, webgl, wasm, cpu
 * that starts, or the backend(s) asked for. Either way advx's gradient kernels are registered first, and
 * the wasm files' location can be given (`wasmPaths`, for pages whose bundler moved them).
 */
import { tf, setWasmPaths } from './tf.js';
import { registerBatchNormGradient } from './batch-norm-gradient.js';
import { registerWasmGradientKernels } from './wasm-gradient-kernels.js';

export type BackendName = 'webgpu' | 'webgl' | 'wasm' | 'cpu';

export const BACKENDS: readonly BackendName[] = ['webgpu', 'webgl', 'wasm', 'cpu'];

/** The wasm binaries' location: a URL prefix ending in '/', or file name -> URL (tf.wasm.setWasmPaths). */
export type WasmPaths = string | Partial<Record<WasmFileName, string>>;

export type WasmFileName =
  'tfjs-backend-wasm.wasm' | 'tfjs-backend-wasm-simd.wasm' | 'tfjs-backend-wasm-threaded-simd.wasm';

export interface EngineOptions {
  /**
   * One backend, or several to try in order (the first that starts wins). Default: `ADVX_BACKEND` or
   * wasm in Node; webgpu, webgl, wasm, cpu in the browser.
   */
  backend?: BackendName | readonly BackendName[];
  /** Where the wasm backend loads its .wasm files from (default: beside the tfjs-backend-wasm script). */
  wasmPaths?: WasmPaths;
  /** Where warnings go (default: stderr in Node, console.warn in the browser). */
  warn?: (message: string) => void;
}

let ready: Promise<BackendName> | null = null;

const inNode = (): boolean => typeof process !== 'undefined' && process.versions?.node !== undefined;

function isBackendName(name: string): name is BackendName {
  return (BACKENDS as readonly string[]).includes(name);
}

function defaultBackends(): readonly BackendName[] {
  if (!inNode()) return BACKENDS;
  const fromEnv = process.env.ADVX_BACKEND;
  if (fromEnv === undefined || fromEnv === '') return ['wasm'];
  if (!isBackendName(fromEnv))
    throw new Error(`ADVX_BACKEND must be one of ${BACKENDS.join(', ')} (got '${fromEnv}')`);
  return [fromEnv];
}

function defaultWarn(message: string): void {
  if (inNode()) process.stderr.write(message + '\n');
  else console.warn(message);
}

/** The backends to try, in order, checked. */
export function backendsToTry(backend: EngineOptions['backend']): readonly BackendName[] {
  if (backend === undefined) return defaultBackends();
  const list = typeof backend === 'string' ? [backend] : backend;
  if (list.length === 0) throw new Error(`backend: give at least one of ${BACKENDS.join(', ')}`);
  for (const name of list) {
    if (!isBackendName(name))
      throw new Error(`backend must be one of ${BACKENDS.join(', ')} (got '${name}')`);
  }
  return list;
}

/** Production mode: no per-op debug checks, and no "install tfjs-node" banner (it cannot install here). */
function quiet(): void {
  tf.env().set('PROD', true);
}

function registerGradients(): void {
  registerWasmGradientKernels();
  registerBatchNormGradient();
}

/** Tries to make `name` the backend; the reason when it cannot. */
async function trySetBackend(name: BackendName): Promise<string | null> {
  if (tf.findBackendFactory(name) === null) return 'not available in this build or environment';
  try {
    if (!(await tf.setBackend(name))) return 'it failed to initialize';
    await tf.ready();
    return null;
  } catch (error) {
    return (error as Error).message;
  }
}

async function start(options: EngineOptions): Promise<BackendName> {
  const candidates = backendsToTry(options.backend);
  const warn = options.warn ?? defaultWarn;
  quiet();
  registerGradients();
  if (options.wasmPaths !== undefined) setWasmPaths(options.wasmPaths);
  const failures: string[] = [];
  for (const name of candidates) {
    const failure = await trySetBackend(name);
    if (failure === null) return name;
    failures.push(`${name}: ${failure}`);
  }
  // The cpu backend always starts: the fallback when none asked for did.
  warn(`advx: no backend asked for started (${failures.join('; ')}); using the slow cpu backend`);
  await tf.setBackend('cpu');
  await tf.ready();
  return 'cpu';
}

/**
 * Starts TensorFlow.js once (per process or page): the first call's options count, later calls return
 * the same backend. `initEngine('cpu')` is short for `initEngine({ backend: 'cpu' })`.
 */
export function initEngine(options: BackendName | EngineOptions = {}): Promise<BackendName> {
  if (ready === null) ready = start(typeof options === 'string' ? { backend: options } : options);
  return ready;
}

/** Switches backend explicitly (tests compare backends within one process). */
export async function useBackend(name: BackendName): Promise<void> {
  quiet();
  registerGradients();
  await tf.setBackend(name);
  await tf.ready();
}
