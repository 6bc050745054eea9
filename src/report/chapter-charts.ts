/**
 * The report's charts, as vega-lite specs rendered to SVG by the plotting module: top-1 confidence on
 * noise against (mu, sigma), the most frequent top-1 classes on noise, and the transfer matrix heatmap.
 */
import type * as vl from 'vega-lite';
import { vegaLiteToSvg } from './plot.js';
import { SVG_FONT_FAMILY } from './svg-png.js';

export interface NoiseChartPoint {
  model: string;
  mu: number;
  sigma: number;
  /** Top-1 probability. */
  p: number;
  /** Top-1 class name. */
  top1: string;
}

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v5.json';
const CONFIG = { font: SVG_FONT_FAMILY, legend: { labelLimit: 300 }, axis: { labelLimit: 240 } };

/**
 * Zip sweeps (mu and sigma move together): top-1 probability of every noise image against sigma, one
 * colour per model. Grid sweeps: mean top-1 probability over the (mu, sigma) plane, one heatmap per model.
 */
export function noiseConfidenceSpec(
  points: readonly NoiseChartPoint[],
  pairs: 'zip' | 'grid',
): vl.TopLevelSpec {
  if (pairs === 'grid') {
    return {
      $schema: SCHEMA,
      title: 'Mean top-1 probability on Gaussian noise',
      data: { values: points.map((p) => ({ ...p })) },
      config: CONFIG,
      facet: { column: { field: 'model', type: 'nominal', title: null } },
      spec: {
        width: 260,
        height: 220,
        mark: 'rect',
        encoding: {
          x: { field: 'mu', type: 'ordinal', title: 'mu (pixel units)' },
          y: { field: 'sigma', type: 'ordinal', title: 'sigma (pixel units)', sort: 'descending' },
          color: {
            aggregate: 'mean',
            field: 'p',
            type: 'quantitative',
            title: 'mean top-1 p',
            scale: { domain: [0, 1], scheme: 'viridis' },
          },
          tooltip: [{ field: 'mu' }, { field: 'sigma' }, { aggregate: 'mean', field: 'p', format: '.3f' }],
        },
      },
    } as vl.TopLevelSpec;
  }
  return {
    $schema: SCHEMA,
    title: 'Top-1 probability on Gaussian noise (mu and sigma paired as the book zips them)',
    width: 600,
    height: 260,
    data: { values: points.map((p) => ({ ...p, point: `mu ${p.mu}, sigma ${p.sigma}` })) },
    config: CONFIG,
    layer: [
      {
        mark: { type: 'line', strokeWidth: 1.5, opacity: 0.7 },
        encoding: {
          x: { field: 'sigma', type: 'quantitative', title: 'sigma (mu rises with it; pixel units)' },
          y: { aggregate: 'mean', field: 'p', type: 'quantitative' },
          color: { field: 'model', type: 'nominal', title: 'model' },
        },
      },
      {
        mark: { type: 'point', filled: true, size: 36, opacity: 0.8 },
        encoding: {
          x: { field: 'sigma', type: 'quantitative' },
          y: { field: 'p', type: 'quantitative', title: 'top-1 probability', scale: { domain: [0, 1] } },
          color: { field: 'model', type: 'nominal' },
          tooltip: [{ field: 'model' }, { field: 'point' }, { field: 'top1' }, { field: 'p', format: '.3f' }],
        },
      },
      { mark: { type: 'rule', strokeDash: [4, 3], color: '#888' }, encoding: { y: { datum: 0.5 } } },
    ],
  } as vl.TopLevelSpec;
}

/** The most frequent top-1 classes on noise, per model. */
export function topClassesSpec(
  counts: readonly { model: string; name: string; count: number }[],
): vl.TopLevelSpec {
  return {
    $schema: SCHEMA,
    title: 'Most frequent top-1 classes on noise',
    data: { values: counts.map((c) => ({ ...c })) },
    config: CONFIG,
    facet: { column: { field: 'model', type: 'nominal', title: null } },
    resolve: { scale: { y: 'independent' } },
    spec: {
      width: 220,
      height: { step: 16 },
      mark: 'bar',
      encoding: {
        y: { field: 'name', type: 'nominal', sort: '-x', title: null },
        x: { field: 'count', type: 'quantitative', title: 'noise images' },
        color: { field: 'model', type: 'nominal', legend: null },
      },
    },
  } as vl.TopLevelSpec;
}

export interface TransferChartCell {
  source: string;
  target: string;
  rate: number | null;
  label: string;
}

/** The transfer matrix: flip rate of (crafted on, evaluated on), with the value printed in each cell. */
export function transferHeatmapSpec(cells: readonly TransferChartCell[]): vl.TopLevelSpec {
  const values = cells.map((c) => ({ ...c, rate: c.rate ?? undefined }));
  const order = [...new Set(cells.map((c) => c.source))];
  return {
    $schema: SCHEMA,
    title: 'Flip rate: crafted on (rows) -> evaluated on (columns)',
    width: { step: 120 },
    height: { step: 48 },
    data: { values },
    config: CONFIG,
    encoding: {
      x: {
        field: 'target',
        type: 'nominal',
        title: 'evaluated on',
        sort: order,
        axis: { orient: 'top', labelAngle: 0 },
      },
      y: { field: 'source', type: 'nominal', title: 'crafted on', sort: order },
    },
    layer: [
      {
        mark: 'rect',
        encoding: {
          color: {
            field: 'rate',
            type: 'quantitative',
            title: 'flip rate',
            scale: { domain: [0, 1], scheme: 'orangered' },
          },
        },
      },
      {
        mark: { type: 'text', fontSize: 13 },
        encoding: {
          text: { field: 'label', type: 'nominal' },
          color: { condition: { test: 'datum.rate > 0.6', value: 'white' }, value: 'black' },
        },
      },
    ],
  } as vl.TopLevelSpec;
}

export const noiseConfidenceSvg = (points: readonly NoiseChartPoint[], pairs: 'zip' | 'grid') =>
  vegaLiteToSvg(noiseConfidenceSpec(points, pairs));
export const topClassesSvg = (counts: readonly { model: string; name: string; count: number }[]) =>
  vegaLiteToSvg(topClassesSpec(counts));
export const transferHeatmapSvg = (cells: readonly TransferChartCell[]) =>
  vegaLiteToSvg(transferHeatmapSpec(cells));
