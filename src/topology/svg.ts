import type { LinkInfo } from './events.js';
import { portKey, type Topology } from './model.js';

/**
 * Draws the datacenter by tiers: edge and external hosts on top, then core, aggregation,
 * access and the hosts of each subnet. With link states, links that are down are red and
 * dashed, and links LLDP has not confirmed are grey.
 */
export function topologySvg(t: Topology, links?: readonly LinkInfo[]): string {
  const rows: string[][] = [
    [...t.hosts.filter((h) => h.external).map((h) => h.name)],
    t.switches.filter((s) => s.tier === 'edge').map((s) => s.name),
    t.switches.filter((s) => s.tier === 'core').map((s) => s.name),
    t.switches.filter((s) => s.tier === 'aggregation').map((s) => s.name),
    t.switches.filter((s) => s.tier === 'access').map((s) => s.name),
    t.hosts.filter((h) => !h.external).map((h) => h.name),
  ].filter((r) => r.length > 0);
  const width = Math.max(640, Math.max(...rows.map((r) => r.length)) * 70 + 40);
  const rowGap = 90;
  const pos = new Map<string, { x: number; y: number }>();
  for (const [i, row] of rows.entries()) for (const [j, name] of row.entries()) pos.set(name, { x: ((j + 0.5) * width) / row.length, y: 60 + i * rowGap });
  const state = new Map((links ?? []).map((l) => [[portKey(l.a), portKey(l.b)].sort().join('-'), l]));
  const line = (a: string, b: string, style: string): string => {
    const p = pos.get(a)!;
    const q = pos.get(b)!;
    return `<line x1="${p.x.toFixed(1)}" y1="${p.y}" x2="${q.x.toFixed(1)}" y2="${q.y}" ${style}/>`;
  };
  const edges = [
    ...t.links.map((l) => {
      const s = state.get([portKey(l.a), portKey(l.b)].sort().join('-'));
      const style = !s ? 'stroke="#57606a"' : !s.up ? 'stroke="#cf222e" stroke-dasharray="6 4"' : s.confirmed ? 'stroke="#1a7f37" stroke-width="2"' : 'stroke="#8c959f"';
      return line(l.a.switch, l.b.switch, style);
    }),
    ...t.hosts.map((h) => line(h.name, h.switch, 'stroke="#afb8c1"')),
  ];
  const tierColour: Record<string, string> = { core: '#0550ae', aggregation: '#8250df', access: '#1a7f37', edge: '#bc4c00' };
  const nodes = [
    ...t.switches.map((s) => {
      const p = pos.get(s.name)!;
      return `<rect x="${(p.x - 30).toFixed(1)}" y="${p.y - 14}" width="60" height="28" rx="5" fill="${tierColour[s.tier]}"/><text x="${p.x.toFixed(1)}" y="${p.y + 4}" fill="white" text-anchor="middle">${s.name}</text>`;
    }),
    ...t.hosts.map((h) => {
      const p = pos.get(h.name)!;
      return `<circle cx="${p.x.toFixed(1)}" cy="${p.y}" r="9" fill="#f6f8fa" stroke="#57606a"/><text x="${p.x.toFixed(1)}" y="${p.y + 24}" text-anchor="middle" font-size="10">${h.name}</text><text x="${p.x.toFixed(1)}" y="${p.y + 35}" text-anchor="middle" font-size="9" fill="#57606a">${h.ip}</text>`;
    }),
  ];
  // The legend: what each colour is, and where each subnet is served.
  const top = 30 + rows.length * rowGap;
  const legend = [
    ...Object.entries(tierColour).map(([tier, colour], i) => `<rect x="${10 + i * 110}" y="${top}" width="12" height="12" rx="2" fill="${colour}"/><text x="${28 + i * 110}" y="${top + 10}">${tier}</text>`),
    ...t.subnets.map((n, i) => `<text x="10" y="${top + 30 + i * 14}" fill="#57606a">${n.name}: ${n.prefix} at ${n.switch}, gateway ${n.gateway}</text>`),
  ];
  const linkKey = links === undefined ? '' : `<text x="10" y="${top + 30 + t.subnets.length * 14}" fill="#57606a">links: green up and confirmed by LLDP, grey up but not yet confirmed, red dashed down</text>`;
  const height = top + 40 + (t.subnets.length + (links === undefined ? 0 : 1)) * 14;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="11">
<rect width="100%" height="100%" fill="white"/>
<text x="10" y="20" font-size="14" font-weight="bold">${t.name}: ${t.switches.length} switches, ${t.links.length} links, ${t.subnets.length} subnets, ${t.hosts.length} hosts</text>
${edges.join('\n')}
${nodes.join('\n')}
${legend.join('\n')}
${linkKey}
</svg>
`;
}
