/** Reports: image panels and grids, plots (vega-lite -> SVG/PNG), the self-contained HTML report. */
export * from './image-panel.js';
export * from './image-grid.js';
export * from './plot.js';
export * from './svg-png.js';
export * from './html-report.js';
export * from './chapter-report.js';
export * from './sections/chapter-sections.js';
