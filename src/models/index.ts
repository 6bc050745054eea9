export * from './model.js';
export * from './preprocessing.js';
export * from './tfjs-model.js';
export * from './model-files.js';
export * from './download.js';
export * from './labels.js';
export * from './zoo.js';
export * from './loss.js';
export * from './forward-model.js';
export * from './onnx-model.js';
export * from './black-box-model.js';
export * from './model-outputs.js';
export { loadModel as load, loadModel, loadTfjsModel, defaultEngine, ENGINES } from './load.js';
export type { LoadOptions, EngineChoice } from './load.js';
export { exportToOnnx, type OnnxExportSummary } from './export-onnx.js';
export { loadHttpModel, HttpModel, isModelServiceUrl, type HttpModelOptions } from './http-model.js';
export {
  serveModel,
  isLoopbackHost,
  type ModelServer,
  type ServeOptions,
  type ServerStats,
} from './model-server.js';
export { ModelServiceError } from './json-client.js';
export { fetchZooModel, zooModelStatuses } from './zoo-fetch.js';
export { zooNameOfFolder } from './zoo-folder.js';
export * from './photo-accuracy.js';
export type { ServiceInfo } from './service-protocol.js';
