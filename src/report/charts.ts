// Chart builders (vega-lite specs) and headless rendering to SVG (vega) and PNG (@resvg/resvg-js,
// optional). Node-side, like src/io: the report module is not part of the browser bundle.
//
// Every builder returns a {@link Chart}: the vega-lite spec and the rows it plots (what a report's
// data.json records). Builders use fixed internal field names (x, y, series, …) so that user
// strings only ever appear as values, never as field paths.

import { compile } from 'vega-lite';
import type { TopLevelSpec } from 'vega-lite';
import { parse, View } from 'vega';
import { LrmlError, positiveInt } from '../errors.js';

/** A vega-lite spec and the rows it plots. */
export interface Chart {
  /** The vega-lite spec (data inline). */
  spec: TopLevelSpec;
  /** The numbers plotted, one object per row (for a report's data.json). */
  data: Record<string, unknown>[];
}

/** Title and size shared by every chart builder. */
export interface ChartFrame {
  /** Chart title. */
  title: string;
  /** Second title line. */
  subtitle?: string;
  /** Plot width in pixels (default 600). */
  width?: number;
  /** Plot height in pixels (default 360). */
  height?: number;
}

/** A vertical (x) or horizontal (y) reference line with a label. */
export interface Marker {
  /** Where the line is, on the x axis (line charts, histograms) or the y axis (bar charts). */
  at: number;
  /** Label drawn next to the line. */
  label: string;
}

/** One line of a {@link lineChart}. */
export interface LineSeries {
  name: string;
  /** Points in drawing order; non-finite y values are left out. */
  points: { x: number; y: number }[];
}

/** Options of {@link lineChart}. */
export interface LineChartOptions extends ChartFrame {
  xTitle: string;
  yTitle: string;
  series: LineSeries[];
  /** Legend title (default "series"; no legend with one series). */
  seriesTitle?: string;
  /** Vertical reference lines (e.g. the best epoch). */
  markers?: Marker[];
  /** Integer ticks on x (e.g. epochs; default false). */
  integerX?: boolean;
  /** Whether the y scale includes zero (default false). */
  zeroY?: boolean;
}

/** Options of {@link scatterChart}. */
export interface ScatterChartOptions extends ChartFrame {
  /** Points: x, y, an optional colour value and optional tooltip fields (shown on hover). */
  points: { x: number; y: number; color?: string | number; tooltip?: Record<string, string | number> }[];
  xTitle: string;
  yTitle: string;
  /** How the colour values read: a quantitative scale (viridis) or categories; absent = one colour. */
  color?: { title: string; type: 'quantitative' | 'nominal' };
  /** Mark size in square pixels (default 24). */
  size?: number;
}

/** One distribution of a {@link histogram}. */
export interface HistogramSeries {
  name: string;
  values: ArrayLike<number>;
}

/** Options of {@link histogram}. */
export interface HistogramOptions extends ChartFrame {
  /** One series: bars of counts; several: step lines of shares, over the same bins. */
  series: HistogramSeries[];
  xTitle: string;
  /** Default "count" (one series) or "share" (several). */
  yTitle?: string;
  /** Bins (default 20). */
  bins?: number;
  /** Range of the bins (default: min and max of the finite values); values outside are not counted. */
  domain?: [number, number];
  /** Vertical reference lines. */
  markers?: Marker[];
  /** Legend title with several series (default "series"). */
  seriesTitle?: string;
}

/** One bar of a {@link barChart}, with an optional interval [lo, hi] drawn as an error bar. */
export interface Bar {
  label: string;
  value: number;
  lo?: number;
  hi?: number;
}

/** Options of {@link barChart}. */
export interface BarChartOptions extends ChartFrame {
  /** Bars in drawing order. */
  bars: Bar[];
  xTitle: string;
  yTitle: string;
  /** Horizontal reference lines (e.g. uniform 1/N). */
  markers?: Marker[];
  /** Fixed y range (default: from the data, including zero). */
  yDomain?: [number, number];
}

/** One bar of a {@link groupedBarChart}: its group on the x axis, its series (colour), value and optional interval. */
export interface GroupedBar {
  group: string;
  series: string;
  value: number;
  lo?: number;
  hi?: number;
}

/** Options of {@link groupedBarChart}. */
export interface GroupedBarChartOptions extends ChartFrame {
  /** Bars; groups and series are drawn in order of first appearance. */
  bars: GroupedBar[];
  groupTitle: string;
  seriesTitle: string;
  yTitle: string;
  /** Horizontal reference lines (e.g. chance AUC 0.5, or 0 for differences). */
  markers?: Marker[];
  /** Fixed y range (default: from the data, including zero). */
  yDomain?: [number, number];
}

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';
const WIDTH = 600;
const HEIGHT = 360;

/** Common top-level properties: schema, title, size, fonts and a white background. */
function frame(o: ChartFrame): Record<string, unknown> {
  const width = positiveInt('width', o.width ?? WIDTH);
  const height = positiveInt('height', o.height ?? HEIGHT);
  return {
    $schema: SCHEMA,
    title: o.subtitle === undefined ? { text: o.title, anchor: 'start' } : { text: o.title, subtitle: o.subtitle, anchor: 'start' },
    width,
    height,
    background: 'white',
    padding: 8,
    config: {
      font: 'DejaVu Sans, Helvetica, Arial, sans-serif',
      title: { fontSize: 15, subtitleFontSize: 12, subtitleColor: '#555' },
      axis: { labelFontSize: 11, titleFontSize: 12, grid: true, gridColor: '#e8e8e8' },
      legend: { labelFontSize: 11, titleFontSize: 12, titleLimit: 260, labelLimit: 220 },
      view: { stroke: '#ccc' },
    },
  };
}

/** Distinct values in order of first appearance. */
function distinct<T>(xs: readonly T[]): T[] {
  return [...new Set(xs)];
}

/**
 * Reference-line layers: a dashed rule per marker and its label, vertical on x (label at the
 * top) or horizontal on y (label at the right end).
 */
function markerLayers(axis: 'x' | 'y', markers: readonly Marker[] | undefined): Record<string, unknown>[] {
  if (markers === undefined || markers.length === 0) return [];
  const values = markers.map((m) => ({ at: m.at, label: m.label }));
  const at = { [axis]: { field: 'at', type: 'quantitative' } };
  const text = axis === 'x'
    ? { mark: { align: 'left', baseline: 'top', dx: 4, dy: 4 }, encoding: { y: { value: 0 } } }
    : { mark: { align: 'right', baseline: 'bottom', dy: -3 }, encoding: { x: { value: 'width' } } };
  return [
    { data: { values }, mark: { type: 'rule', strokeDash: [5, 4], color: '#b22', strokeWidth: 1.5, aria: false }, encoding: at },
    {
      data: { values },
      mark: { type: 'text', color: '#b22', fontSize: 11, aria: false, ...text.mark },
      encoding: { ...at, ...text.encoding, text: { field: 'label' } },
    },
  ];
}

function checkMarkers(markers: readonly Marker[] | undefined): void {
  for (const m of markers ?? []) {
    if (!Number.isFinite(m.at)) throw new LrmlError('BAD_OPTION', `invalid marker "${m.label}": at = ${String(m.at)} (expected a finite number)`);
  }
}

/** Layers (keeping shared encodings out) as a spec. */
function layered(head: Record<string, unknown>, layers: Record<string, unknown>[]): TopLevelSpec {
  return { ...head, layer: layers } as unknown as TopLevelSpec;
}

/**
 * A line chart of one or more series over a quantitative x, with points on the lines and optional
 * vertical markers (e.g. the best epoch).
 *
 * @example
 * ```ts
 * const chart = lineChart({ title: 'Training loss', xTitle: 'epoch', yTitle: 'loss', integerX: true,
 *   series: [{ name: 'loss', points: [{ x: 1, y: 0.9 }, { x: 2, y: 0.7 }] }], markers: [{ at: 2, label: 'best' }] });
 * const svg = await renderSvg(chart.spec);
 * ```
 */
export function lineChart(o: LineChartOptions): Chart {
  checkMarkers(o.markers);
  const data: Record<string, unknown>[] = [];
  for (const s of o.series) {
    for (const p of s.points) if (Number.isFinite(p.y) && Number.isFinite(p.x)) data.push({ series: s.name, x: p.x, y: p.y });
  }
  const names = distinct(o.series.map((s) => s.name));
  const xAxis: Record<string, unknown> = o.integerX === true ? { tickMinStep: 1, format: 'd' } : {};
  const values = data.map((d) => ({ ...d, tip: `${o.xTitle} ${fmt(d.x as number)}: ${o.yTitle} ${fmt(d.y as number)}${names.length > 1 ? ` (${String(d.series)})` : ''}` }));
  const encoding = {
    x: { field: 'x', type: 'quantitative', title: o.xTitle, axis: xAxis, scale: { zero: false, nice: o.integerX !== true } },
    y: { field: 'y', type: 'quantitative', title: o.yTitle, scale: { zero: o.zeroY === true } },
    color: {
      field: 'series', type: 'nominal', title: o.seriesTitle ?? 'series', scale: { domain: names },
      legend: names.length > 1 ? { orient: 'bottom' } : null,
    },
  };
  const line = { data: { values }, mark: { type: 'line', strokeWidth: 2, aria: false }, encoding };
  const points = {
    data: { values },
    mark: { type: 'point', filled: true, size: 36, opacity: 1 },
    encoding: { ...encoding, description: { field: 'tip' }, tooltip: { field: 'tip' } },
  };
  return { spec: layered(frame(o), [line, points, ...markerLayers('x', o.markers)]), data };
}

/**
 * A scatter plot, optionally coloured by a quantitative (viridis) or nominal field, with hover
 * tooltips (SVG `<title>`, no script).
 *
 * @example
 * ```ts
 * const chart = scatterChart({ title: 'Relations', xTitle: 'PC1', yTitle: 'PC2',
 *   color: { title: 'rating', type: 'quantitative' },
 *   points: [{ x: 0.1, y: -0.2, color: 4, tooltip: { user: 'u1', item: 'i9' } }] });
 * ```
 */
export function scatterChart(o: ScatterChartOptions): Chart {
  const values: Record<string, unknown>[] = [];
  const data: Record<string, unknown>[] = [];
  for (const p of o.points) {
    if (!Number.isFinite(p.x) || !Number.isFinite(p.y)) continue;
    const row: Record<string, unknown> = { x: p.x, y: p.y };
    if (p.color !== undefined) row.color = p.color;
    const tip: string[] = [`${o.xTitle}: ${fmt(p.x)}`, `${o.yTitle}: ${fmt(p.y)}`];
    if (o.color !== undefined && p.color !== undefined) tip.push(`${o.color.title}: ${typeof p.color === 'number' ? fmt(p.color) : p.color}`);
    for (const [k, v] of Object.entries(p.tooltip ?? {})) tip.push(`${k}: ${typeof v === 'number' ? fmt(v) : v}`);
    data.push(p.tooltip === undefined ? row : { ...row, ...p.tooltip });
    values.push({ ...row, tip: tip.join('; ') });
  }
  const encoding: Record<string, unknown> = {
    x: { field: 'x', type: 'quantitative', title: o.xTitle, scale: { zero: false } },
    y: { field: 'y', type: 'quantitative', title: o.yTitle, scale: { zero: false } },
    description: { field: 'tip' },
    tooltip: { field: 'tip' },
  };
  if (o.color !== undefined) {
    if (o.color.type === 'quantitative') {
      encoding.color = { field: 'color', type: 'quantitative', title: o.color.title, scale: { scheme: 'viridis' } };
    } else {
      const cats = distinct(values.map((v) => String(v.color))).sort();
      encoding.color = {
        field: 'color', type: 'nominal', title: o.color.title,
        scale: { domain: cats, scheme: cats.length > 10 ? 'category20' : 'tableau10' },
        legend: { columns: cats.length > 12 ? 2 : 1, symbolLimit: 40 },
      };
    }
  }
  const spec = {
    ...frame(o),
    data: { values },
    mark: { type: 'circle', size: o.size ?? 24, opacity: 0.7 },
    encoding,
  } as unknown as TopLevelSpec;
  return { spec, data };
}

/** Bin edges and per-series counts of a histogram. */
function binCounts(series: readonly HistogramSeries[], bins: number, domain: [number, number] | undefined): {
  lo: number; hi: number; counts: Int32Array[]; outside: number[]; totals: number[];
} {
  let lo = Infinity;
  let hi = -Infinity;
  if (domain !== undefined) {
    [lo, hi] = domain;
    if (!Number.isFinite(lo) || !Number.isFinite(hi) || !(hi > lo)) {
      throw new LrmlError('BAD_OPTION', `invalid domain: [${String(lo)}, ${String(hi)}] (expected finite lo < hi)`);
    }
  } else {
    for (const s of series) {
      for (let t = 0; t < s.values.length; t++) {
        const v = s.values[t];
        if (Number.isFinite(v)) {
          if (v < lo) lo = v;
          if (v > hi) hi = v;
        }
      }
    }
    if (lo === Infinity) [lo, hi] = [0, 1];
    if (hi === lo) [lo, hi] = [lo - 0.5, hi + 0.5];
  }
  const width = (hi - lo) / bins;
  const counts = series.map(() => new Int32Array(bins));
  const outside = series.map(() => 0);
  const totals = series.map(() => 0);
  series.forEach((s, k) => {
    for (let t = 0; t < s.values.length; t++) {
      const v = s.values[t];
      if (!Number.isFinite(v) || v < lo || v > hi) {
        outside[k]++;
        continue;
      }
      counts[k][Math.min(bins - 1, Math.floor((v - lo) / width))]++;
      totals[k]++;
    }
  });
  return { lo, hi, counts, outside, totals };
}

/**
 * A histogram over equal-width bins (computed here, so data.json holds the counts): bars of counts
 * for one series; step lines of each series' share per bin for several (e.g. one per model).
 *
 * @example
 * ```ts
 * const chart = histogram({ title: 'nDCG@10 per user', xTitle: 'ndcg@10', domain: [0, 1],
 *   series: [{ name: 'lrml', values: Float64Array.of(0, 0.5, 1) }] });
 * ```
 */
export function histogram(o: HistogramOptions): Chart {
  checkMarkers(o.markers);
  if (o.series.length === 0) throw new LrmlError('BAD_OPTION', 'histogram: no series given (expected at least one)');
  const bins = positiveInt('bins', o.bins ?? 20);
  const { lo, hi, counts, outside, totals } = binCounts(o.series, bins, o.domain);
  const width = (hi - lo) / bins;
  const data: Record<string, unknown>[] = [];
  o.series.forEach((s, k) => {
    for (let b = 0; b < bins; b++) {
      data.push({ series: s.name, start: lo + b * width, end: b === bins - 1 ? hi : lo + (b + 1) * width, count: counts[k][b], share: totals[k] > 0 ? counts[k][b] / totals[k] : 0 });
    }
  });
  const notCounted = outside.reduce((a, b) => a + b, 0);
  const head = frame({ ...o, subtitle: o.subtitle ?? (notCounted > 0 ? `${notCounted} values outside [${fmt(lo)}, ${fmt(hi)}] or not finite, not counted` : undefined) });
  const x = { field: 'start', type: 'quantitative', title: o.xTitle, scale: { domain: [lo, hi], nice: false, zero: false } };
  if (o.series.length === 1) {
    const values = data.map((d) => ({ ...d, tip: `${o.xTitle} ${fmt(d.start as number)} to ${fmt(d.end as number)}: ${String(d.count)}` }));
    const bars = {
      data: { values },
      mark: { type: 'bar', color: '#4c78a8', stroke: 'white', strokeWidth: 0.5 },
      encoding: {
        x: { ...x, bin: { binned: true, step: width } },
        x2: { field: 'end' },
        y: { field: 'count', type: 'quantitative', title: o.yTitle ?? 'count' },
        description: { field: 'tip' },
        tooltip: { field: 'tip' },
      },
    };
    return { spec: layered(head, [bars, ...markerLayers('x', o.markers)]), data };
  }
  // Several series: a step line per series; a last point at `hi` closes the final bin.
  const names = distinct(o.series.map((s) => s.name));
  const values = [...data];
  o.series.forEach((s, k) => values.push({ series: s.name, start: hi, end: hi, count: counts[k][bins - 1], share: totals[k] > 0 ? counts[k][bins - 1] / totals[k] : 0 }));
  const steps = {
    data: { values },
    mark: { type: 'line', interpolate: 'step-after', strokeWidth: 2, aria: false },
    encoding: {
      x,
      y: { field: 'share', type: 'quantitative', title: o.yTitle ?? 'share', axis: { format: '.0%' } },
      color: { field: 'series', type: 'nominal', title: o.seriesTitle ?? 'series', scale: { domain: names }, legend: { orient: 'bottom' } },
    },
  };
  return { spec: layered(head, [steps, ...markerLayers('x', o.markers)]), data };
}

/** Whether any bar has a complete finite interval. */
function hasInterval(b: { lo?: number; hi?: number }): boolean {
  return b.lo !== undefined && b.hi !== undefined && Number.isFinite(b.lo) && Number.isFinite(b.hi);
}

/** Label angle for a nominal axis: slanted when labels are many and long. */
function labelAngle(labels: readonly string[]): number {
  const longest = labels.reduce((m, l) => Math.max(m, l.length), 0);
  return labels.length * Math.max(longest, 3) > 90 ? -40 : 0;
}

/**
 * A bar chart with optional error bars ([lo, hi] per bar) and horizontal reference lines.
 *
 * @example
 * ```ts
 * const chart = barChart({ title: 'Mean attention per slot', xTitle: 'slot', yTitle: 'mean weight',
 *   bars: [{ label: '0', value: 0.6 }, { label: '1', value: 0.4 }], markers: [{ at: 0.5, label: 'uniform 1/N' }] });
 * ```
 */
export function barChart(o: BarChartOptions): Chart {
  checkMarkers(o.markers);
  const data = o.bars.map((b) => (hasInterval(b) ? { label: b.label, value: b.value, lo: b.lo, hi: b.hi } : { label: b.label, value: b.value }));
  const labels = data.map((d) => d.label);
  const yScale = o.yDomain === undefined ? {} : { domain: o.yDomain };
  const x = { field: 'label', type: 'nominal', title: o.xTitle, sort: null, axis: { labelAngle: labelAngle(labels) } };
  const values = data.map((d) => ({ ...d, tip: `${o.xTitle} ${d.label}: ${fmt(d.value)}${hasInterval(d) ? ` [${fmt(d.lo as number)}, ${fmt(d.hi as number)}]` : ''}` }));
  const bars = {
    data: { values },
    mark: { type: 'bar', color: '#4c78a8' },
    encoding: {
      x,
      y: { field: 'value', type: 'quantitative', title: o.yTitle, scale: yScale },
      description: { field: 'tip' },
      tooltip: { field: 'tip' },
    },
  };
  const withIv = data.filter(hasInterval);
  const layers: Record<string, unknown>[] = [bars];
  if (withIv.length > 0) {
    layers.push({
      data: { values: withIv },
      mark: { type: 'errorbar', ticks: true, size: 14, color: '#222', aria: false },
      encoding: { x, y: { field: 'lo', type: 'quantitative', title: o.yTitle, scale: yScale }, y2: { field: 'hi' } },
    });
  }
  return { spec: layered(frame(o), [...layers, ...markerLayers('y', o.markers)]), data };
}

/**
 * A grouped bar chart (groups on x, one coloured bar per series within a group) with optional
 * error bars and horizontal reference lines.
 *
 * @example
 * ```ts
 * const chart = groupedBarChart({ title: 'Metrics', groupTitle: 'metric', seriesTitle: 'model', yTitle: 'value',
 *   bars: [{ group: 'ndcg@10', series: 'lrml', value: 0.41, lo: 0.39, hi: 0.43 },
 *          { group: 'ndcg@10', series: 'cml', value: 0.44, lo: 0.42, hi: 0.46 }] });
 * ```
 */
export function groupedBarChart(o: GroupedBarChartOptions): Chart {
  checkMarkers(o.markers);
  const data = o.bars.map((b) => (hasInterval(b) ? { group: b.group, series: b.series, value: b.value, lo: b.lo, hi: b.hi } : { group: b.group, series: b.series, value: b.value }));
  const groups = distinct(data.map((d) => d.group));
  const names = distinct(data.map((d) => d.series));
  const yScale = o.yDomain === undefined ? {} : { domain: o.yDomain };
  const x = { field: 'group', type: 'nominal', title: o.groupTitle, scale: { domain: groups, paddingInner: 0.2 }, axis: { labelAngle: labelAngle(groups) } };
  const xOffset = { field: 'series', type: 'nominal', scale: { domain: names, paddingInner: 0.05 } };
  const values = data.map((d) => ({ ...d, tip: `${d.group}, ${d.series}: ${fmt(d.value)}${hasInterval(d) ? ` [${fmt(d.lo as number)}, ${fmt(d.hi as number)}]` : ''}` }));
  const bars = {
    data: { values },
    mark: { type: 'bar' },
    encoding: {
      x,
      xOffset,
      y: { field: 'value', type: 'quantitative', title: o.yTitle, scale: yScale },
      color: { field: 'series', type: 'nominal', title: o.seriesTitle, scale: { domain: names }, legend: { orient: 'bottom' } },
      description: { field: 'tip' },
      tooltip: { field: 'tip' },
    },
  };
  const layers: Record<string, unknown>[] = [bars];
  const withIv = data.filter(hasInterval);
  if (withIv.length > 0) {
    layers.push({
      data: { values: withIv },
      mark: { type: 'rule', color: '#222', strokeWidth: 1.5, aria: false },
      encoding: { x, xOffset, y: { field: 'lo', type: 'quantitative', title: o.yTitle, scale: yScale }, y2: { field: 'hi' } },
    });
  }
  return { spec: layered(frame(o), [...layers, ...markerLayers('y', o.markers)]), data };
}

/** A number for labels and tooltips: 4 significant digits, no trailing zeros. */
function fmt(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  if (Number.isInteger(x)) return String(x);
  return String(Number(x.toPrecision(4)));
}

/**
 * Renames the ids of an SVG (and their `url(#…)` / `href="#…"` references) to `PREFIX0`,
 * `PREFIX1`, … in order of definition: vega numbers clip paths and gradients with process-wide
 * counters, so this makes the same chart give the same bytes, and lets several SVGs share one
 * HTML page without id clashes.
 *
 * @example
 * ```ts
 * prefixSvgIds('<clipPath id="clip7"/><g clip-path="url(#clip7)"/>', 'loss-'); // ids → loss-0
 * ```
 */
export function prefixSvgIds(svg: string, prefix: string): string {
  const map = new Map<string, string>();
  for (const m of svg.matchAll(/\sid="([^"]+)"/g)) if (!map.has(m[1])) map.set(m[1], `${prefix}${map.size}`);
  if (map.size === 0) return svg;
  return svg.replace(/(\sid="|url\(#|href="#)([^"')]+)/g, (all: string, head: string, id: string) => {
    const to = map.get(id);
    return to === undefined ? all : `${head}${to}`;
  });
}

/** Moves the aria-label (vega's per-item description) of every self-closing mark into a `<title>` child: hover tooltips without script, still read by screen readers. */
function labelsToTitles(svg: string): string {
  return svg.replace(/<(path|rect|circle|line|text)(\s[^<>]*?role="graphics-symbol"[^<>]*?)\/>/g, (all: string, tag: string, attrs: string) => {
    const m = /\saria-label="([^"]*)"/.exec(attrs);
    return m === null ? all : `<${tag}${attrs.replace(m[0], '')}><title>${m[1]}</title></${tag}>`;
  });
}

/**
 * Renders a vega-lite spec to an SVG string, headless (no browser, no canvas, no network).
 * Deterministic: the same spec gives the same bytes (ids are renumbered). Marks carry their
 * values as SVG `<title>` tooltips.
 *
 * @example
 * ```ts
 * const svg = await renderSvg(lineChart({ title: 'loss', xTitle: 'epoch', yTitle: 'loss',
 *   series: [{ name: 'loss', points: [{ x: 1, y: 0.5 }] }] }).spec);
 * ```
 */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  let vg;
  try {
    vg = compile(spec).spec;
  } catch (e) {
    throw new LrmlError('INTERNAL', `vega-lite could not compile the chart: ${(e as Error).message}`);
  }
  const view = new View(parse(vg), { renderer: 'none' });
  try {
    const svg = await view.toSVG();
    return labelsToTitles(prefixSvgIds(svg, 'lrml-'));
  } finally {
    view.finalize();
  }
}

/** What the optional PNG renderer offers. */
export interface PngSupport {
  available: boolean;
  /** Why PNGs cannot be rendered, when unavailable. */
  reason?: string;
}

type ResvgCtor = new (svg: string, options: Record<string, unknown>) => { render(): { asPng(): Uint8Array } };

let resvg: Promise<ResvgCtor | string> | null = null;

/** Loads @resvg/resvg-js once: the constructor, or the reason it is unavailable. */
function loadResvg(): Promise<ResvgCtor | string> {
  resvg ??= (async () => {
    try {
      const name = '@resvg/resvg-js';
      const mod = (await import(name)) as { Resvg?: ResvgCtor; default?: { Resvg?: ResvgCtor } };
      const ctor = mod.Resvg ?? mod.default?.Resvg;
      return ctor ?? '@resvg/resvg-js has no Resvg export';
    } catch (e) {
      return `@resvg/resvg-js is not installed or cannot load on this platform (${(e as Error).message.split('\n')[0]})`;
    }
  })();
  return resvg;
}

/**
 * Whether PNGs can be rendered (the optional dependency @resvg/resvg-js loads), and why not.
 *
 * @example
 * ```ts
 * const { available, reason } = await pngSupport();
 * ```
 */
export async function pngSupport(): Promise<PngSupport> {
  const r = await loadResvg();
  return typeof r === 'string' ? { available: false, reason: r } : { available: true };
}

/** Options of {@link renderPng}. */
export interface RenderPngOptions {
  /** Pixel density relative to the SVG size (default 2). */
  scale?: number;
}

/**
 * Renders an SVG to PNG with @resvg/resvg-js (an optional dependency, system fonts), or returns
 * null when it is missing or fails. Never throws for a missing renderer.
 *
 * @example
 * ```ts
 * const png = await renderPng(svg); // Uint8Array | null
 * if (png !== null) await writeFileAtomic('loss.png', png);
 * ```
 */
export async function renderPng(svg: string, options: RenderPngOptions = {}): Promise<Uint8Array | null> {
  const scale = options.scale ?? 2;
  if (!Number.isFinite(scale) || scale <= 0 || scale > 8) throw new LrmlError('BAD_OPTION', `invalid scale: ${String(scale)} (expected a number in (0, 8])`);
  const Resvg = await loadResvg();
  if (typeof Resvg === 'string') return null;
  try {
    const r = new Resvg(svg, {
      fitTo: { mode: 'zoom', value: scale },
      font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans', sansSerifFamily: 'DejaVu Sans' },
    });
    return r.render().asPng();
  } catch {
    return null;
  }
}
