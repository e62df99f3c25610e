// Reports: vega-lite charts rendered headless to SVG (and PNG with the optional @resvg/resvg-js),
// self-contained HTML pages and report folders for training, evaluation and relation analysis.
// Node-side (like src/io): not part of the browser bundle.

export * from './charts.js';
export * from './html.js';
export * from './training.js';
export * from './evaluation.js';
export * from './analysis.js';
