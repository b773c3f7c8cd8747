import { type State, linkKey } from './model.js';

/** The datacenter as an SVG: a row a tier, links coloured by state, hosts under their access switch. */

const SVG = 'http://www.w3.org/2000/svg';
const WIDTH = 1000;
const ROWS = ['edge', 'core', 'aggregation', 'access', undefined] as const;
const ROW_Y = 50;
const ROW_GAP = 90;
const BOX = { w: 76, h: 28 };
/** Hosts listed under one switch; the rest are counted. */
const MAX_HOSTS_SHOWN = 6;

function el<K extends keyof SVGElementTagNameMap>(name: K, attrs: Record<string, string | number>, text?: string): SVGElementTagNameMap[K] {
  const e = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

export function drawFabric(svg: SVGSVGElement, state: State): void {
  const rows = ROWS.map((tier) => [...state.switches.values()].filter((s) => s.tier === tier).sort((a, b) => a.name.localeCompare(b.name, 'en', { numeric: true })));
  const used = rows.filter((r) => r.length > 0);
  const where = new Map<string, { x: number; y: number }>();
  for (const [i, row] of used.entries()) for (const [j, s] of row.entries()) where.set(s.name, { x: ((j + 0.5) * WIDTH) / row.length, y: ROW_Y + i * ROW_GAP });
  const hostsAt = new Map<string, string[]>();
  const moved = new Set([...state.bindings.values()].map((b) => b.hoa));
  for (const h of state.hosts.values()) hostsAt.set(h.switch, [...(hostsAt.get(h.switch) ?? []), h.mac]);
  const height = ROW_Y + used.length * ROW_GAP + (MAX_HOSTS_SHOWN + 1) * 13;
  svg.setAttribute('viewBox', `0 0 ${WIDTH} ${height}`);
  svg.style.height = `${Math.min(700, height)}px`;
  const parts: SVGElement[] = [];
  for (const l of state.links.values()) {
    const a = where.get(l.a.switch);
    const b = where.get(l.b.switch);
    if (!a || !b) continue;
    const line = el('line', { class: 'link', x1: a.x, y1: a.y, x2: b.x, y2: b.y, 'data-link': linkKey(l), 'data-state': l.up ? 'up' : 'down' });
    line.append(el('title', {}, `${l.a.switch}:${l.a.port} - ${l.b.switch}:${l.b.port}: ${l.up ? 'up' : 'down'}${l.confirmed ? '' : ', not confirmed by LLDP'}`));
    parts.push(line);
  }
  for (const [name, at] of where) {
    const s = state.switches.get(name)!;
    const g = el('g', { class: 'switch', 'data-switch': name, 'data-connected': String(s.connected), transform: `translate(${at.x - BOX.w / 2},${at.y - BOX.h / 2})` });
    g.append(el('rect', { width: BOX.w, height: BOX.h, rx: 5 }), el('text', { x: BOX.w / 2, y: 18 }, name), el('title', {}, `${name} (${s.tier ?? 'undeclared'}, dpid ${s.dpid}): ${s.connected ? 'connected' : 'not connected'}`));
    parts.push(g);
    const macs = (hostsAt.get(name) ?? []).map((m) => state.hosts.get(m)!).sort((a, b) => (a.ip ?? '').localeCompare(b.ip ?? '', 'en', { numeric: true }));
    macs.slice(0, MAX_HOSTS_SHOWN).forEach((h, i) => {
      const label = `${h.name ?? h.mac} ${h.ip ?? ''}`.trim();
      const isMoved = h.ip !== undefined && moved.has(h.ip);
      const t = el('g', { class: `host${isMoved ? ' moved' : ''}`, 'data-host': h.name ?? h.mac });
      t.append(el('text', { x: at.x, y: at.y + BOX.h / 2 + 13 * (i + 1) }, label));
      parts.push(t);
    });
    if (macs.length > MAX_HOSTS_SHOWN) parts.push(el('text', { class: 'host', x: at.x, y: at.y + BOX.h / 2 + 13 * (MAX_HOSTS_SHOWN + 1) }, `and ${macs.length - MAX_HOSTS_SHOWN} more`));
  }
  svg.replaceChildren(...parts);
}
