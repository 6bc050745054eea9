/**
 * Charts as SVG (vega-lite compiled to vega, rendered headless) and PNG (resvg). Generic: a line chart of
 * y against x with one coloured line (and point marks) per series. vega and vega-lite load on the first
 * chart drawn, not with the library (together ~1 s of start-up).
 */
import type * as vl from 'vega-lite';
import { SVG_FONT_FAMILY, svgToPng } from './svg-png.js';

export interface LinePoint {
  series: string;
  x: number;
  y: number;
}

export interface LineChartOptions {
  title?: string;
  xTitle: string;
  yTitle: string;
  /** Fixed y domain, e.g. [0, 1] for accuracies (default: from the data). */
  yDomain?: [number, number];
  /** Format the y axis as percentages. */
  yPercent?: boolean;
  width?: number;
  height?: number;
  /** Dash the lines of these series (e.g. transfer or adaptive attacks). */
  dashed?: readonly string[];
}

/** The vega-lite spec of a line chart (exposed for tests and for embedding in HTML reports). */
export function lineChartSpec(points: readonly LinePoint[], options: LineChartOptions): vl.TopLevelSpec {
  const dashed = new Set(options.dashed ?? []);
  const values = points.map((p) => ({ ...p, dash: dashed.has(p.series) ? 'dashed' : 'solid' }));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: options.title,
    width: options.width ?? 520,
    height: options.height ?? 320,
    data: { values },
    config: { font: SVG_FONT_FAMILY, legend: { labelLimit: 360 } },
    encoding: {
      x: { field: 'x', type: 'quantitative', title: options.xTitle },
      y: {
        field: 'y',
        type: 'quantitative',
        title: options.yTitle,
        scale: options.yDomain ? { domain: options.yDomain } : { zero: true },
        axis: options.yPercent ? { format: '.0%' } : {},
      },
      color: { field: 'series', type: 'nominal', title: null, legend: { orient: 'right' } },
      strokeDash: {
        field: 'dash',
        type: 'nominal',
        scale: {
          domain: ['solid', 'dashed'],
          range: [
            [1, 0],
            [6, 3],
          ],
        },
        legend: null,
      },
    },
    layer: [{ mark: { type: 'line', strokeWidth: 2 } }, { mark: { type: 'point', filled: true, size: 40 } }],
  } as vl.TopLevelSpec;
}

/** Renders a vega-lite spec to an SVG string (no browser, no canvas). */
export async function vegaLiteToSvg(spec: vl.TopLevelSpec): Promise<string> {
  const [vega, vegaLite] = await Promise.all([import('vega'), import('vega-lite')]);
  const view = new vega.View(vega.parse(vegaLite.compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

export async function lineChartSvg(points: readonly LinePoint[], options: LineChartOptions): Promise<string> {
  if (points.length === 0) throw new Error('lineChart: no points to plot');
  for (const p of points) {
    if (!Number.isFinite(p.x) || !Number.isFinite(p.y))
      throw new Error(`lineChart: point (${p.x}, ${p.y}) of ${p.series} is not finite`);
  }
  return vegaLiteToSvg(lineChartSpec(points, options));
}

/** The chart as PNG bytes (rendered at `scale` times the SVG size, default 2). */
export async function lineChartPng(
  points: readonly LinePoint[],
  options: LineChartOptions,
  scale = 2,
): Promise<{ svg: string; png: Buffer }> {
  return svgAndPng(await lineChartSvg(points, options), scale);
}

/** The SVG as it is and a PNG of it rendered `scale` times larger (for sharp charts in reports). */
export function svgAndPng(svg: string, scale = 2): { svg: string; png: Buffer } {
  const scaled =
    scale === 1
      ? svg
      : svg.replace(
          /<svg([^>]*?)width="([\d.]+)" height="([\d.]+)"/,
          (_, a, w, h) => `<svg${a}width="${Number(w) * scale}" height="${Number(h) * scale}"`,
        );
  return { svg, png: svgToPng(scaled) };
}
