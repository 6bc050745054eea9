/**
 * onnxruntime-web for the page, started on first use of an ONNX model: its script, glue and .wasm come
 * from where `advx ui` serves the installed package (models.json says where), never from dist/ui.
 */
import { engine } from '../src/browser.js';
import type { CatalogOnnxRuntime } from '../src/ui-server/catalog-types.js';

let started: Promise<void> | null = null;

export function startOnnxRuntime(runtime: CatalogOnnxRuntime | undefined): Promise<void> {
  if (runtime === undefined)
    return Promise.reject(
      new Error(
        'ONNX models need onnxruntime-web, which is not installed beside advx (npm install onnxruntime-web)',
      ),
    );
  started ??= (async () => {
    const script = new URL(runtime.script, location.href).href;
    const ort = (await import(/* @vite-ignore */ script)) as engine.OnnxRuntime;
    engine.useOnnxRuntime(ort, { wasmPaths: new URL(runtime.wasmPaths, location.href).href });
  })();
  started.catch(() => (started = null));
  return started;
}
