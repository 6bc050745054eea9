/**
 * A labelled image grid: images (PNG bytes) in rows of `columns`, each with a few caption lines under
 * it, as SVG (images embedded as data URIs, shown pixelated) or PNG (rendered with resvg).
 */
import { escapeXml, SVG_FONT_FAMILY, svgToPng } from './svg-png.js';

export interface GridCell {
  png: Buffer;
  /** Caption lines under the image. */
  caption: readonly string[];
}

export interface GridOptions {
  /** Images per row (default: up to 4). */
  columns?: number;
  /** Side of each displayed image in px (default 160). */
  cellSize?: number;
  /** A title line above the grid. */
  title?: string;
}

const FONT = 12;
const LINE = 15;
const GAP = 8;

export function imageGridSvg(cells: readonly GridCell[], options: GridOptions = {}): string {
  if (cells.length === 0) throw new Error('imageGrid: no images given');
  const columns = options.columns ?? Math.min(4, cells.length);
  const size = options.cellSize ?? 160;
  if (!Number.isInteger(columns) || columns < 1)
    throw new Error(`imageGrid: columns must be an integer >= 1 (got ${columns})`);
  if (!(size > 0)) throw new Error(`imageGrid: cellSize must be > 0 (got ${size})`);
  const lines = Math.max(...cells.map((c) => c.caption.length));
  const cellH = size + lines * LINE + GAP;
  const titleH = options.title === undefined ? 0 : LINE + GAP;
  const rows = Math.ceil(cells.length / columns);
  const width = columns * (size + GAP) + GAP;
  const height = titleH + rows * cellH + GAP;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="${SVG_FONT_FAMILY}" font-size="${FONT}">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
  ];
  if (options.title !== undefined)
    parts.push(`<text x="${GAP}" y="${GAP + FONT}" font-weight="bold">${escapeXml(options.title)}</text>`);
  cells.forEach((cell, i) => {
    const x = GAP + (i % columns) * (size + GAP);
    const y = titleH + GAP + Math.floor(i / columns) * cellH;
    parts.push(
      `<image x="${x}" y="${y}" width="${size}" height="${size}" image-rendering="optimizeSpeed" style="image-rendering:pixelated" preserveAspectRatio="none" href="data:image/png;base64,${cell.png.toString('base64')}"/>`,
    );
    cell.caption.forEach((line, j) => {
      parts.push(`<text x="${x}" y="${y + size + FONT + 2 + j * LINE}">${escapeXml(fit(line, size))}</text>`);
    });
  });
  parts.push('</svg>');
  return parts.join('\n');
}

/** Shortens a caption line so it fits `width` px (about 0.6 em per character). */
function fit(line: string, width: number): string {
  const max = Math.max(4, Math.floor(width / (FONT * 0.6)));
  return line.length <= max ? line : line.slice(0, max - 1) + '\u2026';
}

export function imageGridPng(cells: readonly GridCell[], options: GridOptions = {}): Buffer {
  return svgToPng(imageGridSvg(cells, options));
}
