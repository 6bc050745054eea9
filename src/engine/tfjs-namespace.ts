/**
 * The TensorFlow.js API advx uses, assembled from the pieces it needs (core, layers, converter) rather than
 * the `@tensorflow/tfjs` umbrella: those pieces are peer dependencies, so an application shares one tfjs
 * with advx, and a Node install does not carry webgl or tfjs-data.
 */
export * from '@tensorflow/tfjs-core';
export * from '@tensorflow/tfjs-layers';
export * from '@tensorflow/tfjs-converter';
