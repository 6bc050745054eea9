/**
 * The transferability experiment as `advx experiment transfer` runs it: loads the data set's split,
 * checks the sample and substitute counts against it and opens the output folder (all before any
 * training: `prepareTransferRun`), then trains, crafts and evaluates (transfer.ts) and writes
 * `transfer-<dataset>.{csv,json,png}` (transfer-writers.ts) in the folder (`run()`).
 */
import { join } from 'node:path';
import { writePngFile } from '../data/png.js';
import { AdvxError, isAdvxError } from '../errors.js';
import { writeTextFile } from './csv.js';
import { openExperimentFolder } from './experiment-folder.js';
import {
  loadTransferData,
  transferExperiment,
  type TransferDataset,
  type TransferExperimentOptions,
  type TransferExperimentResult,
  type TransferProgress,
} from './transfer.js';
import { transferCsv, transferFiles, transferHeatmap, transferJson } from './transfer-writers.js';

/** Test images attacked when the request names no count (or the whole test split when smaller). */
export const DEFAULT_TRANSFER_SAMPLES = 500;

export interface TransferRunRequest {
  dataset: TransferDataset;
  /** Training images (default: loadTransferData's). */
  trainSize?: number;
  /** Test images attacked (default: 500, or the whole test split when smaller). */
  samples?: number;
  options: Omit<TransferExperimentOptions, 'samples' | 'onProgress'>;
  /** Output folder (default: a new folder under advx-out/). */
  out?: string;
  /** Overwrite the experiment's files in `out`. */
  force?: boolean;
  /** How messages name the counts (default 'samples', 'train size', 'substitute seeds'). */
  optionNames?: { samples?: string; trainSize?: string; substituteSeeds?: string };
}

/** The paths of the files a run writes. */
export interface TransferRunFiles {
  csv: string;
  json: string;
  png: string;
}

export interface TransferRun {
  result: TransferExperimentResult;
  files: TransferRunFiles;
}

/** A run checked and its folder opened (and locked); `run()` does the work and releases it. */
export interface PreparedTransferRun {
  readonly samples: number;
  readonly files: TransferRunFiles;
  run(onProgress?: (progress: TransferProgress) => void): Promise<TransferRun>;
}

export async function prepareTransferRun(request: TransferRunRequest): Promise<PreparedTransferRun> {
  const { dataset, options } = request;
  const names = {
    samples: 'samples',
    trainSize: 'train size',
    substituteSeeds: 'substitute seeds',
    ...request.optionNames,
  };
  const data = loadData(request, names.trainSize);
  const samples = request.samples ?? Math.min(DEFAULT_TRANSFER_SAMPLES, data.test.count);
  if (samples > data.test.count)
    throw new AdvxError(
      'bad-option',
      `${names.samples}: ${samples} asked, the ${dataset} test split has ${data.test.count} images`,
      { option: names.samples },
    );
  const seeds = options.substitute?.seeds ?? 0;
  if ((options.models ?? []).some((m) => m === 'knn' || m === 'ens') && seeds > data.train.count)
    throw new AdvxError(
      'bad-option',
      `${names.substituteSeeds}: ${seeds} asked, the ${dataset} training split has ${data.train.count} images`,
      { option: names.substituteSeeds },
    );
  const fileNames = transferFiles(dataset);
  const place = openExperimentFolder(
    request.out,
    `transfer-${dataset}`,
    [fileNames.csv, fileNames.json, fileNames.png],
    request.force,
  );
  const files = {
    csv: join(place.shown, fileNames.csv),
    json: join(place.shown, fileNames.json),
    png: join(place.shown, fileNames.png),
  };
  return {
    samples,
    files,
    async run(onProgress) {
      try {
        const result = await transferExperiment(data, { ...options, samples, onProgress });
        writeTextFile(files.csv, transferCsv(result), { overwrite: true });
        writeTextFile(files.json, transferJson(result), { overwrite: true });
        writePngFile(files.png, (await transferHeatmap(result)).png, { overwrite: true });
        return { result, files };
      } finally {
        place.release();
      }
    },
  };
}

/** The data set's split; a bad train size is named as the caller names it. */
function loadData(request: TransferRunRequest, trainSizeName: string) {
  try {
    return loadTransferData(request.dataset, {
      trainSize: request.trainSize,
      seed: request.options.seed,
    });
  } catch (error) {
    const message = (error as Error).message;
    if (!isAdvxError(error) || !/^transfer: train size /.test(message)) throw error;
    throw new AdvxError('bad-option', `${trainSizeName}: ${message.replace(/^transfer: train size /, '')}`, {
      option: trainSizeName,
      cause: error,
    });
  }
}
