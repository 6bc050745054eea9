/**
 * Sessions on ONNX Runtime's CPU execution provider (onnxruntime-node): `threads` intra-op threads,
 * inter-op 1, and the optimized model written out when asked.
 */
import { COMMON_SESSION_OPTIONS, type OnnxRuntime, type SessionHost } from './session-host.js';

export function cpuSessionHost(runtime: OnnxRuntime): SessionHost {
  return {
    runtime,
    sessionOptions: ({ threads, optimizedModelPath }) => ({
      ...COMMON_SESSION_OPTIONS,
      executionProviders: ['cpu'],
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      ...(optimizedModelPath === undefined ? {} : { optimizedModelFilePath: optimizedModelPath }),
    }),
  };
}
