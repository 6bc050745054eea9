/** The tfjs layer classes the ONNX exporter writes, each with its converter. */
import {
  convertActivation,
  convertElu,
  convertLeakyRelu,
  convertRelu,
  convertSoftmax,
} from './export-tfjs-activations.js';
import {
  convertConv2d,
  convertConv2dTranspose,
  convertDepthwiseConv2d,
  convertSeparableConv2d,
} from './export-tfjs-convolution.js';
import {
  convertBatchNormalization,
  convertDense,
  convertFlatten,
  convertIdentity,
  convertRescaling,
  convertReshape,
  convertZeroPadding2d,
} from './export-tfjs-core-layers.js';
import type { Value } from './export-tfjs-graph.js';
import { UnsupportedLayerError, type LayerCall } from './export-tfjs-layer-call.js';
import {
  convertAdd,
  convertAverage,
  convertConcatenate,
  convertMaximum,
  convertMinimum,
  convertMultiply,
} from './export-tfjs-merge.js';
import {
  convertAveragePooling2d,
  convertGlobalAveragePooling2d,
  convertGlobalMaxPooling2d,
  convertMaxPooling2d,
} from './export-tfjs-pooling.js';

/** Writes one call of a layer into the graph and returns its output value. */
export type LayerConverter = (call: LayerCall) => Value;

const CONVERTERS: Record<string, LayerConverter> = {
  Conv2D: convertConv2d,
  DepthwiseConv2D: convertDepthwiseConv2d,
  SeparableConv2D: convertSeparableConv2d,
  Conv2DTranspose: convertConv2dTranspose,
  Dense: convertDense,
  BatchNormalization: convertBatchNormalization,
  Activation: convertActivation,
  ReLU: convertRelu,
  LeakyReLU: convertLeakyRelu,
  ELU: convertElu,
  Softmax: convertSoftmax,
  MaxPooling2D: convertMaxPooling2d,
  AveragePooling2D: convertAveragePooling2d,
  GlobalAveragePooling2D: convertGlobalAveragePooling2d,
  GlobalMaxPooling2D: convertGlobalMaxPooling2d,
  Flatten: convertFlatten,
  Reshape: convertReshape,
  ZeroPadding2D: convertZeroPadding2d,
  Rescaling: convertRescaling,
  Dropout: convertIdentity,
  SpatialDropout1D: convertIdentity,
  SpatialDropout2D: convertIdentity,
  GaussianNoise: convertIdentity,
  GaussianDropout: convertIdentity,
  AlphaDropout: convertIdentity,
  Add: convertAdd,
  Multiply: convertMultiply,
  Average: convertAverage,
  Maximum: convertMaximum,
  Minimum: convertMinimum,
  Concatenate: convertConcatenate,
};

/** Class names of the layers the exporter supports. */
export function supportedLayerClasses(): string[] {
  return Object.keys(CONVERTERS).sort();
}

/** Writes `call` into its graph; an unsupported layer class is an UnsupportedLayerError naming it. */
export function convertLayer(call: LayerCall): Value {
  const converter = CONVERTERS[call.className];
  if (converter === undefined) throw new UnsupportedLayerError(call);
  return converter(call);
}
