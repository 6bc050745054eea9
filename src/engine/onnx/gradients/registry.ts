/** The ops advx can differentiate, each with its gradient rule. */
import {
  clipGradient,
  leakyReluGradient,
  logSoftmaxGradient,
  reluGradient,
  sigmoidGradient,
  softmaxGradient,
  tanhGradient,
} from './activations.js';
import {
  addGradient,
  divGradient,
  mulGradient,
  negGradient,
  subGradient,
  sumGradient,
} from './arithmetic.js';
import { batchNormGradient } from './batch-norm.js';
import { convGradient } from './conv.js';
import type { GradientRule } from './gradient-context.js';
import { gemmGradient, matMulGradient } from './linear.js';
import {
  averagePoolGradient,
  globalAveragePoolGradient,
  maxPoolGradient,
  reduceMeanGradient,
} from './pooling.js';
import {
  castGradient,
  concatGradient,
  gatherGradient,
  identityGradient,
  padGradient,
  reshapeGradient,
  transposeGradient,
} from './shape-ops.js';

export const GRADIENT_RULES: Readonly<Record<string, GradientRule>> = {
  Conv: convGradient,
  BatchNormalization: batchNormGradient,
  Relu: reluGradient,
  Clip: clipGradient,
  LeakyRelu: leakyReluGradient,
  Sigmoid: sigmoidGradient,
  Tanh: tanhGradient,
  Softmax: softmaxGradient,
  LogSoftmax: logSoftmaxGradient,
  MaxPool: maxPoolGradient,
  AveragePool: averagePoolGradient,
  GlobalAveragePool: globalAveragePoolGradient,
  ReduceMean: reduceMeanGradient,
  Gemm: gemmGradient,
  MatMul: matMulGradient,
  Add: addGradient,
  Sub: subGradient,
  Mul: mulGradient,
  Div: divGradient,
  Sum: sumGradient,
  Neg: negGradient,
  Flatten: reshapeGradient,
  Reshape: reshapeGradient,
  Squeeze: reshapeGradient,
  Unsqueeze: reshapeGradient,
  Transpose: transposeGradient,
  Concat: concatGradient,
  Pad: padGradient,
  Gather: gatherGradient,
  Identity: identityGradient,
  Dropout: identityGradient,
  Cast: castGradient,
};
