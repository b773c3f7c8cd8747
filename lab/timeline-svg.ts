/** One migration step drawn on the timeline: its name, and its events in ms from the moment the VM ran at its new port. */
export interface TimelineRow {
  name: string;
  events: Array<{ label: string; ms: number }>;
  /** Per correspondent, the gaps in its replies (ms from that moment): where pings were lost. */
  gaps: Array<{ who: string; from: number; to: number }>;
}

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');

/** The migration timeline as an SVG picture: one band per step, events as ticks, reply gaps as red bars. */
export function timelineSvg(rows: readonly TimelineRow[], origin = 'QEMU resumed the VM at its new port', gapMs = 25): string {
  // Only finite moments: one without a value (no reply came) would stretch the axis, and its loop, without end.
  const all = rows.flatMap((r) => [...r.events.map((e) => e.ms), ...r.gaps.flatMap((g) => [g.from, g.to])]).filter(Number.isFinite);
  const min = Math.min(-50, ...all);
  const max = Math.max(100, ...all);
  const W = 960;
  const left = 220;
  const x = (ms: number): number => left + ((ms - min) / (max - min)) * (W - left - 40);
  const rowH = 110;
  const parts: string[] = [];
  rows.forEach((r, i) => {
    const y = 40 + i * rowH;
    parts.push(`<text x="10" y="${y + 20}" font-size="13" font-weight="bold">${esc(r.name)}</text>`);
    parts.push(`<line x1="${left}" y1="${y + 30}" x2="${W - 40}" y2="${y + 30}" stroke="#999"/>`);
    r.events.filter((e) => Number.isFinite(e.ms)).forEach((e, k) => {
      parts.push(`<line x1="${x(e.ms)}" y1="${y + 22}" x2="${x(e.ms)}" y2="${y + 38}" stroke="#1f5fa8" stroke-width="2"/>`);
      parts.push(`<text x="${x(e.ms) + 3}" y="${y + 52 + (k % 3) * 13}" font-size="10" fill="#1f5fa8">${esc(e.label)} (${Math.round(e.ms)} ms)</text>`);
    });
    r.gaps.forEach((g, k) => {
      parts.push(`<rect x="${x(g.from)}" y="${y + 4 + (k % 4) * 4}" width="${Math.max(2, x(g.to) - x(g.from))}" height="3" fill="#c0392b"><title>${esc(g.who)}: no reply ${Math.round(g.from)}..${Math.round(g.to)} ms</title></rect>`);
    });
  });
  const axisY = 40 + rows.length * rowH;
  for (let t = Math.ceil(min / 100) * 100; t <= max; t += 100) {
    parts.push(`<line x1="${x(t)}" y1="${axisY - 8}" x2="${x(t)}" y2="${axisY - 2}" stroke="#333"/><text x="${x(t) - 10}" y="${axisY + 10}" font-size="9">${t}</text>`);
  }
  parts.push(`<text x="${left}" y="${axisY + 26}" font-size="11">ms from the moment ${origin}. Blue ticks: the migration's steps.</text>`);
  parts.push(`<rect x="${left}" y="${axisY + 33}" width="14" height="3" fill="#c0392b"/><text x="${left + 20}" y="${axisY + 38}" font-size="11">a correspondent's replies (pings every 10 ms) more than ${gapMs} ms apart: at least one ping lost or late there</text>`);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${axisY + 52}" font-family="sans-serif"><rect width="100%" height="100%" fill="white"/>${parts.join('')}</svg>\n`;
}
