export * from './model.js';
export * from './preprocessing.js';
export * from './tfjs-model.js';
export * from './model-files.js';
export * from './download.js';
export * from './labels.js';
export * from './zoo.js';
export { loadModel as load, loadModel } from './load.js';
export type { LoadOptions } from './load.js';
