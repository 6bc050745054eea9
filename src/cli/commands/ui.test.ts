/**
 * `advx ui` end to end in headless Chromium: the page attacks a photo with tfjs IN THE PAGE (wasm
 * backend: there is no GPU here) and agrees with the same attack run in this Node process on the tfjs
 * engine (wasm too): same clean and adversarial top-1, and the downloaded adversarial PNG holds the same
 * pixels. The ONNX export of the embedded CNN runs in the page on onnxruntime-web (wasm) and agrees with
 * Node's onnxruntime-node for FGSM and seeded PGD. ADVX_UPDATE_DOCS=1 also saves the page after the
 * MobileNet run as docs/ui-screenshot.png.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { packageRoot, sharedDataDir } from '../../data/locations.js';
import type { UiServer } from '../../ui-server/serve-ui.js';
import { assertAgree, attackInNode, type AttackChoice, type PageRun } from '../ui-agreement-testing.js';
import { uiAction } from './ui.js';

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
const BOOT = join(packageRoot, 'examples', 'fashion-mnist', '0-ankle-boot.png');
const PULLOVER = join(packageRoot, 'examples', 'fashion-mnist', '1-pullover.png');
const TENT = join(sharedDataDir(), 'imagenet-sample-images', 'n03792972_mountain_tent.JPEG');

const profile = mkdtempSync(join(tmpdir(), 'advx-ui-chromium-'));
let server: UiServer;
let stopServer: () => void = () => undefined;
let served: Promise<void> = Promise.resolve();
let context: BrowserContext;
let page: Page;
const problems: string[] = [];
let printed = '';

before(async () => {
  server = await new Promise<UiServer>((resolve, reject) => {
    served = uiAction(
      { port: '0', host: '127.0.0.1' },
      {
        out: (s) => (printed += s),
        err: () => undefined,
        until: new Promise<void>((stop) => (stopServer = stop)),
        onListening: resolve,
      },
    );
    served.catch(reject);
  });
  context = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    args: CHROMIUM_ARGS,
    viewport: { width: 1000, height: 720 },
  });
  page = context.pages()[0] ?? (await context.newPage());
  const origin = new URL(server.url).origin;
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('response', (r) => {
    if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`);
  });
  page.on('request', (r) => {
    if (!r.url().startsWith(origin) && !r.url().startsWith('data:')) problems.push(`request: ${r.url()}`);
  });
  await page.goto(`${server.url}?backend=wasm`);
  await page.waitForFunction(
    () => /^(ready|error)/.test(document.querySelector('[data-testid="status"]')?.textContent ?? ''),
    null,
    { timeout: 60_000 },
  );
});

after(async () => {
  await context?.close();
  stopServer();
  await served;
  rmSync(profile, { recursive: true, force: true });
});

/** `name p` as the page shows a prediction. */
function parsePrediction(text: string | null): { name: string; p: number } {
  const match = /^(.+) (\d\.\d{4})$/.exec(text ?? '');
  assert.ok(match !== null, `a prediction 'name p', got '${text}'`);
  return { name: match[1], p: Number(match[2]) };
}

async function attackInPage(
  file: string,
  model: string,
  eps: string,
  { attack = 'fgsm', seed = 0 }: AttackChoice = {},
): Promise<PageRun> {
  await page.setInputFiles('[data-testid="image-input"]', file);
  await page.selectOption('[data-testid="model-select"]', model);
  await page.selectOption('[data-testid="attack-select"]', attack);
  await page.fill('[data-testid="eps-input"]', eps);
  await page.fill('[data-testid="seed-input"]', String(seed));
  await page.click('[data-testid="run-button"]');
  await page.waitForFunction(
    () => /^(done|error)/.test(document.querySelector('[data-testid="status"]')?.textContent ?? ''),
    null,
    { timeout: 180_000 },
  );
  assert.equal(await page.textContent('[data-testid="status"]'), 'done');
  const href = (await page.getAttribute('[data-testid="download-link"]', 'href')) ?? '';
  assert.match(href, /^data:image\/png;base64,/);
  return {
    clean: parsePrediction(await page.textContent('[data-testid="clean-top1"]')),
    adversarial: parsePrediction(await page.textContent('[data-testid="adv-top1"]')),
    png: Buffer.from(href.slice(href.indexOf(',') + 1), 'base64'),
  };
}

test('advx ui prints its URL and the page runs tfjs on the wasm backend', async () => {
  assert.match(printed, /^advx ui: the page is at http:\/\/127\.0\.0\.1:\d+\/ \(models: fashion-mnist-cnn, /);
  assert.match(
    printed,
    / fashion-mnist-cnn\.onnx, /,
    'the ONNX export is offered (onnxruntime-web is installed)',
  );
  assert.equal(await page.textContent('[data-testid="engine"]'), 'tfjs wasm backend, in this page');
  const values = (selector: string) =>
    page.$$eval(`[data-testid="${selector}"] option`, (options) =>
      options.map((o) => (o as HTMLOptionElement).value),
    );
  assert.ok((await values('model-select')).includes('mobilenet-v1-0.75'));
  assert.ok((await values('attack-select')).includes('fgsm'));
});

test('FGSM eps 0.1 on a Fashion-MNIST example with the embedded CNN: the page agrees with Node', async (t) => {
  const inPage = await attackInPage(BOOT, 'fashion-mnist-cnn', '0.1');
  const inNode = await attackInNode(BOOT, 'fashion-mnist-cnn', 0.1);
  assertAgree(t, inPage, inNode, 'fashion-mnist-cnn');
  assert.notEqual(
    inNode.adversarial.name,
    inNode.clean.name,
    'the attack succeeds (a meaningful comparison)',
  );
  assert.deepEqual(problems, []);
});

test('FGSM eps 2/255 on the tent photo with MobileNet: the page agrees with Node', async (t) => {
  const inPage = await attackInPage(TENT, 'mobilenet-v1-0.75', '2/255');
  const inNode = await attackInNode(TENT, 'mobilenet-v1-0.75', 2 / 255);
  assertAgree(t, inPage, inNode, 'mobilenet-v1-0.75');
  assert.equal(inNode.clean.name, 'mountain_tent');
  assert.deepEqual(problems, []);
  if (process.env.ADVX_UPDATE_DOCS === '1')
    await page.screenshot({ path: join(packageRoot, 'docs', 'ui-screenshot.png'), fullPage: true });
});

test('the ONNX export of the embedded CNN runs in the page on onnxruntime-web and agrees with onnxruntime-node', async (t) => {
  const onnx = 'fashion-mnist-cnn.onnx';
  const runs: [string, string, AttackChoice][] = [
    [BOOT, '0.1', { attack: 'fgsm', seed: 0 }],
    [PULLOVER, '0.05', { attack: 'linf-pgd', seed: 7 }],
  ];
  for (const [file, eps, choice] of runs) {
    const inPage = await attackInPage(file, onnx, eps, choice);
    const inNode = await attackInNode(file, 'fashion-mnist-cnn', Number(eps), { ...choice, engine: 'onnx' });
    assertAgree(t, inPage, inNode, `${onnx} ${choice.attack} seed ${choice.seed}`);
    assert.notEqual(
      inNode.adversarial.name,
      inNode.clean.name,
      'the attack succeeds (a meaningful comparison)',
    );
  }
  assert.match(
    (await page.textContent('[data-testid="engine"]')) ?? '',
    /^tfjs wasm backend and onnxruntime-web \d+\.\d+\.\d+ \(wasm\), in this page$/,
  );
  assert.deepEqual(problems, []);
});

test('a file that is not an image is a one-line error in the status line', async () => {
  await page.setInputFiles('[data-testid="image-input"]', {
    name: 'notes.txt',
    mimeType: 'text/plain',
    buffer: Buffer.from('not an image'),
  });
  await page.selectOption('[data-testid="model-select"]', 'fashion-mnist-cnn');
  await page.click('[data-testid="run-button"]');
  await page.waitForFunction(
    () => /^error/.test(document.querySelector('[data-testid="status"]')?.textContent ?? ''),
    null,
    { timeout: 30_000 },
  );
  assert.match(
    (await page.textContent('[data-testid="status"]')) ?? '',
    /^error: notes\.txt: cannot decode this image \([^\n]+\)$/,
  );
});
