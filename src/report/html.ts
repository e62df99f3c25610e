// Self-contained HTML reports (inline SVG and CSS, no script, no external URL) and writing a
// report folder: index.html, one SVG (+ PNG when available) per figure, data.json. Node-side.

import { mkdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { LrmlError, numberIn } from '../errors.js';
import { writeFileAtomic } from '../fs-atomic.js';
import { pngSupport, prefixSvgIds, renderPng, renderSvg } from './charts.js';
import type { Chart } from './charts.js';

/** A rendered chart in a report: its file name (without extension), SVG, caption and plotted numbers. */
export interface Figure {
  /** File name without extension: letters, digits, `.`, `_`, `-` (unique within a report). */
  name: string;
  /** The chart as SVG (from {@link renderSvg}). */
  svg: string;
  /** One or two sentences under the figure. */
  caption: string;
  /** The numbers plotted (written to data.json). */
  data?: unknown;
}

/** A table cell: numbers are formatted (4 significant digits), null/undefined show as "–". */
export type Cell = string | number | null | undefined;

/** A table in a report. */
export interface Table {
  caption: string;
  columns: string[];
  rows: Cell[][];
}

/** A section: a heading, paragraphs, figures, then tables. */
export interface Section {
  heading: string;
  /** One paragraph, or several. */
  text?: string | string[];
  figures?: Figure[];
  tables?: Table[];
}

/** A whole report. */
export interface Report {
  title: string;
  subtitle?: string;
  sections: Section[];
  /** Closing lines (e.g. command, version, date). */
  footer?: string | string[];
  /** Further numbers for data.json (under `details`). */
  details?: Record<string, unknown>;
}

/**
 * Renders a chart and wraps it as a report figure (its plotted rows become the figure's data).
 *
 * @example
 * ```ts
 * const fig = await figure('loss', 'Mean training loss per epoch.', lineChart({ … }));
 * ```
 */
export async function figure(name: string, caption: string, chart: Chart): Promise<Figure> {
  checkName(name);
  return { name, caption, svg: await renderSvg(chart.spec), data: chart.data };
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

function checkName(name: string): void {
  if (typeof name !== 'string' || !NAME.test(name) || name.length > 100) {
    throw new LrmlError('BAD_OPTION', `invalid figure name: ${JSON.stringify(name)} (expected letters, digits, ".", "_", "-", starting with a letter or digit, at most 100 characters)`);
  }
}

/**
 * Escapes text for HTML content and attribute values (`& < > " '`).
 *
 * @example
 * ```ts
 * escapeHtml('a < b & "c"'); // 'a &lt; b &amp; &quot;c&quot;'
 * ```
 */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

/**
 * A table cell as text: integers as they are, other numbers with 4 significant digits, null,
 * undefined and NaN as "–".
 *
 * @example
 * ```ts
 * formatCell(0.123456); // '0.1235'
 * ```
 */
export function formatCell(c: Cell): string {
  if (c === null || c === undefined) return '–';
  if (typeof c === 'string') return c;
  if (Number.isNaN(c)) return '–';
  if (Number.isInteger(c) || !Number.isFinite(c)) return String(c);
  return String(Number(c.toPrecision(4)));
}

/** Checks a report's shape: a title, valid unique figure names, SVGs without script or external references. */
function checkReport(report: Report): void {
  if (typeof report.title !== 'string' || report.title.trim() === '') throw new LrmlError('BAD_OPTION', 'invalid report title: expected a non-empty string');
  const seen = new Set<string>();
  for (const s of report.sections) {
    for (const f of s.figures ?? []) {
      checkName(f.name);
      if (seen.has(f.name.toLowerCase())) throw new LrmlError('BAD_OPTION', `figure name "${f.name}" is used twice (names must be unique, case-insensitively)`);
      seen.add(f.name.toLowerCase());
      if (/<script|<foreignObject|\son[a-z]+\s*=/i.test(f.svg) || /(?:href|src)\s*=\s*["']?\s*(?:[a-z][a-z0-9+.-]*:|\/\/)/i.test(f.svg) || /url\(\s*["']?\s*(?:[a-z][a-z0-9+.-]*:|\/\/)/i.test(f.svg)) {
        throw new LrmlError('BAD_OPTION', `figure "${f.name}": the SVG contains script, event handlers or external references (a report must be self-contained)`);
      }
    }
    for (const t of s.tables ?? []) {
      for (const [r, row] of t.rows.entries()) {
        if (row.length !== t.columns.length) {
          throw new LrmlError('BAD_OPTION', `table "${t.caption}" row ${r + 1}: ${row.length} cells for ${t.columns.length} columns`);
        }
      }
    }
  }
}

/** The SVG ready to inline: no XML prolog or doctype, no namespace attributes, ids prefixed by the figure name. */
function inlineSvg(f: Figure): string {
  const svg = f.svg
    .replace(/^\s*<\?xml[^>]*\?>\s*/, '')
    .replace(/<!DOCTYPE[^>]*>\s*/i, '')
    .replace(/^<svg([^>]*?)\s+xmlns(?::xlink)?="[^"]*"/, '<svg$1')
    .replace(/^<svg([^>]*?)\s+xmlns(?::xlink)?="[^"]*"/, '<svg$1');
  return prefixSvgIds(svg, `${f.name.replace(/[^A-Za-z0-9_-]/g, '_')}-`).replace(/^<svg/, `<svg role="img" aria-label="${escapeHtml(f.caption)}"`);
}

const CSS = `
:root { color-scheme: light; }
body { font-family: "DejaVu Sans", "Segoe UI", Helvetica, Arial, sans-serif; color: #222; background: #fafafa; margin: 0; line-height: 1.45; }
main { max-width: 980px; margin: 0 auto; padding: 24px 28px 40px; background: #fff; }
h1 { font-size: 1.7em; margin: 0.2em 0 0.1em; }
.subtitle { color: #555; margin: 0 0 1em; }
h2 { font-size: 1.3em; border-bottom: 1px solid #ddd; padding-bottom: 0.2em; margin-top: 1.8em; }
nav ol { margin: 0.4em 0 1em; padding-left: 1.4em; }
nav a { color: #1f5d99; text-decoration: none; }
figure { margin: 1.2em 0; }
figure svg { max-width: 100%; height: auto; display: block; }
figcaption { color: #444; font-size: 0.92em; margin-top: 0.3em; }
figcaption b { color: #222; }
table { border-collapse: collapse; margin: 0.6em 0 1.4em; font-size: 0.9em; }
caption { text-align: left; font-weight: bold; padding: 0.3em 0; }
th, td { border: 1px solid #ddd; padding: 0.25em 0.6em; vertical-align: top; }
th { background: #f2f4f7; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tbody tr:nth-child(even) { background: #fbfbfc; }
.table-wrap { overflow-x: auto; }
footer { color: #666; font-size: 0.85em; border-top: 1px solid #ddd; margin-top: 2.5em; padding-top: 0.6em; }
`.trim();

const NUM = '[-+]?\\d*\\.?\\d+(?:e[-+]?\\d+)?';
/** A number, percentage, "x ± s", "[lo, hi]" or "x [lo, hi]". */
const NUMERIC = new RegExp(`^(?:${NUM}%?(?: ± ${NUM})?|(?:${NUM} )?\\[${NUM}, ${NUM}\\])$`, 'i');

/** Whether a cell reads as a number (right-aligned). */
function numeric(c: Cell): boolean {
  return typeof c === 'number' || (typeof c === 'string' && NUMERIC.test(c.trim()));
}

function tableHtml(t: Table): string {
  const head = `<tr>${t.columns.map((c) => `<th scope="col">${escapeHtml(c)}</th>`).join('')}</tr>`;
  const body = t.rows.map((r) => `<tr>${r.map((c) => `<td${numeric(c) ? ' class="num"' : ''}>${escapeHtml(formatCell(c))}</td>`).join('')}</tr>`).join('\n');
  return `<div class="table-wrap"><table>\n<caption>${escapeHtml(t.caption)}</caption>\n<thead>${head}</thead>\n<tbody>\n${body}\n</tbody>\n</table></div>`;
}

function paragraphs(text: string | string[] | undefined): string[] {
  if (text === undefined) return [];
  return (Array.isArray(text) ? text : [text]).map((p) => `<p>${escapeHtml(p)}</p>`);
}

/**
 * One self-contained HTML page for a report: inline SVG figures and CSS, escaped text, no
 * script and no external URL (it can be viewed offline, mailed, archived). Throws BAD_OPTION on
 * an empty title, bad or repeated figure names, ragged tables, or SVGs with script or external
 * references.
 *
 * @example
 * ```ts
 * const html = htmlReport({ title: 'Run 1', sections: [{ heading: 'Loss', figures: [fig],
 *   tables: [{ caption: 'Epochs', columns: ['epoch', 'loss'], rows: [[1, 0.52]] }] }], footer: 'Written by lrml train.' });
 * ```
 */
export function htmlReport(report: Report): string {
  checkReport(report);
  const out: string[] = [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(report.title)}</title>`,
    `<style>\n${CSS}\n</style>`,
    '</head>',
    '<body>',
    '<main>',
    `<h1>${escapeHtml(report.title)}</h1>`,
  ];
  if (report.subtitle !== undefined) out.push(`<p class="subtitle">${escapeHtml(report.subtitle)}</p>`);
  if (report.sections.length >= 3) {
    out.push('<nav><ol>', ...report.sections.map((s, k) => `<li><a href="#section-${k + 1}">${escapeHtml(s.heading)}</a></li>`), '</ol></nav>');
  }
  report.sections.forEach((s, k) => {
    out.push(`<section id="section-${k + 1}">`, `<h2>${escapeHtml(s.heading)}</h2>`, ...paragraphs(s.text));
    for (const f of s.figures ?? []) {
      out.push(`<figure id="figure-${escapeHtml(f.name)}">`, inlineSvg(f), `<figcaption><b>${escapeHtml(f.name)}</b> — ${escapeHtml(f.caption)}</figcaption>`, '</figure>');
    }
    for (const t of s.tables ?? []) out.push(tableHtml(t));
    out.push('</section>');
  });
  const footer = report.footer === undefined ? [] : Array.isArray(report.footer) ? report.footer : [report.footer];
  if (footer.length > 0) out.push('<footer>', ...footer.map((l) => `<p>${escapeHtml(l)}</p>`), '</footer>');
  out.push('</main>', '</body>', '</html>', '');
  return out.join('\n');
}

/** JSON with typed arrays as plain arrays. */
function toJson(v: unknown): string {
  return `${JSON.stringify(v, (_k, x: unknown) => (ArrayBuffer.isView(x) && !(x instanceof DataView) ? Array.from(x as unknown as ArrayLike<number>) : x), 2)}\n`;
}

/**
 * The numbers of a report as one JSON-ready object: each figure's plotted rows and caption, each
 * table, and the report's details.
 *
 * @example
 * ```ts
 * reportData(report).figures.loss.data; // [{ series: 'loss', x: 1, y: 0.52 }, …]
 * ```
 */
export function reportData(report: Report): { title: string; subtitle: string | null; figures: Record<string, { caption: string; data: unknown }>; tables: { section: string; caption: string; columns: string[]; rows: Cell[][] }[]; details: Record<string, unknown> } {
  const figures: Record<string, { caption: string; data: unknown }> = {};
  const tables: { section: string; caption: string; columns: string[]; rows: Cell[][] }[] = [];
  for (const s of report.sections) {
    for (const f of s.figures ?? []) figures[f.name] = { caption: f.caption, data: f.data ?? null };
    for (const t of s.tables ?? []) tables.push({ section: s.heading, caption: t.caption, columns: t.columns, rows: t.rows });
  }
  return { title: report.title, subtitle: report.subtitle ?? null, figures, tables, details: report.details ?? {} };
}

/** Options of {@link writeReport}. */
export interface WriteReportOptions {
  /** Write PNG copies of the figures when @resvg/resvg-js is available (default true). */
  png?: boolean;
  /** Pixel density of the PNGs relative to the SVG size (default 2). */
  pngScale?: number;
}

/** What {@link writeReport} wrote. */
export interface WrittenReport {
  /** The folder. */
  dir: string;
  /** Path of index.html. */
  index: string;
  /** Every file written, index.html last. */
  files: string[];
  /** PNGs written, or why none were (null when all were written). */
  png: { written: number; unavailable: string | null };
}

/**
 * Writes a report folder: `index.html` (self-contained), each figure as `NAME.svg` and, when the
 * optional @resvg/resvg-js renderer loads, `NAME.png`, and `data.json` with the numbers plotted.
 * Every file is written atomically (temp + rename); index.html is written last and says whether
 * PNG copies exist. Creates the folder (and parents); existing files of the same names are replaced.
 *
 * @example
 * ```ts
 * const w = await writeReport('runs/lrml-1', report);
 * console.log(`report: ${w.index}${w.png.unavailable ? ` (no PNG: ${w.png.unavailable})` : ''}`);
 * ```
 */
export async function writeReport(dir: string, report: Report, options: WriteReportOptions = {}): Promise<WrittenReport> {
  checkReport(report);
  const pngScale = numberIn('pngScale', options.pngScale ?? 2, 1e-3, 8);
  try {
    await mkdir(dir, { recursive: true });
  } catch (e) {
    throw new LrmlError('WRITE_FAILED', `cannot create report folder ${dir}: ${(e as Error).message}`);
  }
  const files: string[] = [];
  const write = async (name: string, content: string | Uint8Array): Promise<void> => {
    const path = join(dir, name);
    try {
      await writeFileAtomic(path, content);
    } catch (e) {
      throw new LrmlError('WRITE_FAILED', `cannot write ${path}: ${(e as Error).message}`);
    }
    files.push(path);
  };
  const figures = report.sections.flatMap((s) => s.figures ?? []);
  let unavailable: string | null = null;
  if (options.png === false) unavailable = 'PNG copies not asked for';
  else if (figures.length > 0) {
    const support = await pngSupport();
    if (!support.available) unavailable = support.reason ?? '@resvg/resvg-js unavailable';
  }
  let written = 0;
  for (const f of figures) {
    await write(`${f.name}.svg`, f.svg);
    const png = unavailable === null ? await renderPng(f.svg, { scale: pngScale }) : null;
    if (png !== null) {
      await write(`${f.name}.png`, png);
      written++;
    } else {
      if (unavailable === null) unavailable = `@resvg/resvg-js failed to render ${f.name}.svg`;
      // no stale PNG from an earlier report in this folder next to a page that says there is none
      await unlink(join(dir, `${f.name}.png`)).catch(() => undefined);
    }
  }
  await write('data.json', toJson(reportData(report)));
  const pngLine = figures.length === 0
    ? []
    : unavailable === null
      ? [`Each figure is also saved next to this page as NAME.svg and NAME.png; the numbers plotted are in data.json.`]
      : [`Each figure is also saved next to this page as NAME.svg; the numbers plotted are in data.json. PNG unavailable: ${unavailable}${written > 0 ? ` (${written} of ${figures.length} PNGs written)` : ''}.`];
  const footer = report.footer === undefined ? [] : Array.isArray(report.footer) ? report.footer : [report.footer];
  await write('index.html', htmlReport({ ...report, footer: [...footer, ...pngLine] }));
  return { dir, index: join(dir, 'index.html'), files, png: { written, unavailable } };
}
