/**
 * The WebGPU backend of TensorFlow.js, for the browser entry only (Node has no WebGPU, and the CLI need
 * not load it). Importing this module registers the backend where `navigator.gpu` exists.
 */
import '@tensorflow/tfjs-backend-webgpu';
