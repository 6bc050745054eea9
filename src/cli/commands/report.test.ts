/**
 * `advx report` end to end with small options: the HTML renders in headless Chromium with no console
 * errors, no network requests, every section present with its command, every image decoded; a
 * screenshot is kept (ADVX_REPORT_SCREENSHOT=path to choose where).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { PNG } from 'pngjs';
import { sharedDataDir } from '../../data/locations.js';
import { exitCodeOf } from '../errors.js';
import { CHAPTER_SECTIONS as REPORT_SECTIONS } from '../../report/sections/chapter-sections.js';
import { REPORT_DEFAULTS, reportAction, type ReportFlags } from './report.js';

const work = mkdtempSync(join(tmpdir(), 'advx-report-'));
after(() => rmSync(work, { recursive: true, force: true }));
const GOLDFISH = join(sharedDataDir(), 'imagenet-sample-images', 'n01443537_goldfish.JPEG');

const SMALL: Partial<ReportFlags> = {
  models: ['mobilenet-v1-0.75'],
  epsSearch: '1/255:4/255:1/255',
  bisect: '2',
  mu: '60:180:120',
  sigma: '20:60:40',
  samples: '1',
  top: '3',
  gridImages: '2',
  pgdMu: '100',
  pgdSigma: '40',
  pgdSteps: '2',
  transferImages: '2',
};
const flags = (over: Partial<ReportFlags>): ReportFlags => ({ ...REPORT_DEFAULTS, ...SMALL, ...over });

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

test('advx report writes one self-contained HTML file that renders in Chromium with every section', async () => {
  const file = join(work, 'report.html');
  let out = '';
  let err = '';
  const result = await reportAction(GOLDFISH, flags({ out: file }), {
    out: (s) => (out += s),
    err: (s) => (err += s),
  });
  assert.deepEqual(
    result.sections.map((s) => [s.id, s.ok, s.error]),
    REPORT_SECTIONS.map((s) => [s.id, true, undefined]),
  );
  // progress while it runs: one line per step, with timings
  for (let k = 1; k <= REPORT_SECTIONS.length + 1; k++)
    assert.match(err, new RegExp(`advx report: \\[${k}/${REPORT_SECTIONS.length + 1}\\] `));
  assert.match(err, /done in \d+\.\d s/);
  assert.match(out, /report\.html \(\d+ KiB, 6 sections\) in \d+ s/);

  const html = readFileSync(file, 'utf8');
  assert.doesNotMatch(html, /<script/i, 'no scripts');
  assert.doesNotMatch(html, /(src|href)="(https?:)?\/\//i, 'no external resources');
  assert.match(html, /<img class="pixelated" src="data:image\/png;base64,/);
  assert.match(
    html,
    /<pre class="command"><code>advx experiment noise-sweep --model mobilenet-v1-0.75 --mu 60:180:120/,
  );

  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  try {
    const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
    const problems: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('request', (r) => {
      if (!/^(file|data):/.test(r.url())) problems.push(`request: ${r.url()}`);
    });
    await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
    const sections = await page.$$eval('section', (nodes) =>
      nodes.map((n) => ({
        id: n.id,
        title: n.querySelector('h2')?.textContent ?? '',
        command: n.querySelector('pre.command')?.textContent ?? '',
        height: (n as HTMLElement).offsetHeight,
        notes: n.querySelectorAll('.note').length,
      })),
    );
    assert.deepEqual(
      sections.map((s) => [s.id, s.title]),
      REPORT_SECTIONS.map((s) => [s.id, s.title]),
    );
    for (const s of sections) {
      assert.match(s.command, /^advx (predict|attack|experiment) /, `${s.id} shows its command`);
      assert.ok(s.height > 80, `${s.id} is rendered (${s.height} px)`);
      assert.equal(s.notes, 0, `${s.id} has no failure note`);
    }
    const images = await page.$$eval('img', (nodes) =>
      nodes.map((n) => (n as HTMLImageElement).naturalWidth),
    );
    assert.ok(images.length >= 1 + 2 + 6, `${images.length} images`);
    assert.ok(
      images.every((w) => w > 0),
      'every image decodes',
    );
    const charts = await page.$$eval('figure.chart svg', (nodes) =>
      nodes.map((n) => n.getBoundingClientRect().width),
    );
    assert.equal(charts.length, 3, 'noise confidence, top classes, transfer heatmap');
    assert.ok(charts.every((w) => w > 100));
    assert.deepEqual(problems, []);
    const shot = process.env.ADVX_REPORT_SCREENSHOT ?? join(work, 'report.png');
    await page.screenshot({ path: shot, fullPage: true });
    const png = PNG.sync.read(readFileSync(shot));
    assert.ok(
      png.width >= 1000 && png.height > 2000 && statSync(shot).size > 50_000,
      `${png.width}x${png.height}`,
    );
  } finally {
    await browser.close();
  }
});

test('advx report: bad options fail at once with a usage error; an existing report needs --force', async () => {
  const cases: [Partial<ReportFlags>, RegExp][] = [
    [{ epsSearch: '0:4/255:1/255' }, /--eps-search: epsilons must be in \(0, 1\]/],
    [{ pairs: 'both' }, /--pairs/],
    [{ pgdSteps: '0' }, /--pgd-steps/],
    [{ transferAttack: 'nope' }, /unknown attack 'nope'/],
    [{ out: work }, /is a folder/],
  ];
  for (const [over, message] of cases) {
    await assert.rejects(
      reportAction(GOLDFISH, flags({ out: join(work, 'bad.html'), ...over }), {
        out: () => undefined,
        err: () => undefined,
      }),
      (e: Error) => exitCodeOf(e) === 2 && message.test(e.message),
    );
  }
  await assert.rejects(
    reportAction(join(work, 'missing.jpg'), flags({ out: join(work, 'x.html') })),
    /missing.jpg: no such file/,
  );
  await assert.rejects(
    reportAction(GOLDFISH, flags({ out: join(work, 'report.html') })),
    /report.html exists; refusing to overwrite it/,
  );
});
