/**
 * The browser's `engine` namespace: Node's, plus TensorFlow.js' WebGL and WebGPU backends, so that
 * `initEngine()` can pick webgpu, webgl, wasm or cpu (the first that starts, or as asked). Both backends
 * are optional peer dependencies: a page bundles them, Node never loads them.
 */
import '@tensorflow/tfjs-backend-webgl';
import '../engine/webgpu.js';

export * from '../engine/index.js';
