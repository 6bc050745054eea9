/**
 * An ONNX classifier on ONNX Runtime as an advx `Model`. The user's graph becomes advx's canonical
 * classifier graph (NHWC pixels in bounds -> preprocessing -> the network -> logits; a final softmax
 * dropped), run by one forward session; input gradients come from generated gradient graphs (one session
 * per loss kind, built on first use) that compute logits, loss and gradient in a single run. Tensors cross
 * between ONNX Runtime and tfjs as Float32Arrays.
 */
import { tf, type Tensor1D, type Tensor2D, type Tensor4D } from '../engine/tf.js';
import { classifierGraph, LOGITS, PIXELS, type InputLayout } from '../engine/onnx/classifier-graph.js';
import { GRADIENT, gradientModel, LOSS } from '../engine/onnx/gradient-model.js';
import { encodeModel, valueInfoDims, type onnx } from '../engine/onnx/proto.js';
import { createSession, runSession, type Session, type TensorData } from '../engine/onnx/session.js';
import { checkLoss, type Loss, type LossKind } from './loss.js';
import type { Bounds, LossGradient, Model } from './model.js';
import type { Preprocessing } from './preprocessing.js';

export interface OnnxModelOptions {
  name: string;
  bounds?: Bounds;
  preprocessing?: Preprocessing;
  /** The network's input layout (NCHW from PyTorch, NHWC from Keras). */
  layout: InputLayout;
  /** [H, W, C] when the network's spatial input dims are symbolic. */
  inputSize?: readonly [number, number, number];
  labels?: readonly string[];
  /** Canonical class j is network output outputOrder[j]. */
  outputOrder?: readonly number[];
  /** ONNX Runtime intra-op threads (default: all cores). */
  threads?: number;
}

/** Default thread count: every core the page or process may use (Node's loader passes its own count). */
export function defaultThreads(): number {
  return (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency ?? 1;
}

const int64 = (values: readonly number[]) => new BigInt64Array(values.map((v) => BigInt(v)));

/** The graph inputs of a loss (see src/engine/onnx/loss-head.ts). */
function lossFeeds(loss: Loss, batch: number, numClasses: number): Record<string, TensorData> {
  switch (loss.kind) {
    case 'crossentropy':
    case 'margin':
      return {
        labels: { data: int64(loss.labels), dims: [batch] },
        sign: { data: new Float32Array([loss.targeted ? -1 : 1]), dims: [1] },
      };
    case 'dlr':
      return { labels: { data: int64(loss.labels), dims: [batch] } };
    case 'dlr-targeted':
      return {
        labels: { data: int64(loss.labels), dims: [batch] },
        targets: { data: int64(loss.targets), dims: [batch] },
      };
    case 'logits':
      return { weights: { data: loss.weights, dims: [batch, numClasses] } };
  }
}

export class OnnxModel implements Model {
  readonly engine = 'onnx';
  readonly differentiable = true;
  readonly name: string;
  readonly bounds: Bounds;
  readonly inputShape: readonly [number, number, number];
  readonly numClasses: number;
  readonly labels: readonly string[];
  readonly threads: number;
  private readonly gradientSessions = new Map<LossKind, Promise<Session>>();
  private disposed = false;

  private constructor(
    private readonly classifier: onnx.ModelProto,
    private readonly forwardSession: Session,
    options: OnnxModelOptions,
    inputShape: readonly [number, number, number],
    numClasses: number,
    threads: number,
  ) {
    this.name = options.name;
    this.bounds = options.bounds ?? [0, 1];
    this.inputShape = inputShape;
    this.numClasses = numClasses;
    this.threads = threads;
    this.labels = options.labels ?? Array.from({ length: numClasses }, (_, i) => String(i));
    if (this.labels.length !== numClasses)
      throw new Error(`model ${this.name}: ${this.labels.length} labels for ${numClasses} outputs`);
  }

  /** Wraps a forward ONNX graph (decoded, external data inlined). */
  static async create(network: onnx.IModelProto, options: OnnxModelOptions): Promise<OnnxModel> {
    const bounds = options.bounds ?? [0, 1];
    if (!(bounds[0] < bounds[1])) throw new Error(`bounds must be LO,HI with LO < HI (got ${bounds})`);
    const threads = options.threads ?? defaultThreads();
    if (!Number.isInteger(threads) || threads < 1)
      throw new Error(`threads must be an integer >= 1 (got ${options.threads})`);
    const classifier = classifierGraph(network, {
      preprocessing: options.preprocessing,
      layout: options.layout,
      outputOrder: options.outputOrder,
      inputSize: options.inputSize,
    });
    const pixels = (classifier.graph?.input ?? []).find((i) => i.name === PIXELS);
    const dims = pixels === undefined ? [] : valueInfoDims(pixels);
    const inputShape = dims.slice(1) as [number, number, number];
    if (dims.length !== 4 || inputShape.some((d) => !(d > 0))) {
      throw new Error(
        `model ${options.name}: needs a fixed image size (input dims [${dims.join(',')}]); give --input-size H,W,C`,
      );
    }
    const session = await createSession(encodeModel(classifier), { threads }, `model ${options.name}`);
    const probe = await runSession(
      session,
      {
        [PIXELS]: {
          data: new Float32Array(inputShape[0] * inputShape[1] * inputShape[2]).fill(bounds[0]),
          dims: [1, ...inputShape],
        },
      },
      [LOGITS],
    );
    const k = probe[LOGITS].dims[probe[LOGITS].dims.length - 1];
    if (probe[LOGITS].dims.length !== 2 || !(k >= 2)) {
      await session.release();
      throw new Error(
        `model ${options.name}: output [${probe[LOGITS].dims.join(',')}] is not class scores [N,K]`,
      );
    }
    return new OnnxModel(classifier, session, options, inputShape, k, threads);
  }

  private checkBatch(x: Tensor4D): void {
    if (this.disposed) throw new Error(`model ${this.name} has been disposed`);
    const shape = x.shape.slice(1).join(',');
    if (x.rank !== 4 || shape !== this.inputShape.join(','))
      throw new Error(
        `model ${this.name}: inputs [${x.shape}] do not match [N,${this.inputShape.join(',')}]`,
      );
  }

  private pixels(x: Tensor4D): Record<string, TensorData> {
    return { [PIXELS]: { data: x.dataSync() as Float32Array, dims: x.shape } };
  }

  async logits(x: Tensor4D): Promise<Tensor2D> {
    this.checkBatch(x);
    const out = await runSession(this.forwardSession, this.pixels(x), [LOGITS]);
    return tf.tensor2d(out[LOGITS].data, [x.shape[0], this.numClasses]);
  }

  private gradientSession(kind: LossKind): Promise<Session> {
    let session = this.gradientSessions.get(kind);
    if (session === undefined) {
      session = (async () => {
        const graph = gradientModel(this.classifier, kind);
        return createSession(encodeModel(graph), { threads: this.threads }, `model ${this.name} (gradient)`);
      })();
      // A failed build is not cached: the next call reports the error again.
      session.catch(() => this.gradientSessions.delete(kind));
      this.gradientSessions.set(kind, session);
    }
    return session;
  }

  async lossGradient(x: Tensor4D, loss: Loss): Promise<LossGradient> {
    this.checkBatch(x);
    const n = x.shape[0];
    checkLoss(loss, n, this.numClasses);
    const session = await this.gradientSession(loss.kind);
    const out = await runSession(session, { ...this.pixels(x), ...lossFeeds(loss, n, this.numClasses) }, [
      LOGITS,
      LOSS,
      GRADIENT,
    ]);
    return {
      gradient: tf.tensor4d(out[GRADIENT].data, x.shape as [number, number, number, number]),
      logits: tf.tensor2d(out[LOGITS].data, [n, this.numClasses]),
      loss: tf.tensor1d(out[LOSS].data) as Tensor1D,
    };
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    void this.forwardSession.release();
    for (const session of this.gradientSessions.values())
      session.then((s) => s.release()).catch(() => undefined);
    this.gradientSessions.clear();
  }
}
