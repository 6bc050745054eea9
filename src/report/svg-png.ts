/**
 * SVG -> PNG with resvg (text in the system's fonts; DejaVu/Liberation on Debian). resvg is a native
 * module: it loads on the first PNG rendered, not with the library.
 */
import { createRequire } from 'node:module';
import type * as ResvgModule from '@resvg/resvg-js';

let resvgModule: typeof ResvgModule | undefined;

/** @resvg/resvg-js (CommonJS, a native addon), required on first use: rendering stays synchronous. */
function resvg(): typeof ResvgModule {
  resvgModule ??= createRequire(import.meta.url)('@resvg/resvg-js') as typeof ResvgModule;
  return resvgModule;
}

export const SVG_FONT_FAMILY = 'DejaVu Sans, Liberation Sans, Arial, Helvetica, sans-serif';

export function svgToPng(svg: string, options: { background?: string } = {}): Buffer {
  const renderer = new (resvg().Resvg)(svg, {
    background: options.background ?? 'white',
    font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans', sansSerifFamily: 'DejaVu Sans' },
    logLevel: 'off',
  });
  return Buffer.from(renderer.render().asPng());
}

/** Text for SVG/HTML element content and attribute values. */
export function escapeXml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string,
  );
}
