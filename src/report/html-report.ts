/**
 * One self-contained HTML file: inline CSS, no scripts, images as data URIs, charts as inline SVG (ids
 * made unique per chart so several charts can share a page). Each section shows the command that
 * reproduces it.
 */
import { escapeXml } from './svg-png.js';

export type ReportBlock =
  | { kind: 'paragraph'; text: string }
  | { kind: 'note'; text: string }
  | { kind: 'table'; head: readonly string[]; rows: readonly (readonly string[])[]; caption?: string }
  | { kind: 'image'; png: Buffer; alt: string; caption?: string; width?: number }
  | { kind: 'svg'; svg: string; caption?: string }
  | {
      kind: 'gallery';
      items: readonly { png: Buffer; caption: readonly string[] }[];
      size?: number;
      columns?: number;
    };

export interface ReportSection {
  /** HTML id (letters, digits, dashes). */
  id: string;
  title: string;
  /** The shell command that reproduces the section. */
  command: string;
  blocks: readonly ReportBlock[];
}

export interface HtmlReport {
  title: string;
  intro?: readonly string[];
  sections: readonly ReportSection[];
  footer?: string;
}

const CSS = `
body { font-family: system-ui, -apple-system, "Segoe UI", "DejaVu Sans", sans-serif; margin: 0; color: #1d2330; background: #f6f7f9; }
main { max-width: 1040px; margin: 0 auto; padding: 24px 28px 48px; background: #fff; }
h1 { font-size: 1.7em; margin: 0.2em 0 0.4em; }
h2 { font-size: 1.25em; margin: 0 0 0.5em; }
section { border-top: 1px solid #dde1e7; padding: 18px 0 8px; }
nav ol { columns: 2; padding-left: 1.4em; }
pre.command { background: #1f2430; color: #e6e6e6; padding: 8px 12px; border-radius: 6px; overflow-x: auto; font-size: 0.85em; white-space: pre-wrap; word-break: break-all; }
pre.command::before { content: "$ "; color: #8fd19e; }
table { border-collapse: collapse; margin: 8px 0 12px; font-size: 0.9em; }
th, td { border: 1px solid #d5d9e0; padding: 4px 10px; text-align: left; vertical-align: top; }
th { background: #eef1f5; }
caption { caption-side: bottom; font-size: 0.85em; color: #5a6270; padding-top: 4px; text-align: left; }
figure { margin: 8px 0 14px; }
figcaption { font-size: 0.85em; color: #5a6270; margin-top: 4px; }
img.pixelated { image-rendering: pixelated; }
.gallery { display: flex; flex-wrap: wrap; gap: 10px; }
.gallery figure { margin: 0; }
.gallery figcaption { max-width: 100%; }
.note { background: #fff7e0; border-left: 4px solid #e0b000; padding: 6px 10px; font-size: 0.9em; }
.chart svg { max-width: 100%; height: auto; }
footer { margin-top: 24px; font-size: 0.8em; color: #6b7280; }
`;

/** Gives every id of an SVG a prefix (and rewrites its references), so inline charts do not clash. */
export function namespaceSvgIds(svg: string, prefix: string): string {
  const ids = new Set<string>();
  for (const m of svg.matchAll(/\sid="([^"]+)"/g)) ids.add(m[1]);
  if (ids.size === 0) return svg;
  let out = svg.replace(/(\sid=")([^"]+)(")/g, (_, a, id, b) => `${a}${prefix}${id}${b}`);
  out = out.replace(/url\(#([^)]+)\)/g, (whole, id) => (ids.has(id) ? `url(#${prefix}${id})` : whole));
  out = out.replace(/((?:xlink:)?href=")#([^"]+)"/g, (whole, a, id) =>
    ids.has(id) ? `${a}#${prefix}${id}"` : whole,
  );
  return out;
}

/** Drops an XML declaration or doctype so the SVG can sit inside HTML. */
function inlineSvg(svg: string, prefix: string): string {
  const start = svg.indexOf('<svg');
  if (start < 0) throw new Error('html report: a chart is not SVG');
  return namespaceSvgIds(svg.slice(start), prefix);
}

const dataUri = (png: Buffer) => `data:image/png;base64,${png.toString('base64')}`;

function renderBlock(block: ReportBlock, key: string): string {
  switch (block.kind) {
    case 'paragraph':
      return `<p>${escapeXml(block.text)}</p>`;
    case 'note':
      return `<p class="note">${escapeXml(block.text)}</p>`;
    case 'table': {
      const head = `<tr>${block.head.map((h) => `<th>${escapeXml(h)}</th>`).join('')}</tr>`;
      const rows = block.rows
        .map((r) => `<tr>${r.map((c) => `<td>${escapeXml(c)}</td>`).join('')}</tr>`)
        .join('\n');
      const caption = block.caption === undefined ? '' : `<caption>${escapeXml(block.caption)}</caption>`;
      return `<table>${caption}<thead>${head}</thead><tbody>${rows}</tbody></table>`;
    }
    case 'image': {
      const width = block.width === undefined ? '' : ` width="${block.width}"`;
      const caption =
        block.caption === undefined ? '' : `<figcaption>${escapeXml(block.caption)}</figcaption>`;
      return `<figure><img class="pixelated" src="${dataUri(block.png)}" alt="${escapeXml(block.alt)}"${width}>${caption}</figure>`;
    }
    case 'svg': {
      const caption =
        block.caption === undefined ? '' : `<figcaption>${escapeXml(block.caption)}</figcaption>`;
      return `<figure class="chart">${inlineSvg(block.svg, `${key}-`)}${caption}</figure>`;
    }
    case 'gallery': {
      const size = block.size ?? 150;
      const items = block.items
        .map(
          (item) =>
            `<figure><img class="pixelated" src="${dataUri(item.png)}" width="${size}" height="${size}" alt="${escapeXml(item.caption.join(', '))}"><figcaption>${item.caption.map(escapeXml).join('<br>')}</figcaption></figure>`,
        )
        .join('\n');
      const style =
        block.columns === undefined
          ? ''
          : ` style="display:grid;grid-template-columns:repeat(${block.columns}, ${size}px)"`;
      return `<div class="gallery"${style}>${items}</div>`;
    }
  }
}

export function renderHtmlReport(report: HtmlReport): string {
  const ids = new Set<string>();
  for (const s of report.sections) {
    if (!/^[A-Za-z][\w-]*$/.test(s.id))
      throw new Error(`html report: section id '${s.id}' must be letters, digits, - or _`);
    if (ids.has(s.id)) throw new Error(`html report: section id '${s.id}' is used twice`);
    ids.add(s.id);
  }
  const nav = `<nav><ol>${report.sections.map((s) => `<li><a href="#${s.id}">${escapeXml(s.title)}</a></li>`).join('')}</ol></nav>`;
  const sections = report.sections
    .map((s) => {
      const blocks = s.blocks.map((b, i) => renderBlock(b, `${s.id}-${i}`)).join('\n');
      return `<section id="${s.id}">\n<h2>${escapeXml(s.title)}</h2>\n<pre class="command"><code>${escapeXml(s.command)}</code></pre>\n${blocks}\n</section>`;
    })
    .join('\n');
  const intro = (report.intro ?? []).map((p) => `<p>${escapeXml(p)}</p>`).join('\n');
  const footer = report.footer === undefined ? '' : `<footer>${escapeXml(report.footer)}</footer>`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeXml(report.title)}</title>
<style>${CSS}</style>
</head>
<body>
<main>
<h1>${escapeXml(report.title)}</h1>
${intro}
${nav}
${sections}
${footer}
</main>
</body>
</html>
`;
}

/** Quotes one shell word when it needs it (for the commands shown in the report). */
export function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

export function shellCommand(words: readonly string[]): string {
  return words.map(shellWord).join(' ');
}
