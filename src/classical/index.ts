/**
 * Classical classifiers and non-differentiable attacks for the transferability experiment (Papernot,
 * McDaniel & Goodfellow 2016): every trained classifier is a `Model` plus a plain-array fast path.
 */
export {
  SCORE_FLOOR,
  ScoreClassifier,
  TensorClassifier,
  agreement,
  argmaxRows,
  batchRows,
  checkBatch,
  checkRows,
  numFeaturesOf,
  rowAccuracy,
  type Classifier,
  type ClassifierSpec,
  type Predictor,
} from './classifier.js';
export { checkLabelled, selectRows, sliceRows, subsample, type LabelledRows } from './rows.js';
export { DEFAULT_DIGITS_FILE, digitsFile, loadDigits, parseDigitsCsv } from './digits.js';
export { crossEntropy, fitAdam, glorotUniform, l2Penalty, type BatchLoss, type FitOptions } from './fit.js';
export { LinearClassifier } from './linear-model.js';
export type { LinearOptions } from './linear-training.js';
export { trainLogisticRegression, type LogisticRegressionOptions } from './logistic-regression.js';
export { oneVsRestHinge, trainLinearSvm, type LinearSvmOptions } from './linear-svm.js';
export {
  DecisionTree,
  trainDecisionTree,
  type DecisionTreeJson,
  type DecisionTreeOptions,
  type TreeStructure,
} from './decision-tree.js';
export { KnnClassifier, trainKnn, type KnnOptions } from './knn.js';
export { Ensemble, type EnsembleMode, type EnsembleOptions } from './ensemble.js';
export { MlpClassifier, trainMlp, type DenseLayer, type MlpOptions } from './mlp.js';
export {
  treeAttack,
  type TreeAttackMetric,
  type TreeAttackOptions,
  type TreeAttackResult,
} from './tree-attack.js';
export {
  jacobianSigns,
  trainSubstitute,
  type SubstituteOptions,
  type SubstituteResult,
  type SubstituteRound,
  type SubstituteSeedSet,
} from './substitute.js';
export {
  transferMatrix,
  type TransferMatrix,
  type TransferOptions,
  type TransferSource,
  type TransferTarget,
} from './transfer.js';
