/** SVG -> PNG with resvg (text in the system's fonts; DejaVu/Liberation on Debian). */
import { Resvg } from '@resvg/resvg-js';

export const SVG_FONT_FAMILY = 'DejaVu Sans, Liberation Sans, Arial, Helvetica, sans-serif';

export function svgToPng(svg: string, options: { background?: string } = {}): Buffer {
  const resvg = new Resvg(svg, {
    background: options.background ?? 'white',
    font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans', sansSerifFamily: 'DejaVu Sans' },
    logLevel: 'off',
  });
  return Buffer.from(resvg.render().asPng());
}

/** Text for SVG/HTML element content and attribute values. */
export function escapeXml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string,
  );
}
