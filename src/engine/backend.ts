/**
 * Backend set-up: wasm by default (fast in Node and the browser), cpu as a fallback with a warning.
 */
import { tf } from './tf.js';
import { registerBatchNormGradient } from './batch-norm-gradient.js';
import { registerWasmGradientKernels } from './wasm-gradient-kernels.js';

export type BackendName = 'wasm' | 'cpu';

let ready: Promise<BackendName> | null = null;

/** Production mode: no per-op debug checks, and no "install tfjs-node" banner (it cannot install here). */
function quiet(): void {
  tf.env().set('PROD', true);
}

function registerGradients(): void {
  registerWasmGradientKernels();
  registerBatchNormGradient();
}

async function start(preferred: BackendName, warn: (message: string) => void): Promise<BackendName> {
  quiet();
  registerGradients();
  if (preferred === 'wasm') {
    try {
      if (await tf.setBackend('wasm')) {
        await tf.ready();
        return 'wasm';
      }
    } catch (error) {
      warn(
        `advx: the wasm backend failed to start (${(error as Error).message}); using the slow cpu backend`,
      );
    }
  }
  await tf.setBackend('cpu');
  await tf.ready();
  return 'cpu';
}

/**
 * Starts TensorFlow.js once per process. `ADVX_BACKEND=cpu` (or `preferred`) selects the reference cpu
 * backend, which tests use to check wasm gradients.
 */
export function initEngine(
  preferred: BackendName = (process.env.ADVX_BACKEND as BackendName | undefined) ?? 'wasm',
  warn: (message: string) => void = (m) => process.stderr.write(m + '\n'),
): Promise<BackendName> {
  if (ready === null) ready = start(preferred, warn);
  return ready;
}

/** Switches backend explicitly (tests compare backends within one process). */
export async function useBackend(name: BackendName): Promise<void> {
  quiet();
  registerGradients();
  await tf.setBackend(name);
  await tf.ready();
}
