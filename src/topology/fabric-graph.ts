import type { Tier, Topology } from './model.js';

/** The switch-to-switch links that can carry traffic now, with each end's port. */
export interface Adjacency {
  port: number;
  peer: string;
  peerPort: number;
}

export interface FabricGraph {
  tier: ReadonlyMap<string, Tier>;
  adjacency: ReadonlyMap<string, readonly Adjacency[]>;
}

/** Key of a link independent of direction: "acc1:1-agg1:2" with the smaller end first. */
export function linkKey(a: { switch: string; port: number }, b: { switch: string; port: number }): string {
  const x = `${a.switch}:${a.port}`;
  const y = `${b.switch}:${b.port}`;
  return x < y ? `${x}-${y}` : `${y}-${x}`;
}

/** Builds the graph of the declared links, leaving out those in `down` (keys from linkKey). */
export function fabricGraph(topo: Pick<Topology, 'switches' | 'links'>, down: ReadonlySet<string> = new Set()): FabricGraph {
  const adjacency = new Map<string, Adjacency[]>(topo.switches.map((s) => [s.name, []]));
  for (const l of topo.links) {
    if (down.has(linkKey(l.a, l.b))) continue;
    adjacency.get(l.a.switch)?.push({ port: l.a.port, peer: l.b.switch, peerPort: l.b.port });
    adjacency.get(l.b.switch)?.push({ port: l.b.port, peer: l.a.switch, peerPort: l.a.port });
  }
  for (const list of adjacency.values()) list.sort((x, y) => x.port - y.port);
  return { tier: new Map(topo.switches.map((s) => [s.name, s.tier])), adjacency };
}
