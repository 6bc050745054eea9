/**
 * onnxruntime-web's files as `advx ui` serves them to its page: the installed package's (an optional peer
 * dependency of advx, never copied into dist/ui), so that its script, emscripten glue and .wasm always
 * come from one version. Only the wasm build's three files are served.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { CatalogOnnxRuntime } from './catalog-types.js';

/** The URL folder (relative to the page) the files are served under. */
const ONNX_RUNTIME_ROUTE = 'onnxruntime-web/';

const SCRIPT = 'ort.wasm.min.mjs';
const FILES = [SCRIPT, 'ort-wasm-simd-threaded.mjs', 'ort-wasm-simd-threaded.wasm'];

export type OnnxRuntimeWebFiles =
  { found: true; runtime: CatalogOnnxRuntime; files: Map<string, string> } | { found: false; reason: string };

/** The installed onnxruntime-web's folder of built files, or undefined. */
function distFolder(): string | undefined {
  try {
    return dirname(createRequire(import.meta.url).resolve('onnxruntime-web/ort-wasm-simd-threaded.wasm'));
  } catch {
    return undefined;
  }
}

export function onnxRuntimeWebFiles(dist: string | undefined = distFolder()): OnnxRuntimeWebFiles {
  if (dist === undefined)
    return {
      found: false,
      reason:
        'onnxruntime-web is not installed (npm install onnxruntime-web beside advx runs ONNX models in the page)',
    };
  const missing = FILES.filter((f) => !existsSync(join(dist, f)));
  if (missing.length > 0)
    return { found: false, reason: `onnxruntime-web at ${dist} lacks ${missing.join(', ')}` };
  let version = 'unknown';
  try {
    version = String(
      (JSON.parse(readFileSync(join(dist, '..', 'package.json'), 'utf8')) as { version?: string }).version,
    );
  } catch {
    // the version is for display only
  }
  return {
    found: true,
    runtime: { version, script: ONNX_RUNTIME_ROUTE + SCRIPT, wasmPaths: ONNX_RUNTIME_ROUTE },
    files: new Map(FILES.map((f) => [ONNX_RUNTIME_ROUTE + f, join(dist, f)])),
  };
}
