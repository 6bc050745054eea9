import assert from 'node:assert/strict';
import { test } from 'node:test';
import { lineChartPng, lineChartSpec, lineChartSvg } from './plot.js';

const points = [
  { series: 'natural / pgd', x: 0, y: 0.9 },
  { series: 'natural / pgd', x: 0.1, y: 0.05 },
  { series: 'robust / pgd', x: 0, y: 0.85 },
  { series: 'robust / pgd', x: 0.1, y: 0.66 },
];

test('a line chart renders to SVG with its titles and legend, and to a PNG twice the size', async () => {
  const options = {
    title: 'robust accuracy',
    xTitle: 'epsilon',
    yTitle: 'accuracy',
    yDomain: [0, 1] as [number, number],
    yPercent: true,
    dashed: ['robust / pgd'],
  };
  const svg = await lineChartSvg(points, options);
  assert.match(svg, /^<svg/);
  for (const text of ['robust accuracy', 'epsilon', 'accuracy', 'natural / pgd', 'robust / pgd', '50%'])
    assert.ok(svg.includes(text), `SVG shows '${text}'`);
  assert.ok(svg.includes('stroke-dasharray'), 'the dashed series is dashed');
  const { png } = await lineChartPng(points, options, 2);
  assert.deepEqual([...png.subarray(1, 4)].map((c) => String.fromCharCode(c)).join(''), 'PNG');
  const svgWidth = Number(/width="([\d.]+)"/.exec(svg)?.[1]);
  assert.equal(png.readUInt32BE(16), Math.round(2 * svgWidth), 'PNG width is twice the SVG width');
  const spec = lineChartSpec(points, options) as { data: { values: unknown[] } };
  assert.equal(spec.data.values.length, 4);
});

test('a line chart refuses empty or non-finite data', async () => {
  await assert.rejects(lineChartSvg([], { xTitle: 'x', yTitle: 'y' }), /no points/);
  await assert.rejects(
    lineChartSvg([{ series: 'a', x: 0, y: NaN }], { xTitle: 'x', yTitle: 'y' }),
    /not finite/,
  );
});
