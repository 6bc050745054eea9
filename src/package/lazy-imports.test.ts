/**
 * Plotting (vega, vega-lite) and PNG rendering of SVG (the native @resvg/resvg-js) load when a chart or
 * panel is drawn, not with the library: `import 'advx'` leaves them out of the process, and drawing a
 * chart brings them in (so the check would see them if they were imported eagerly).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { packageRoot } from '../data/locations.js';
import { loadedPackages, packageOfUrl } from './loaded-packages.js';

const LAZY = ['vega', 'vega-lite', '@resvg/resvg-js'];
const INDEX = join(packageRoot, 'dist', 'index.js');

test('packageOfUrl names the innermost package of a module URL', () => {
  assert.equal(packageOfUrl('file:///a/node_modules/vega/build/vega.js'), 'vega');
  assert.equal(packageOfUrl('file:///a/node_modules/@resvg/resvg-js/index.js'), '@resvg/resvg-js');
  assert.equal(packageOfUrl('file:///a/node_modules/x/node_modules/d3-geo/src/a.js'), 'd3-geo');
  assert.equal(packageOfUrl('file:///a/dist/index.js'), undefined);
});

test("import 'advx' loads neither vega, vega-lite nor resvg", () => {
  const run = loadedPackages(
    ['--input-type=module', '-e', `await import(${JSON.stringify(INDEX)}); console.log('imported')`],
    packageRoot,
  );
  assert.equal(run.status, 0);
  assert.equal(run.stdout.trim(), 'imported');
  assert.ok(run.packages.has('@tensorflow/tfjs-core'), 'the recorder saw the library load tfjs');
  assert.deepEqual(
    LAZY.filter((name) => run.packages.has(name)),
    [],
  );
});

test('drawing a chart as PNG loads them', () => {
  const script = [
    `const { report } = await import(${JSON.stringify(INDEX)});`,
    "const points = [{ series: 'a', x: 0, y: 1 }, { series: 'a', x: 1, y: 0.5 }];",
    "const { png } = await report.lineChartPng(points, { xTitle: 'eps', yTitle: 'accuracy' });",
    'console.log(png.subarray(1, 4).toString());',
  ].join('\n');
  const run = loadedPackages(['--input-type=module', '-e', script], packageRoot);
  assert.equal(run.status, 0);
  assert.equal(run.stdout.trim(), 'PNG');
  assert.deepEqual(
    LAZY.filter((name) => !run.packages.has(name)),
    [],
  );
});
