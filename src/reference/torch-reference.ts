/**
 * PyTorch as the reference for advx's own gradients: runs `scripts/torch_reference.py` (an ONNX graph
 * interpreted with torch ops, differentiated by torch autograd) on Debian's python3-torch, for tests and
 * benchmarks. Never a runtime dependency of advx.
 *
 * ```ts
 * if (torchAvailable()) {
 *   const torch = await torchLogitsAndGradient('model.onnx', x, [8, 3, 224, 224], labels);
 *   console.log(maxRelativeError(ours, torch.gradient)); // fails above 1e-4
 * }
 * ```
 *
 * The input goes to the graph's one data input as is (NCHW for torch exports); the graph's first output
 * must be logits [N, K]. The interpreter computes in float64 by default.
 */
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../data/locations.js';
import type { Loss } from '../models/loss.js';

/** The Python that has torch: `ADVX_TORCH_PYTHON`, else Debian's /usr/bin/python3 (not a pyenv one). */
export function torchPython(): string {
  const fromEnv = process.env.ADVX_TORCH_PYTHON;
  return fromEnv !== undefined && fromEnv !== '' ? fromEnv : '/usr/bin/python3';
}

export const TORCH_REFERENCE_SCRIPT = join(packageRoot, 'scripts', 'torch_reference.py');

export interface TorchVersions {
  torch: string;
  onnx: string;
  numpy: string;
}

const versionsByPython = new Map<string, TorchVersions | null>();

/** torch, onnx and numpy versions of the reference's Python, or null when it cannot run the script. */
export function torchReferenceVersions(python = torchPython()): TorchVersions | null {
  if (!versionsByPython.has(python)) {
    const r = spawnSync(python, [TORCH_REFERENCE_SCRIPT, '--version'], {
      encoding: 'utf8',
      timeout: 120_000,
    });
    let versions: TorchVersions | null = null;
    if (r.status === 0) {
      try {
        versions = JSON.parse(r.stdout) as TorchVersions;
      } catch {
        versions = null;
      }
    }
    versionsByPython.set(python, versions);
  }
  return versionsByPython.get(python) ?? null;
}

/** Whether PyTorch and the onnx package are there to serve as the reference. */
export function torchAvailable(python = torchPython()): boolean {
  return torchReferenceVersions(python) !== null;
}

export interface TorchRunOptions {
  /** torch threads (default: torch's own choice). */
  threads?: number;
  /** Kill the Python process after this long (default 10 minutes). */
  timeoutMs?: number;
  /** The Python to run (default `torchPython()`). */
  python?: string;
}

export interface TorchReferenceOptions extends TorchRunOptions {
  /** The interpreter's compute precision (default float64: every float, weights included, in double). */
  dtype?: 'float64' | 'float32';
  /** [N, K] row-major: also returns `weightsGradient` = d sum(w * z) / dx. */
  logitWeights?: Float32Array;
}

/** One question for the reference: the arguments of `torchLogitsAndGradient`. */
export interface TorchReferenceCall {
  /** An .onnx path or its bytes. */
  model: string | Uint8Array;
  /** The input, in the graph's own layout. */
  x: Float32Array;
  shape: readonly number[];
  /** Labels (untargeted cross-entropy) or any loss of src/models/loss.ts. */
  loss: readonly number[] | Loss;
  dtype?: 'float64' | 'float32';
  logitWeights?: Float32Array;
}

export interface TorchReference {
  /** [N, K] row-major. */
  logits: Float32Array;
  numClasses: number;
  /** d(sum over the batch of the loss)/dx, shaped like x. */
  gradient: Float32Array;
  /** The loss per input (float64 values from torch). */
  loss: number[];
  /** d sum(w * z) / dx for `logitWeights`. */
  weightsGradient?: Float32Array;
  /** PyTorch's version, e.g. 1.13.0a0. */
  torch: string;
}

interface Summary {
  torch: string;
  output: { shape: [number, number] };
  loss: { values: number[] } | null;
  logitWeights: { values: number[] } | null;
  files: { logits: string; gradient: string | null; logitWeightsGradient: string | null };
}

/** The script's options for a loss (labels alone = untargeted cross-entropy, as foolbox does). */
function lossArguments(loss: readonly number[] | Loss): { args: string[]; weights?: Float32Array } {
  const list = (values: readonly number[]) => values.join(',');
  if (Array.isArray(loss)) return { args: ['--labels', list(loss as readonly number[])] };
  const l = loss as Loss;
  switch (l.kind) {
    case 'crossentropy':
    case 'margin':
      return { args: ['--loss', l.kind, '--labels', list(l.labels), ...(l.targeted ? ['--targeted'] : [])] };
    case 'dlr':
      return { args: ['--loss', 'dlr', '--labels', list(l.labels)] };
    case 'dlr-targeted':
      return { args: ['--loss', 'dlr-targeted', '--labels', list(l.labels), '--targets', list(l.targets)] };
    case 'logits':
      return { args: [], weights: l.weights };
  }
}

function runScript(python: string, args: string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      python,
      [TORCH_REFERENCE_SCRIPT, ...args],
      { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, timeout: timeoutMs },
      (error, stdout, stderr) => {
        if (error === null) {
          resolve(stdout);
          return;
        }
        const said = stderr
          .trim()
          .split('\n')
          .filter((line) => line !== '');
        const line = said.find((l) => l.startsWith('torch_reference: ')) ?? said.pop();
        const why =
          (error as NodeJS.ErrnoException).code === 'ENOENT'
            ? `${python} not found (apt-get install python3-torch python3-onnx)`
            : error.killed
              ? `killed after ${timeoutMs} ms`
              : (line ?? error.message);
        reject(new Error(why.startsWith('torch_reference: ') ? why : `torch_reference: ${why}`));
      },
    );
  });
}

function readFloats(file: string): Float32Array {
  const bytes = readFileSync(file);
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}

function f32Bytes(values: Float32Array): Uint8Array {
  return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
}

/** The script's arguments for one call, its input files written into `dir`; an Error for a bad call. */
function jobArguments(
  call: TorchReferenceCall,
  index: number,
  dir: string,
  modelPath: (model: string | Uint8Array) => string,
  options: TorchRunOptions,
): string[] | Error {
  const { x, shape } = call;
  const size = shape.reduce((a, b) => a * b, 1);
  if (shape.length === 0 || shape.some((d) => !Number.isInteger(d) || d < 1) || size !== x.length) {
    return new Error(`torch_reference: x has ${x.length} values, shape [${shape}] needs ${size}`);
  }
  const { args: lossArgs, weights: lossWeights } = lossArguments(call.loss);
  if (lossWeights !== undefined && call.logitWeights !== undefined) {
    return new Error("torch_reference: a 'logits' loss and logitWeights both ask for the weights gradient");
  }
  const input = join(dir, `x-${index}.f32`);
  writeFileSync(input, f32Bytes(x));
  const args = [
    modelPath(call.model),
    '--input',
    input,
    '--shape',
    shape.join(','),
    '--out',
    join(dir, `out-${index}`),
  ];
  args.push(...lossArgs, '--dtype', call.dtype ?? 'float64');
  const weights = lossWeights ?? call.logitWeights;
  if (weights !== undefined) {
    writeFileSync(join(dir, `w-${index}.f32`), f32Bytes(weights));
    args.push('--logit-weights', join(dir, `w-${index}.f32`));
  }
  if (options.threads !== undefined) args.push('--threads', String(options.threads));
  return args;
}

function referenceOf(call: TorchReferenceCall, summary: Summary): TorchReference {
  const weightsGradient =
    summary.files.logitWeightsGradient === null ? undefined : readFloats(summary.files.logitWeightsGradient);
  const fromWeights = !Array.isArray(call.loss) && (call.loss as Loss).kind === 'logits';
  const gradient = fromWeights ? weightsGradient : readFloats(summary.files.gradient ?? '');
  return {
    logits: readFloats(summary.files.logits),
    numClasses: summary.output.shape[1],
    gradient: gradient as Float32Array,
    loss: (fromWeights ? summary.logitWeights?.values : summary.loss?.values) ?? [],
    ...(fromWeights || weightsGradient === undefined ? {} : { weightsGradient }),
    torch: summary.torch,
  };
}

/**
 * Many questions in one Python process (importing torch takes seconds): each answer, or an Error with
 * one line for a call with bad input (shape, label, model, unknown op). Rejects only when the reference
 * cannot run at all.
 */
export async function torchReferenceBatch(
  calls: readonly TorchReferenceCall[],
  options: TorchRunOptions = {},
): Promise<(TorchReference | Error)[]> {
  const dir = mkdtempSync(join(tmpdir(), 'advx-torch-'));
  try {
    const written = new Map<Uint8Array, string>();
    const modelPath = (model: string | Uint8Array) => {
      if (typeof model === 'string') return model;
      if (!written.has(model)) {
        written.set(model, join(dir, `model-${written.size}.onnx`));
        writeFileSync(written.get(model) as string, model);
      }
      return written.get(model) as string;
    };
    const jobs = calls.map((call, i) => jobArguments(call, i, dir, modelPath, options));
    const sent = jobs.filter((job): job is string[] => !(job instanceof Error));
    let answers: (Summary | { error: string })[] = [];
    if (sent.length > 0) {
      writeFileSync(join(dir, 'jobs.json'), JSON.stringify(sent));
      const args = ['--batch', join(dir, 'jobs.json')];
      const stdout = await runScript(options.python ?? torchPython(), args, options.timeoutMs ?? 600_000);
      answers = JSON.parse(stdout) as (Summary | { error: string })[];
    }
    let next = 0;
    return jobs.map((job, i) => {
      if (job instanceof Error) return job;
      const answer = answers[next++];
      return 'error' in answer ? new Error(answer.error) : referenceOf(calls[i], answer);
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * PyTorch's logits for `x` (shaped `shape`, in the graph's own layout) and the input gradient of the
 * summed loss: `labels` alone mean untargeted cross-entropy; a `Loss` of src/models/loss.ts picks another
 * (for kind 'logits' the gradient is that of sum(w * z)). Rejects with a one-line error for a bad model,
 * shape, label, or an op the interpreter does not know.
 */
export async function torchLogitsAndGradient(
  model: string | Uint8Array,
  x: Float32Array,
  shape: readonly number[],
  labels: readonly number[] | Loss,
  options: TorchReferenceOptions = {},
): Promise<TorchReference> {
  const { dtype, logitWeights, ...run } = options;
  const [answer] = await torchReferenceBatch([{ model, x, shape, loss: labels, dtype, logitWeights }], run);
  if (answer instanceof Error) throw answer;
  return answer;
}
