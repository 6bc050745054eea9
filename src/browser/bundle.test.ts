/**
 * The browser entry bundles for the browser with no Node-only module: esbuild, platform browser, fails
 * on any Node built-in (node:fs, zlib...) or native addon a module imports. Checked on the compiled entry
 * and on `import ... from 'advx'` resolved through package.json's `browser` export condition; the Node
 * entry, bundled the same way, must fail (the check can fail).
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { build, type BuildResult, type Message } from 'esbuild';
import { packageRoot } from '../data/locations.js';

const work = mkdtempSync(join(tmpdir(), 'advx-bundle-'));
after(() => rmSync(work, { recursive: true, force: true }));

/** Node-only packages that must never reach the browser bundle. */
const NODE_ONLY = /node_modules\/(onnxruntime-node|pngjs|@resvg|vega|vega-lite|commander|cli-progress)\//;

async function bundle(entry: string, workingDir = packageRoot): Promise<BuildResult<{ metafile: true }>> {
  return build({
    entryPoints: [entry],
    absWorkingDir: workingDir,
    bundle: true,
    platform: 'browser',
    format: 'esm',
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
}

const errorsOf = (error: unknown): Message[] => (error as { errors?: Message[] }).errors ?? [];

function nodeOnlyInputs(result: BuildResult<{ metafile: true }>): string[] {
  return Object.keys(result.metafile.inputs).filter((path) => NODE_ONLY.test(path));
}

test('the browser entry bundles for the browser with no Node-only module', async () => {
  const result = await bundle(join(packageRoot, 'dist', 'browser.js'));
  assert.deepEqual(result.errors, []);
  assert.deepEqual(nodeOnlyInputs(result), []);
  const inputs = Object.keys(result.metafile.inputs);
  for (const part of [
    'dist/attacks/index.js',
    'dist/browser/load-model.js',
    'dist/browser/images.js',
    'dist/browser/load-onnx-model.js',
    'dist/engine/onnx/gradient-model.js',
    'dist/engine/onnx/wasm-session-host.js',
  ])
    assert.ok(inputs.includes(part), `${part} is in the bundle`);
  assert.ok(
    !inputs.some((p) => p.includes('node_modules/onnxruntime-web/')),
    "onnxruntime-web is not bundled with advx: it is the page's own import",
  );
  assert.ok(
    inputs.some((p) => p.includes('@tensorflow/tfjs-backend-webgpu/')),
    'the webgpu backend is in the bundle',
  );
});

test("`import { attacks, criteria, models, engine, images } from 'advx'` picks the browser entry", async () => {
  // A project with advx installed (a link to this package), bundled for the browser.
  const project = join(work, 'app');
  mkdirSync(join(project, 'node_modules'), { recursive: true });
  symlinkSync(packageRoot, join(project, 'node_modules', 'advx'), 'dir');
  writeFileSync(
    join(project, 'main.js'),
    "import { attacks, criteria, distances, engine, images, models } from 'advx';\n" +
      'console.log(attacks.FGSM, criteria, distances, engine.initEngine, images.fromBlob, models.loadModel);\n',
  );
  const result = await bundle(join(project, 'main.js'), project);
  assert.deepEqual(result.errors, []);
  assert.deepEqual(nodeOnlyInputs(result), []);
  assert.ok(Object.keys(result.metafile.inputs).some((p) => p.endsWith('dist/browser.js')));
});

test("a page with onnxruntime-web (`import * as ort from 'onnxruntime-web/wasm'`) bundles for the browser", async () => {
  const project = join(work, 'onnx-app');
  mkdirSync(join(project, 'node_modules'), { recursive: true });
  symlinkSync(packageRoot, join(project, 'node_modules', 'advx'), 'dir');
  symlinkSync(
    join(packageRoot, 'node_modules', 'onnxruntime-web'),
    join(project, 'node_modules', 'onnxruntime-web'),
    'dir',
  );
  writeFileSync(
    join(project, 'main.js'),
    "import * as ort from 'onnxruntime-web/wasm';\n" +
      "import { engine, models } from 'advx';\n" +
      "engine.useOnnxRuntime(ort, { wasmPaths: '/ort/' });\n" +
      "console.log(await models.loadModel('/m/model.onnx'));\n",
  );
  const result = await bundle(join(project, 'main.js'), project);
  assert.deepEqual(result.errors, []);
  assert.deepEqual(nodeOnlyInputs(result), []);
  const inputs = Object.keys(result.metafile.inputs);
  assert.ok(
    inputs.some((p) => p.includes('onnxruntime-web/dist/')),
    "onnxruntime-web's browser build is in",
  );
});

test('the Node entry does not bundle for the browser: the check catches Node imports', async () => {
  let errors: Message[] = [];
  try {
    await bundle(join(packageRoot, 'dist', 'index.js'));
  } catch (error) {
    errors = errorsOf(error);
  }
  const texts = errors.map((e) => e.text).join('\n');
  assert.ok(errors.length > 0, 'bundling the Node entry fails');
  assert.match(texts, /node:fs/);
});
