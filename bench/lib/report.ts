import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** Shared output of every benchmark: a table on stdout, JSON and an SVG chart on disk. */

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
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

/** A horizontal bar chart, dependency-free SVG. */
export function writeBarChart(path: string, title: string, unit: string, bars: Bar[]): void {
  const colours = ['#1f6feb', '#8b949e', '#d29922', '#2ea043'];
  const groups = [...new Set(bars.map((b) => b.group))];
  const max = Math.max(...bars.map((b) => b.value), 1e-9);
  const rowH = 28;
  const labelW = 300;
  const plotW = 420;
  const h = 60 + bars.length * rowH + 30;
  const rows = bars
    .map((b, i) => {
      const y = 50 + i * rowH;
      const w = Math.max(1, (b.value / max) * plotW);
      const colour = colours[groups.indexOf(b.group) % colours.length];
      return `<text x="${labelW - 8}" y="${y + 17}" text-anchor="end">${esc(b.label)}</text>` +
        `<rect x="${labelW}" y="${y + 4}" width="${w.toFixed(1)}" height="${rowH - 10}" fill="${colour}"/>` +
        `<text x="${labelW + w + 6}" y="${y + 17}">${esc(fmt(b.value))} ${esc(unit)}</text>`;
    })
    .join('\n');
  const legend = groups.map((g, i) => `<rect x="${labelW + i * 160}" y="${h - 24}" width="12" height="12" fill="${colours[i % colours.length]}"/><text x="${labelW + i * 160 + 18}" y="${h - 14}">${esc(g)}</text>`).join('');
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${labelW + plotW + 160}" height="${h}" font-family="sans-serif" font-size="13">
<rect width="100%" height="100%" fill="white"/>
<text x="10" y="28" font-size="16" font-weight="bold">${esc(title)}</text>
${rows}
${legend}
</svg>
`;
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, svg);
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
