/**
 * The page of `advx ui`: pick or drop a photo, a model (the zoo models the server has, and an ONNX one
 * when onnxruntime-web is installed), an attack and eps; tfjs (and onnxruntime-web for the ONNX model)
 * computes everything here. `?backend=wasm` (or webgpu, webgl, cpu) picks the tfjs backend; by default
 * the first of webgpu, webgl, wasm, cpu that starts.
 */
import wasm from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreaded from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import { attacks, engine, models, tf } from '../src/browser.js';
import type { Model } from '../src/browser.js';
import type { Catalog, CatalogModel } from '../src/ui-server/catalog-types.js';
import { attackPhoto, disposeResult } from './attack-photo.js';
import { startOnnxRuntime } from './onnx-runtime.js';
import { parseEpsilon } from './epsilon.js';
import { renderResult } from './render.js';

const byTestId = <T extends HTMLElement>(id: string): T => {
  const found = document.querySelector<T>(`[data-testid="${id}"]`);
  if (found === null) throw new Error(`page: [data-testid=${id}] is missing`);
  return found;
};

const form = document.querySelector<HTMLFormElement>('#controls') as HTMLFormElement;
const dropZone = document.querySelector<HTMLElement>('#drop-zone') as HTMLElement;
const imageInput = byTestId<HTMLInputElement>('image-input');
const modelSelect = byTestId<HTMLSelectElement>('model-select');
const attackSelect = byTestId<HTMLSelectElement>('attack-select');
const epsInput = byTestId<HTMLInputElement>('eps-input');
const seedInput = byTestId<HTMLInputElement>('seed-input');
const runButton = byTestId<HTMLButtonElement>('run-button');
const status = byTestId<HTMLElement>('status');

let photo: File | null = null;
const loaded = new Map<string, Promise<Model>>();

function setStatus(text: string, error = false): void {
  status.textContent = text;
  status.classList.toggle('error', error);
}

function option(value: string, text: string, title: string): HTMLOptionElement {
  return Object.assign(document.createElement('option'), { value, textContent: text, title });
}

const isOnnx = (entry: CatalogModel) => entry.url.endsWith('.onnx');

function showEngine(catalog: Catalog, backend: string, onnx: boolean): void {
  const ort = onnx ? ` and onnxruntime-web ${catalog.onnxRuntime?.version} (wasm)` : '';
  byTestId('engine').textContent = `tfjs ${backend} backend${ort}, in this page`;
}

async function loadEntry(catalog: Catalog, entry: CatalogModel): Promise<Model> {
  if (isOnnx(entry)) {
    await startOnnxRuntime(catalog.onnxRuntime);
    showEngine(catalog, tf.getBackend(), true);
  }
  return models.loadModel(entry.url, {
    name: entry.name,
    bounds: entry.bounds,
    preprocessing: entry.preprocessing,
    labels: entry.labels,
    outputOrder: entry.outputOrder,
    onProgress: (f) => setStatus(`loading ${entry.name}: ${Math.round(f * 100)}%`),
  });
}

function modelOf(catalog: Catalog, entry: CatalogModel): Promise<Model> {
  let model = loaded.get(entry.name);
  if (model === undefined) {
    model = loadEntry(catalog, entry);
    model.catch(() => loaded.delete(entry.name));
    loaded.set(entry.name, model);
  }
  return model;
}

async function run(catalog: Catalog): Promise<void> {
  if (photo === null) throw new Error('pick or drop a photo first');
  const entry = catalog.models.find((m) => m.name === modelSelect.value);
  if (entry === undefined) throw new Error(`unknown model '${modelSelect.value}'`);
  const eps = parseEpsilon(epsInput.value);
  const seed = Number(seedInput.value || '0');
  if (!Number.isInteger(seed) || seed < 0)
    throw new Error(`seed: expected an integer >= 0 (got ${seedInput.value})`);
  setStatus(`loading ${entry.name}`);
  const model = await modelOf(catalog, entry);
  setStatus(`attacking with ${attackSelect.value} at eps ${eps}`);
  const started = performance.now();
  const result = await attackPhoto(model, photo, { attack: attackSelect.value, eps, seed });
  try {
    renderResult(result, model.bounds);
  } finally {
    disposeResult(result);
  }
  byTestId('tensors').textContent = String(tf.memory().numTensors);
  console.info(
    `advx ui: ${entry.name} ${attackSelect.value} eps ${eps}: ${Math.round(performance.now() - started)} ms`,
  );
  setStatus('done');
}

function choosePhoto(file: File | undefined): void {
  if (file === undefined) return;
  photo = file;
  setStatus(`photo: ${file.name}`);
}

async function start(): Promise<void> {
  const params = new URLSearchParams(location.search);
  const backend = (params.get('backend') ?? undefined) as engine.BackendName | undefined;
  const used = await engine.initEngine({
    backend,
    wasmPaths: {
      'tfjs-backend-wasm.wasm': wasm,
      'tfjs-backend-wasm-simd.wasm': wasmSimd,
      'tfjs-backend-wasm-threaded-simd.wasm': wasmThreaded,
    },
  });
  const response = await fetch('models.json');
  if (!response.ok) throw new Error(`models.json: HTTP ${response.status}`);
  const catalog = (await response.json()) as Catalog;
  showEngine(catalog, used, false);
  modelSelect.replaceChildren(...catalog.models.map((m) => option(m.name, m.name, m.description)));
  modelSelect.value = catalog.defaultModel;
  attackSelect.replaceChildren(
    ...attacks.attackNames().map((name) => option(name, name, attacks.ATTACKS[name].description)),
  );
  attackSelect.value = 'fgsm';
  imageInput.addEventListener('change', () => choosePhoto(imageInput.files?.[0]));
  dropZone.addEventListener('dragover', (event) => {
    event.preventDefault();
    dropZone.classList.add('over');
  });
  dropZone.addEventListener('dragleave', () => dropZone.classList.remove('over'));
  dropZone.addEventListener('drop', (event) => {
    event.preventDefault();
    dropZone.classList.remove('over');
    choosePhoto(event.dataTransfer?.files[0]);
  });
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    runButton.disabled = true;
    run(catalog)
      .catch((error: Error) => setStatus(`error: ${error.message}`, true))
      .finally(() => (runButton.disabled = false));
  });
  runButton.disabled = false;
  setStatus('ready: pick or drop a photo');
}

start().catch((error: Error) => setStatus(`error: ${error.message}`, true));
