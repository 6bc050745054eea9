/**
 * What `advx ui` tells its page about the models it serves (`GET models.json`) and about onnxruntime-web.
 * Types only: the page (ui/) and the server (catalog.ts, onnx-models.ts) share them.
 */
import type { Preprocessing } from '../models/preprocessing.js';

export interface CatalogModel {
  /** The zoo name (`NAME.onnx` for a zoo model's ONNX export). */
  name: string;
  description: string;
  /** The model.json or .onnx file, relative to the page. */
  url: string;
  bounds: [number, number];
  preprocessing: Preprocessing;
  labels: string[];
  /** Canonical class j is network output outputOrder[j] (absent: the network's order). */
  outputOrder?: number[];
}

/** Where the page loads onnxruntime-web from (absent: not installed, no ONNX model is served). */
export interface CatalogOnnxRuntime {
  version: string;
  /** Its ES module script, relative to the page. */
  script: string;
  /** The folder of its .wasm and .mjs files, relative to the page (its `env.wasm.wasmPaths`). */
  wasmPaths: string;
}

export interface Catalog {
  models: CatalogModel[];
  /** The model the page selects first. */
  defaultModel: string;
  onnxRuntime?: CatalogOnnxRuntime;
}
