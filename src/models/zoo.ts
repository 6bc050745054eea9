/**
 * Named models: the embedded default, the ImageNet models and MNIST models of the shared folder.
 * All take pixels in [0,1]; each entry knows its network's own preprocessing and class order.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DIGIT_CLASSES, FASHION_MNIST_CLASSES } from '../data/datasets.js';
import { embeddedModelsDir, sharedModelsDir } from '../data/locations.js';
import { imagenetLabels, outputOrderFromWnids } from './labels.js';
import { namedPreprocessing, type Preprocessing } from './preprocessing.js';

export interface ZooEntry {
  description: string;
  /** Folder with model.json, or null when the user must give one. */
  dir: () => string;
  preprocessing: Preprocessing;
  labels: () => readonly string[];
  outputOrder?: () => readonly number[];
  dataset: 'imagenet' | 'fashion-mnist' | 'mnist';
}

export const DEFAULT_MODEL = 'fashion-mnist-cnn';

const mnist = (folder: string, description: string): ZooEntry => ({
  description,
  dir: () => join(sharedModelsDir(), folder),
  preprocessing: {},
  labels: () => DIGIT_CLASSES,
  dataset: 'mnist',
});

export const ZOO: Record<string, ZooEntry> = {
  'fashion-mnist-cnn': {
    description: 'embedded default: small CNN trained by `advx train` on Fashion-MNIST (28x28x1)',
    dir: () => join(embeddedModelsDir(), 'fashion-mnist-cnn'),
    preprocessing: {},
    labels: () => FASHION_MNIST_CLASSES,
    dataset: 'fashion-mnist',
  },
  'mobilenet-v1-0.75': {
    description: 'ImageNet MobileNet v1 alpha 0.75, 224x224 (inputs scaled to [-1,1])',
    dir: () => join(sharedModelsDir(), 'mobilenet_v1_0.75_224'),
    preprocessing: namedPreprocessing('tf', [0, 1]),
    labels: imagenetLabels,
    dataset: 'imagenet',
  },
  'darknet-tiny': {
    description: 'ImageNet Darknet tiny, 224x224 (inputs in [0,1], Darknet class order remapped)',
    dir: () => join(sharedModelsDir(), 'darknet-tiny-imagenet'),
    preprocessing: {},
    labels: imagenetLabels,
    outputOrder: () => {
      const file = join(sharedModelsDir(), 'darknet-tiny-imagenet', 'labels_darknet_order_wnids.txt');
      const wnids = readFileSync(file, 'utf8').split('\n').map((l) => l.trim().split(/\s+/)[0]).filter((w) => w !== '');
      return outputOrderFromWnids(wnids.slice(0, 1000));
    },
    dataset: 'imagenet',
  },
  'mnist-cnn': mnist('mnist-cnn', 'MNIST CNN (Kolter/Madry tutorial), standard training'),
  'mnist-cnn-robust': mnist('mnist-cnn-robust', 'MNIST CNN, PGD adversarially trained (eps 0.1)'),
  'mnist-dnn-2': mnist('mnist-dnn-2', 'MNIST 2-layer MLP'),
  'mnist-dnn-4': mnist('mnist-dnn-4', 'MNIST 4-layer MLP'),
};

export function zooNames(): string[] {
  return Object.keys(ZOO);
}
