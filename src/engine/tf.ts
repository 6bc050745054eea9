/**
 * The one place advx imports TensorFlow.js from. Every other module imports `tf` from here so that the
 * whole library shares a single tfjs instance and the backends are registered exactly once.
 *
 * advx depends on tfjs' pieces (core, layers, converter, the cpu and wasm backends), not on the
 * `@tensorflow/tfjs` umbrella, whose import is what registers tfjs-core's gradients and chained ops:
 * `#tfjs-registrations` does that (scripts/bundle-tfjs-registrations.mjs says how, in Node and bundlers).
 */
import * as tf from './tfjs-namespace.js';
import '#tfjs-registrations';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';

export { tf };
export { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
export type { Tensor, Tensor1D, Tensor2D, Tensor3D, Tensor4D, Rank, TensorLike } from '@tensorflow/tfjs-core';
