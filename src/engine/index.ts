/** TensorFlow.js set-up: the shared tfjs instance, backend choice, gradient kernels, seeded randomness. */
export { tf } from './tf.js';
export {
  initEngine,
  useBackend,
  BACKENDS,
  type BackendName,
  type EngineOptions,
  type WasmPaths,
} from './backend.js';
export { useUnfusedLayersUnderGradients } from './unfused-layers.js';
export { registerWasmGradientKernels } from './wasm-gradient-kernels.js';
export { registerBatchNormGradient } from './batch-norm-gradient.js';
export { Rng } from './random.js';
export {
  useOnnxRuntime,
  hasOnnxRuntime,
  type OnnxRuntime,
  type OnnxRuntimeOptions,
  type WasmRuntimeOptions,
} from './onnx/runtime.js';
