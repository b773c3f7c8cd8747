/** One switch's masters over time: from `at` (ms since the epoch) on, `member` (an index) was its master. */
export interface MastershipRow {
  name: string;
  spans: Array<{ at: number; member: number }>;
}

/** Something that happened to the cluster, drawn across every row. */
export interface ClusterMark {
  at: number;
  label: string;
}

const COLOURS = ['#1f77b4', '#2ca02c', '#9467bd', '#8c564b', '#e377c2'];
const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');

/**
 * Who mastered each switch over time, as an SVG picture: a band per switch, coloured by the
 * member that mastered it (from each switch's ROLE_REPLY, in the members' logs), and the
 * kills and freezes as red lines. A gap in a band is a time with no master. Pure.
 */
export function mastershipSvg(rows: readonly MastershipRow[], marks: readonly ClusterMark[], from: number, to: number, members: number): string {
  const W = 1000;
  const left = 90;
  const rowH = 26;
  const x = (t: number): number => left + ((Math.min(Math.max(t, from), to) - from) / Math.max(1, to - from)) * (W - left - 20);
  const parts: string[] = [];
  rows.forEach((r, i) => {
    const y = 32 + i * rowH;
    parts.push(`<text x="8" y="${y + 15}" font-size="12">${esc(r.name)}</text>`);
    const spans = [...r.spans].sort((a, b) => a.at - b.at);
    spans.forEach((s, k) => {
      const end = spans[k + 1]?.at ?? to;
      parts.push(`<rect x="${x(s.at)}" y="${y}" width="${Math.max(1, x(end) - x(s.at))}" height="18" fill="${COLOURS[s.member % COLOURS.length]}"><title>${esc(r.name)}: m${s.member} from ${((s.at - from) / 1000).toFixed(2)} s</title></rect>`);
    });
  });
  const bottom = 32 + rows.length * rowH;
  marks.forEach((m, k) => {
    parts.push(`<line x1="${x(m.at)}" y1="${k % 2 === 0 ? 6 : 18}" x2="${x(m.at)}" y2="${bottom}" stroke="#c0392b" stroke-width="1.5"/>`);
    // Alternating heights: marks close in time keep their labels apart.
    parts.push(`<text x="${x(m.at) + 2}" y="${k % 2 === 0 ? 12 : 24}" font-size="10" fill="#c0392b">${esc(m.label)}</text>`);
  });
  for (let t = 0; t <= to - from; t += 5000) parts.push(`<text x="${x(from + t) - 6}" y="${bottom + 14}" font-size="9">${t / 1000} s</text>`);
  const legend = Array.from({ length: members }, (_, i) => `<rect x="${left + i * 80}" y="${bottom + 24}" width="14" height="10" fill="${COLOURS[i % COLOURS.length]}"/><text x="${left + i * 80 + 18}" y="${bottom + 33}" font-size="11">m${i}</text>`).join('');
  const note = `<text x="${left + members * 80 + 10}" y="${bottom + 33}" font-size="11">master of each switch, from its ROLE_REPLY; red: a member killed or frozen; a gap: no master</text>`;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${bottom + 48}" font-family="sans-serif"><rect width="100%" height="100%" fill="white"/>${parts.join('')}${legend}${note}</svg>\n`;
}
