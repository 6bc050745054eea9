/**
 * advx in the browser (the `browser` condition of the package's exports): attacks, criteria, distances,
 * the model seam with `models.loadModel(url)`, the engine (webgpu, webgl, wasm or cpu) and images from
 * browser sources. Nothing here imports a Node module.
 *
 * ```ts
 * import { attacks, engine, images, models } from 'advx';
 * await engine.initEngine({ backend: 'wasm', wasmPaths: '/tfjs-wasm/' }); // or webgpu, webgl, cpu; default: first that starts
 * const model = await models.loadModel('/models/mobilenet/model.json', { preprocessing: 'tf', labels });
 * const x = await images.fromBlob(fileInput.files[0], model); // [1,H,W,C] in model.bounds
 * const y = await models.predictLabels(model, x);
 * const { clipped, success } = await new attacks.FGSM().run(model, x, y, { epsilons: 2 / 255 });
 * const png = images.toPngDataUrl(clipped, model.bounds);
 * ```
 *
 * ONNX models run on onnxruntime-web (an optional peer dependency: `npm install onnxruntime-web`), wasm
 * provider, with the gradient graphs advx generates in Node too:
 *
 * ```ts
 * import * as ort from 'onnxruntime-web/wasm';
 * engine.useOnnxRuntime(ort, { wasmPaths: '/ort/' }); // where its .wasm/.mjs files are served; default: its own
 * const onnxModel = await models.loadModel('/models/classifier.onnx', { labels });
 * ```
 */
export * as engine from './browser/engine.js';
export * as models from './browser/models.js';
export * as attacks from './attacks/index.js';
export * as criteria from './criteria/index.js';
export * as distances from './distances/index.js';
export * as images from './browser/images.js';
export { tf } from './engine/tf.js';
export { AdvxError, isAdvxError, type AdvxErrorCode, type AdvxErrorDetails } from './errors.js';
export { LIMITS } from './limits.js';
export type { Model, Bounds, Prediction } from './models/model.js';
export type { Criterion } from './criteria/index.js';
export type { Attack, AttackResult, AttackResults, RunOptions } from './attacks/index.js';
