/** The options every model-using command shares: --model, --bounds, --preprocess (and --resize for photos). */
import type { Command } from 'commander';
import { asUsage, UsageError } from './errors.js';
import {
  parseBounds,
  parseChoice,
  parseInteger,
  parseNumber,
  parsePreprocess,
  parseResize,
} from './options.js';

export const LAYOUTS = ['NCHW', 'NHWC'] as const;
import { loadImagesFor } from '../data/images.js';
import { DEFAULT_MAX_PIXELS } from '../data/image-limits.js';
import type { Tensor4D } from '../engine/tf.js';
import type { Model } from '../models/model.js';
import { DEFAULT_MODEL, ZOO, zooNames } from '../models/zoo.js';
import { zooNameOfFolder } from '../models/zoo-folder.js';
import { note } from './notes.js';
import { ENGINES, loadModel } from '../models/load.js';
import { readLabelsFile } from '../models/onnx-file.js';
import { isModelServiceUrl, type HttpModelOptions } from '../models/http-model.js';

export interface ModelFlags {
  model: string;
  bounds?: string;
  preprocess?: string;
  /** --engine onnx|tfjs, --threads N, --layout NCHW|NHWC (ONNX files), --labels FILE. */
  engine?: string;
  threads?: string;
  layout?: string;
  labels?: string;
  /** --home DIR: the folder holding the zoo's shared models/ and data/ (else ADVX_HOME, ...). */
  home?: string;
  /** For a model service URL (advx serve): --max-qps, --timeout (seconds), --retries. */
  maxQps?: string;
  timeout?: string;
  retries?: string;
}

export function addModelOptions(command: Command): Command {
  return command
    .option(
      '-m, --model <M>',
      `zoo name (${zooNames().join(', ')}), a model.json path/URL, or a model service URL (advx serve)`,
      DEFAULT_MODEL,
    )
    .option('--bounds <LO,HI>', 'input bounds of a model given by path (default 0,1)')
    .option('--preprocess <P>', 'preprocessing of a model given by path: none|tf|caffe|torch')
    .option(
      '--home <DIR>',
      "folder holding the zoo's models/ and data/ (default: ADVX_HOME, else shared/ beside advx, else ~/.advx)",
    )
    .option('--engine <E>', 'onnx (ONNX Runtime, default) or tfjs (TensorFlow.js); env ADVX_ENGINE')
    .option('--threads <N>', 'ONNX Runtime threads (default: all cores)')
    .option(
      '--layout <L>',
      'input layout of an .onnx model: NCHW (PyTorch) or NHWC (Keras); default: from the graph',
    )
    .option('--labels <FILE>', 'class names, one per line (or a JSON array), for a model given by path')
    .option('--max-qps <N>', 'model service: at most N requests a second (default: no limit)')
    .option('--timeout <S>', 'model service: seconds to wait for each answer (default 30)')
    .option('--retries <N>', 'model service: retries after a connection error, 5xx or 429 (default 3)');
}

/** The HTTP model's options from --max-qps, --timeout and --retries (usage errors name the option). */
export function httpModelOptionsFromFlags(flags: ModelFlags): HttpModelOptions {
  const options: HttpModelOptions = {};
  if (flags.maxQps !== undefined) {
    options.maxQps = parseNumber(flags.maxQps, '--max-qps');
    if (!(options.maxQps > 0)) throw new UsageError(`--max-qps: must be > 0 (got ${flags.maxQps})`);
  }
  if (flags.timeout !== undefined) {
    const seconds = parseNumber(flags.timeout, '--timeout');
    if (!(seconds > 0)) throw new UsageError(`--timeout: must be > 0 seconds (got ${flags.timeout})`);
    options.timeoutMs = seconds * 1000;
  }
  if (flags.retries !== undefined) options.retries = parseInteger(flags.retries, '--retries', 0);
  return options;
}

/** True when `spec` names a zoo model (`name`, or `name=PATH` for one whose files the user supplies). */
function isZooSpec(spec: string): boolean {
  if (ZOO[spec] !== undefined) return true;
  const eq = spec.indexOf('=');
  return eq > 0 && ZOO[spec.slice(0, eq)]?.env !== undefined;
}

/** What a zoo model given by name or by its folder's path is, for the note (undefined: not a zoo model). */
function zooModelOf(flags: ModelFlags): string | undefined {
  if (isZooSpec(flags.model)) return `${flags.model} is a zoo model`;
  if (isModelServiceUrl(flags.model) || /^https?:\/\//i.test(flags.model)) return undefined;
  const name = zooNameOfFolder(flags.model, flags.home);
  return name === undefined ? undefined : `${flags.model} is zoo model ${name}`;
}

/**
 * --bounds, --preprocess and --labels describe a model given by path; a zoo model and a model service
 * state their own, so these options are ignored there: a note says so (notes.ts).
 */
function noteIgnoredModelOptions(flags: ModelFlags): void {
  const zoo = zooModelOf(flags);
  const what =
    zoo !== undefined
      ? `${zoo} with its own`
      : isModelServiceUrl(flags.model)
        ? 'a model service states its own'
        : undefined;
  if (what === undefined) return;
  for (const [flag, given, property] of [
    ['--bounds', flags.bounds, 'bounds'],
    ['--preprocess', flags.preprocess, 'preprocessing'],
    ['--labels', flags.labels, 'class names'],
  ] as const) {
    if (given !== undefined) note(`${flag} is ignored: ${what} ${property}`);
  }
}

/** Loads --model; any failure to load (bad file, bad URL, service unreachable) is a usage error (exit 2). */
export function loadModelFromFlags(flags: ModelFlags): Promise<Model> {
  return asUsage<Model>(() => {
    noteIgnoredModelOptions(flags);
    const serviceOnly = [
      flags.maxQps && '--max-qps',
      flags.timeout && '--timeout',
      flags.retries && '--retries',
    ];
    const misplaced = serviceOnly.find((option) => typeof option === 'string');
    if (misplaced && !isModelServiceUrl(flags.model))
      throw new UsageError(`${misplaced} applies to a model service URL only (--model http://...)`);
    return loadModel(flags.model, {
      http: isModelServiceUrl(flags.model) ? httpModelOptionsFromFlags(flags) : undefined,
      bounds: flags.bounds === undefined ? undefined : parseBounds(flags.bounds),
      preprocess: flags.preprocess === undefined ? undefined : parsePreprocess(flags.preprocess),
      engine: flags.engine === undefined ? undefined : parseChoice(flags.engine, '--engine', ENGINES),
      threads: flags.threads === undefined ? undefined : parseInteger(flags.threads, '--threads', 1),
      layout:
        flags.layout === undefined ? undefined : parseChoice(flags.layout.toUpperCase(), '--layout', LAYOUTS),
      labels: flags.labels === undefined ? undefined : readLabelsFile(flags.labels),
      home: flags.home,
    });
  });
}

export interface ResizeFlags {
  resize?: string;
  /** --max-pixels N: images declaring more pixels are refused before decoding. */
  maxPixels?: string;
}

/** `--resize crop|stretch|keras` and `--max-pixels N`, for commands that load photos. */
export function addResizeOption(command: Command): Command {
  return command
    .option(
      '--resize <MODE>',
      'how photos are fitted to the model input: crop (scale, centre crop; default for photo models), ' +
        "stretch (whole photo, antialiased), keras (whole photo, PIL nearest as Keras' load_img: the book's)",
    )
    .option(
      '--max-pixels <N>',
      `refuse images of more pixels, checked before decoding (default ${DEFAULT_MAX_PIXELS / 1e6}M; e.g. 100M or 1e8)`,
    );
}

/** `--max-pixels`: a positive integer, `e` notation or an `M` (million) suffix allowed. */
export function parseMaxPixels(text: string): number {
  const m = /^\s*([0-9.e+]+)\s*(m|mp)?\s*$/i.exec(text);
  const value = m === null ? NaN : parseNumber(m[1], '--max-pixels') * (m[2] === undefined ? 1 : 1e6);
  if (!Number.isSafeInteger(value) || value < 1)
    throw new UsageError(
      `--max-pixels: give a positive whole number of pixels, e.g. 50000000 or 50M (got ${text})`,
    );
  return value;
}

/** Loads image files for `model`, fitted as `--resize` says; bad files or options are usage errors. */
export function loadImagesFromFlags(files: string[], model: Model, flags: ResizeFlags): Promise<Tensor4D> {
  return asUsage(() =>
    loadImagesFor(files, model, {
      fit: flags.resize === undefined ? undefined : parseResize(flags.resize),
      maxPixels: flags.maxPixels === undefined ? undefined : parseMaxPixels(flags.maxPixels),
    }),
  );
}
