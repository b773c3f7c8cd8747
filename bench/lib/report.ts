import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** Shared output of every benchmark: a table on stdout, JSON and an SVG chart on disk. */

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** The `p`th percentile of `xs` (nearest rank, from below); NaN for none. */
export function pct(xs: readonly number[], p: number): number {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? NaN;
}

export function progress(text: string): void {
  process.stderr.write(`[bench] ${text}\n`);
}

export function printTable(title: string, header: string[], rows: Array<Array<string | number>>): void {
  const cells = [header, ...rows.map((r) => r.map((c) => (typeof c === 'number' ? fmt(c) : c)))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => String(r[i] ?? '').length)));
  const line = (r: Array<string | number>): string => r.map((c, i) => (i === 0 ? String(c).padEnd(widths[i]!) : String(c).padStart(widths[i]!))).join('  ');
  process.stdout.write(`\n${title}\n${line(header)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}\n${cells.slice(1).map(line).join('\n')}\n`);
}

function fmt(n: number): string {
  if (Number.isInteger(n)) return n.toLocaleString('en-US');
  return n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(2);
}

export function writeJson(path: string, data: unknown): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, JSON.stringify(data, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2) + '\n');
}

export interface Bar {
  label: string;
  value: number;
  /** Bars of one group share a colour: ours versus the reference. */
  group: string;
}

/**
 * Where a value falls on a chart's axis of `length` pixels: linear from 0, or logarithmic when
 * the largest value is more than 20 times the smallest (a bar of 2,000 beside one of 100,000
 * would be a sliver), with the ticks to draw.
 */
export function axisScale(values: readonly number[], length: number): { at: (v: number) => number; ticks: number[]; log: boolean } {
  const max = Math.max(...values, 1e-9);
  const positive = values.filter((v) => v > 0);
  const min = positive.length > 0 ? Math.min(...positive) : max;
  if (max / min > 20) {
    const lo = Math.floor(Math.log10(min));
    const hi = Math.ceil(Math.log10(max));
    const at = (v: number): number => (v <= 0 ? 0 : ((Math.log10(Math.max(v, 10 ** lo)) - lo) / (hi - lo)) * length);
    return { at, ticks: Array.from({ length: hi - lo + 1 }, (_, i) => 10 ** (lo + i)), log: true };
  }
  const step = 10 ** Math.floor(Math.log10(max));
  const unit = max / step > 5 ? step * 2 : max / step > 2 ? step : step / 2;
  const top = Math.ceil(max / unit) * unit;
  const at = (v: number): number => (v / top) * length;
  return { at, ticks: Array.from({ length: Math.round(top / unit) + 1 }, (_, i) => i * unit), log: false };
}

/** A horizontal bar chart, dependency-free SVG, with a value axis (its unit; log when the values are more than 20 times apart) and a legend of the groups. */
export function writeBarChart(path: string, title: string, unit: string, bars: Bar[]): void {
  const colours = ['#1f6feb', '#8b949e', '#d29922', '#2ea043'];
  const groups = [...new Set(bars.map((b) => b.group))];
  const rowH = 28;
  // Wide enough for the longest label (about 7.5 px a character at 13 px).
  const labelW = Math.max(300, 20 + Math.ceil(7.5 * Math.max(...bars.map((b) => b.label.length))));
  const plotW = 420;
  const scale = axisScale(bars.map((b) => b.value), plotW);
  const axisY = 50 + bars.length * rowH + 6;
  const h = axisY + 70;
  const rows = bars
    .map((b, i) => {
      const y = 50 + i * rowH;
      const w = Math.max(1, scale.at(b.value));
      const colour = colours[groups.indexOf(b.group) % colours.length];
      return `<text x="${labelW - 8}" y="${y + 17}" text-anchor="end">${esc(b.label)}</text>` +
        `<rect x="${labelW}" y="${y + 4}" width="${w.toFixed(1)}" height="${rowH - 10}" fill="${colour}"/>` +
        `<text x="${labelW + w + 6}" y="${y + 17}">${esc(fmt(b.value))} ${esc(unit)}</text>`;
    })
    .join('\n');
  const ticks = scale.ticks
    .map((t) => `<line x1="${(labelW + scale.at(t)).toFixed(1)}" y1="${axisY}" x2="${(labelW + scale.at(t)).toFixed(1)}" y2="${axisY + 5}" stroke="#444"/><text x="${(labelW + scale.at(t)).toFixed(1)}" y="${axisY + 18}" text-anchor="middle" font-size="11">${esc(fmt(t))}</text>`)
    .join('');
  const axis = `<line x1="${labelW}" y1="${axisY}" x2="${labelW + plotW}" y2="${axisY}" stroke="#444"/>${ticks}<text x="${labelW + plotW / 2}" y="${axisY + 34}" text-anchor="middle" font-size="12">${esc(unit)}${scale.log ? ' (log scale)' : ''}</text>`;
  const legend = groups.map((g, i) => `<rect x="${labelW + i * 160}" y="${h - 22}" width="12" height="12" fill="${colours[i % colours.length]}"/><text x="${labelW + i * 160 + 18}" y="${h - 12}">${esc(g)}</text>`).join('');
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${labelW + plotW + 160}" height="${h}" font-family="sans-serif" font-size="13">
<rect width="100%" height="100%" fill="white"/>
<text x="10" y="28" font-size="16" font-weight="bold">${esc(title)}</text>
${rows}
${axis}
${legend}
</svg>
`;
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, svg);
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** One series of a timeline: (seconds, value) points. */
export interface Series {
  label: string;
  points: Array<[number, number]>;
}

/** A line chart over time, dependency-free SVG; a dashed line marks `limit` when given. */
export function writeTimeline(path: string, title: string, unit: string, series: Series[], limit?: { value: number; label: string }, shade?: { from: number; to: number; label: string }): void {
  const colours = ['#1f6feb', '#d29922', '#2ea043', '#8b949e'];
  const W = 760;
  const H = 320;
  const left = 70;
  const top = 40;
  const plotW = W - left - 20;
  const plotH = H - top - 70;
  const xs = series.flatMap((s) => s.points.map((p) => p[0]));
  const ys = [...series.flatMap((s) => s.points.map((p) => p[1])), limit?.value ?? 0];
  const xMax = Math.max(...xs, 1);
  const yMax = Math.max(...ys, 1e-9) * 1.1;
  const x = (v: number): string => (left + (v / xMax) * plotW).toFixed(1);
  const y = (v: number): string => (top + plotH - (v / yMax) * plotH).toFixed(1);
  const lines = series
    .map((s, i) => `<polyline fill="none" stroke="${colours[i % colours.length]}" stroke-width="1.5" points="${s.points.map(([a, b]) => `${x(a)},${y(b)}`).join(' ')}"/>`)
    .join('\n');
  const band = shade ? `<rect x="${x(shade.from)}" y="${top}" width="${(Number(x(shade.to)) - Number(x(shade.from))).toFixed(1)}" height="${plotH}" fill="#fdeeee" stroke="none"/><text x="${x(shade.from)}" y="${top - 4}" fill="#f85149">${esc(shade.label)}</text>` : '';
  const lim = limit ? `<line x1="${left}" x2="${left + plotW}" y1="${y(limit.value)}" y2="${y(limit.value)}" stroke="#f85149" stroke-dasharray="6 4"/><text x="${left + plotW - 4}" y="${Number(y(limit.value)) - 4}" text-anchor="end" fill="#f85149">${esc(limit.label)}</text>` : '';
  const yAxis = axisScale([yMax / 1.1], plotH);
  const yTicks = yAxis.ticks.filter((t) => t <= yMax).map((t) => `<line x1="${left - 4}" x2="${left + plotW}" y1="${y(t)}" y2="${y(t)}" stroke="#eee"/><text x="${left - 6}" y="${Number(y(t)) + 4}" text-anchor="end" font-size="11">${esc(fmt(t))}</text>`).join('');
  const xAxis = axisScale([xMax], plotW);
  const xTicks = xAxis.ticks.filter((t) => t <= xMax).map((t) => `<line x1="${x(t)}" x2="${x(t)}" y1="${top + plotH}" y2="${top + plotH + 4}" stroke="#444"/><text x="${x(t)}" y="${top + plotH + 16}" text-anchor="middle" font-size="11">${esc(fmt(t))}</text>`).join('');
  const legend = series.map((s, i) => `<rect x="${left + i * 220}" y="${H - 22}" width="12" height="12" fill="${colours[i % colours.length]}"/><text x="${left + i * 220 + 18}" y="${H - 12}">${esc(s.label)}</text>`).join('');
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">
<rect width="100%" height="100%" fill="white"/>
<text x="10" y="22" font-size="15" font-weight="bold">${esc(title)}</text>
${band}
<line x1="${left}" y1="${top + plotH}" x2="${left + plotW}" y2="${top + plotH}" stroke="#444"/>
<line x1="${left}" y1="${top}" x2="${left}" y2="${top + plotH}" stroke="#444"/>
${yTicks}
${xTicks}
<text x="${left + plotW / 2}" y="${top + plotH + 32}" text-anchor="middle">time (s)</text><text x="14" y="${top + plotH / 2}" transform="rotate(-90 14 ${top + plotH / 2})" text-anchor="middle">${esc(unit)}</text>
${lim}
${lines}
${legend}
</svg>
`;
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, svg);
}
