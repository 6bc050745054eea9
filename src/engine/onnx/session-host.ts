/**
 * What advx needs of an ONNX Runtime, and the small interface that makes sessions on one: a `SessionHost`
 * holds the runtime module (its `Tensor` and `InferenceSession`, onnxruntime-common's API, the same in
 * onnxruntime-node and onnxruntime-web) and creates sessions with that runtime's execution provider and
 * thread settings (cpu-session-host.ts in Node, wasm-session-host.ts in the browser).
 */
import type * as OnnxRuntimeNode from 'onnxruntime-node';

/** What advx needs of an ONNX Runtime module. */
export type OnnxRuntime = Pick<typeof OnnxRuntimeNode, 'InferenceSession' | 'Tensor'>;

export type Session = OnnxRuntimeNode.InferenceSession;

export type OrtSessionOptions = OnnxRuntimeNode.InferenceSession.SessionOptions;

/** Settings every session is created with (checked by session.ts). */
export interface SessionSettings {
  /** Intra-op threads (a host whose threads are set elsewhere ignores it). */
  threads: number;
  /** Write the model ORT actually runs here (hosts with a file system only). */
  optimizedModelPath?: string;
}

/** One ONNX Runtime and how advx makes sessions on it. */
export interface SessionHost {
  readonly runtime: OnnxRuntime;
  /** The options of `InferenceSession.create` for these settings. */
  sessionOptions(settings: SessionSettings): OrtSessionOptions;
}

/** Options every host shares: one model at a time on its threads, every graph optimization on. */
export const COMMON_SESSION_OPTIONS: OrtSessionOptions = {
  executionMode: 'sequential',
  graphOptimizationLevel: 'all',
};

/** Refuses anything that is not an ONNX Runtime module, with one line. */
export function checkOnnxRuntime(runtime: unknown, where: string): asserts runtime is OnnxRuntime {
  const candidate = runtime as Partial<OnnxRuntime> | null | undefined;
  if (typeof candidate?.InferenceSession?.create !== 'function' || typeof candidate.Tensor !== 'function')
    throw new Error(`${where}: expected an ONNX Runtime module (with InferenceSession and Tensor)`);
}
