/** Training loops and the small architectures advx trains itself. */
export {
  fashionMnistCnn,
  fashionMnistCnnWithWidths,
  FASHION_MNIST_CNN_LAYERS,
  EMBEDDED_CNN,
  type CnnWidths,
} from './architectures.js';
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
export { fashionMnistCnnWide, WIDE_CNN } from './wide-cnn.js';
export {
  trainGan,
  loadGenerator,
  latentCodes,
  sampleGridPng,
  discriminatorLoss,
  generatorLoss,
  type GanTrainOptions,
  type GanTrainResult,
  type GanEpochSummary,
  type GanProgress,
} from './gan.js';
export {
  dcganGenerator,
  dcganDiscriminator,
  generatorShape,
  DEFAULT_LATENT_DIM,
} from './gan-architecture.js';
export {
  saveCheckpoint,
  loadCheckpoint,
  hasCheckpoint,
  checkpointEpoch,
  removeCheckpoint,
  type Checkpoint,
  type CheckpointState,
} from './checkpoint.js';
export { resumeTraining, ResumeMismatchError, type ResumeTarget } from './resume.js';
export { openTrainingFolder, TrainingFolderError, type TrainingFolder } from './training-folder.js';
export {
  TrainingSession,
  type TrainingRun,
  type TrainingSessionOptions,
  type ResumePoint,
  type ModelRecord,
} from './training-session.js';
export {
  runGanTraining,
  ganTrainingCommandLine,
  type GanTrainingSettings,
  type GanTrainingObserver,
  type GanTrainingReport,
} from './gan-training.js';
export { loadInitialWeights } from './initial-weights.js';
