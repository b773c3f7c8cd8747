import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { LinkInfo } from '../../src/topology/events.js';
import { loadTopology } from '../../src/topology/loader.js';
import { topologySvg } from '../../src/topology/svg.js';

/** The topology picture: one box per switch in its tier's colour, one circle per host, one line per link or host, links styled by state. */

const t = loadTopology('topologies/dc-small.yaml');
const count = (svg: string, re: RegExp): number => [...svg.matchAll(re)].length;

test('every switch, host and link is drawn once, tiers in rows from the outside in', () => {
  const svg = topologySvg(t);
  assert.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg" width="(\d+)" height="(\d+)"/);
  assert.ok(svg.includes(`>${t.name}: ${t.switches.length} switches, ${t.links.length} links, ${t.subnets.length} subnets, ${t.hosts.length} hosts</text>`));
  assert.equal(count(svg, /<rect x=[^>]* rx="5"/g), t.switches.length);
  assert.equal(count(svg, /<circle /g), t.hosts.length);
  assert.equal(count(svg, /<line /g), t.links.length + t.hosts.length);
  // Without link states every link is neutral grey.
  assert.equal(count(svg, /<line [^>]*stroke="#57606a"\/>/g), t.links.length);
  const fills = { core: '#0550ae', aggregation: '#8250df', access: '#1a7f37', edge: '#bc4c00' } as const;
  for (const s of t.switches) {
    const box = new RegExp(`<rect x="[\\d.]+" y="(\\d+)" width="60" height="28" rx="5" fill="${fills[s.tier]}"/><text x="[\\d.]+" y="\\d+" fill="white" text-anchor="middle">${s.name}</text>`);
    assert.match(svg, box, `${s.name} in its tier's colour`);
  }
  // Rows: external hosts, edge, core, aggregation, access, hosts; 90 px apart from y = 60.
  const rowOf = (name: string): number => {
    const m = new RegExp(`y="(-?\\d+)"[^>]*>${name}</text>`).exec(svg)!;
    return Number(m[1]);
  };
  assert.deepEqual(['edge1', 'core1', 'agg1', 'acc1'].map(rowOf), [60 + 90 + 4, 60 + 180 + 4, 60 + 270 + 4, 60 + 360 + 4]);
  const h = t.hosts.find((x) => !x.external)!;
  assert.ok(svg.includes(`font-size="9" fill="#57606a">${h.ip}</text>`), 'a host is labelled with its address');
  // Six rows, then the legend: the tiers, and a line a subnet.
  assert.match(svg, new RegExp(`height="${30 + 6 * 90 + 40 + t.subnets.length * 14}"`));
  for (const tier of ['core', 'aggregation', 'access', 'edge']) assert.match(svg, new RegExp(`<rect x="\\d+" y="\\d+" width="12" height="12" rx="2" fill="${fills[tier as keyof typeof fills]}"/><text [^>]*>${tier}</text>`));
  for (const n of t.subnets) assert.ok(svg.includes(`>${n.name}: ${n.prefix} at ${n.switch}, gateway ${n.gateway}</text>`), n.name);
  assert.ok(!svg.includes('links: green'), 'no link key without link states');
});

test('the width fits the widest row: at least 640, else 70 px a node and 40 more; a row of one is centred', () => {
  const svg = topologySvg(t);
  const width = Number(/width="(\d+)"/.exec(svg)![1]);
  const widest = Math.max(t.hosts.filter((x) => !x.external).length, t.switches.filter((s) => s.tier === 'access').length);
  assert.equal(width, Math.max(640, widest * 70 + 40));
  // edge1 is alone in its row.
  assert.ok(svg.includes(`<rect x="${(width / 2 - 30).toFixed(1)}" y="${60 + 90 - 14}"`), 'edge1 centred');
});

test('with link states: down links red and dashed, confirmed ones green, up but unconfirmed grey', () => {
  const [down, confirmed, unconfirmed, ...rest] = t.links;
  const info = (l: (typeof t.links)[number], up: boolean, isConfirmed: boolean): LinkInfo => ({ a: { switch: l.a.switch, port: l.a.port }, b: { switch: l.b.switch, port: l.b.port }, declared: true, up, confirmed: isConfirmed }) as LinkInfo;
  // Ends given the other way round still name the same link.
  const flipped = (l: (typeof t.links)[number], up: boolean, c: boolean): LinkInfo => ({ ...info(l, up, c), a: info(l, up, c).b, b: info(l, up, c).a });
  const svg = topologySvg(t, [info(down!, false, true), flipped(confirmed!, true, true), info(unconfirmed!, true, false)]);
  assert.equal(count(svg, /stroke="#cf222e" stroke-dasharray="6 4"\/>/g), 1, 'one down');
  assert.equal(count(svg, /stroke="#1a7f37" stroke-width="2"\/>/g), 1, 'one confirmed');
  assert.equal(count(svg, /<line [^>]*stroke="#8c959f"\/>/g), 1, 'one up, unconfirmed');
  assert.equal(count(svg, /<line [^>]*stroke="#57606a"\/>/g), rest.length, 'the others, with no state, neutral');
  assert.equal(count(svg, /<line [^>]*stroke="#afb8c1"\/>/g), t.hosts.length, 'host attachments');
  assert.ok(svg.includes('>links: green up and confirmed by LLDP, grey up but not yet confirmed, red dashed down</text>'), 'the legend says what the colours mean');
});
