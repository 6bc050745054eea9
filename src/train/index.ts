/** Training loops and the small architectures advx trains itself. */
export { fashionMnistCnn, FASHION_MNIST_CNN_LAYERS } from './architectures.js';
export {
  trainClassifier,
  trainStep,
  evaluateAccuracy,
  meanCrossEntropy,
  weightGradients,
  gatherImages,
  type TrainOptions,
  type TrainResult,
  type TrainData,
  type TrainProgress,
  type EpochSummary,
  type MakeBatch,
} from './train-classifier.js';
