/**
 * The one place advx imports TensorFlow.js from. Every other module imports `tf` from here so that the
 * whole library shares a single tfjs instance and the wasm backend is registered exactly once.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';

export { tf };
export { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
export type { Tensor, Tensor1D, Tensor2D, Tensor3D, Tensor4D, Rank, TensorLike } from '@tensorflow/tfjs';
