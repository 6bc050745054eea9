/**
 * The browser's `models` namespace: the model seam, tfjs models, losses, preprocessing, function and
 * black-box models, and `loadModel(url)` (TensorFlow.js models, and ONNX models on the ONNX Runtime given to
 * `engine.useOnnxRuntime`). Loaders that read files or start servers stay in Node's.
 */
export * from '../models/model.js';
export * from '../models/preprocessing.js';
export * from '../models/tfjs-model.js';
export * from '../models/loss.js';
export * from '../models/forward-model.js';
export * from '../models/black-box-model.js';
export * from '../models/model-outputs.js';
export type { OnnxModel } from '../models/onnx-model.js';
export { loadModel, loadModel as load, type UrlModelOptions } from './load-model.js';
