/**
 * The browser's `engine` namespace: Node's, plus TensorFlow.js' WebGPU backend, so that
 * `initEngine()` can pick webgpu, webgl, wasm or cpu (the first that starts, or as asked).
 */
import '../engine/webgpu.js';

export * from '../engine/index.js';
