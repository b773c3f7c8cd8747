import type { Adjacency, FabricGraph } from '../topology/fabric-graph.js';
import type { Network } from '../topology/networks.js';
import { valleyFreeIndex, type ValleyFreeIndex } from '../topology/valley-free-index.js';

/** A switch that serves networks, as one switch's routes see it: its networks and the ECMP next hops to it. */
interface RouteTarget {
  target: string;
  nets: readonly Network[];
  hops: readonly Adjacency[];
}

/** What one switch's routes are made of (docs/routing-at-scale.md). */
export interface RouteSummary {
  /** Its links that climb. */
  up: readonly Adjacency[];
  /** The next hops of its default route: the up links most networks are reached by; none on a switch with nowhere up. */
  defaultHops: readonly Adjacency[] | undefined;
  /** The switches it reaches by other next hops than the default's, each with its own route and group. */
  specific: readonly RouteTarget[];
}

/**
 * Every switch's routes at once, summarized: for each switch, the next-hop set most of the
 * networks it reaches share, if that set only climbs, becomes its default route (ties: the
 * set of lowest ports); every target reached by another set keeps a route of its own. The
 * next hops are those of the shortest valley-free paths (valley-free.ts), computed one
 * destination at a time for every switch (valley-free-index.ts): 2,000 switches in a fraction
 * of a second where a question per pair took seconds. The common case, a target reached by
 * every up link, is counted without building anything.
 */
export function summarizeRoutes(graph: FabricGraph, networksBySwitch: ReadonlyMap<string, readonly Network[]>): ReadonlyMap<string, RouteSummary> {
  const g = valleyFreeIndex(graph);
  const n = g.names.length;
  const targets = [...networksBySwitch].flatMap(([target, nets]) => {
    const i = g.indexOf.get(target);
    return i === undefined ? [] : [{ target, index: i, nets }];
  });
  const dist = new Int32Array(2 * n);
  /** Per switch: the weight of reaching networks by all its up links, and of each other up-only set (by key). */
  const allUpWeight = new Float64Array(n);
  const weights: Array<Map<string, { weight: number; hops: Adjacency[] }> | undefined> = new Array(n);
  /** Per switch: the targets it reaches by anything but all its up links, in the networks' order. */
  const others: RouteTarget[][] = Array.from({ length: n }, () => []);
  const scratch: Adjacency[] = [];
  for (const { target, index: t, nets } of targets) {
    g.distancesTo(t, dist);
    for (let x = 0; x < n; x++) {
      if (x === t) continue;
      const here = dist[2 * x]!;
      if (here <= 0) continue;
      const kind = hopsOf(g, dist, x, here, scratch);
      if (kind === 'all-up') {
        allUpWeight[x]! += nets.length;
        continue;
      }
      const hops = scratch.slice();
      others[x]!.push({ target, nets, hops });
      if (kind === 'up-only') {
        const byKey = weights[x] ?? new Map<string, { weight: number; hops: Adjacency[] }>();
        weights[x] = byKey;
        const key = portsKey(hops);
        const w = byKey.get(key);
        if (w) w.weight += nets.length;
        else byKey.set(key, { weight: nets.length, hops });
      }
    }
  }
  const out = new Map<string, RouteSummary>();
  /** Switches whose default is not all their up links: the targets reached by all of them need routes of their own, found in a second pass. */
  const partial: number[] = [];
  for (let x = 0; x < n; x++) {
    const up = g.links.slice(g.linkStart[x]!, g.linkStart[x + 1]!).filter((_, k) => g.direction[g.linkStart[x]! + k] === 1);
    const candidates = [...(weights[x] ?? [])].map(([key, w]) => ({ key, ...w }));
    if (allUpWeight[x]! > 0) candidates.push({ key: portsKey(up), weight: allUpWeight[x]!, hops: up });
    const best = candidates.sort((a, b) => b.weight - a.weight || (a.key < b.key ? -1 : 1))[0];
    const allUp = best !== undefined && best.hops === up;
    const specific = best === undefined || allUp ? others[x]! : others[x]!.filter((o) => portsKey(o.hops) !== best.key);
    out.set(g.names[x]!, { up, defaultHops: best?.hops, specific });
    if (best !== undefined && !allUp && allUpWeight[x]! > 0) partial.push(x);
  }
  if (partial.length > 0) addAllUpTargets(g, targets, partial, out, dist);
  return out;
}

/**
 * The next hops from switch x (at `here` hops from the destination, climbing) into `into`, in
 * port order: a link that climbs to a switch one hop nearer still climbing, or descends to
 * one one hop nearer descending. 'all-up' when they are exactly all of x's up links (nothing
 * is written then).
 */
function hopsOf(g: ValleyFreeIndex, dist: Int32Array, x: number, here: number, into: Adjacency[]): 'all-up' | 'up-only' | 'mixed' {
  let ups = 0;
  let downs = 0;
  const from = g.linkStart[x]!;
  const to = g.linkStart[x + 1]!;
  for (let l = from; l < to; l++) {
    const d = g.direction[l];
    if (d === 1 && dist[2 * g.peerOf[l]!] === here - 1) ups++;
    else if (d === -1 && dist[2 * g.peerOf[l]! + 1] === here - 1) downs++;
  }
  if (downs === 0 && ups === g.upCount[x]) return 'all-up';
  into.length = 0;
  for (let l = from; l < to; l++) {
    const d = g.direction[l];
    if ((d === 1 && dist[2 * g.peerOf[l]!] === here - 1) || (d === -1 && dist[2 * g.peerOf[l]! + 1] === here - 1)) into.push(g.links[l]!);
  }
  return downs === 0 ? 'up-only' : 'mixed';
}

/** The second pass, for the few switches a failure left with a default that is not all their up links. */
function addAllUpTargets(g: ValleyFreeIndex, targets: ReadonlyArray<{ target: string; index: number; nets: readonly Network[] }>, partial: readonly number[], out: Map<string, RouteSummary>, dist: Int32Array): void {
  const added = new Map<number, RouteTarget[]>(partial.map((x) => [x, []]));
  const scratch: Adjacency[] = [];
  for (const { target, index: t, nets } of targets) {
    g.distancesTo(t, dist);
    for (const x of partial) {
      const here = dist[2 * x]!;
      if (x === t || here <= 0) continue;
      if (hopsOf(g, dist, x, here, scratch) === 'all-up') added.get(x)!.push({ target, nets, hops: out.get(g.names[x]!)!.up });
    }
  }
  const order = new Map(targets.map((t, i) => [t.target, i]));
  for (const [x, extra] of added) {
    const s = out.get(g.names[x]!)!;
    out.set(g.names[x]!, { ...s, specific: [...s.specific, ...extra].sort((a, b) => order.get(a.target)! - order.get(b.target)!) });
  }
}

/** A next-hop set's name: its ports, lowest first. */
const portsKey = (hops: readonly Adjacency[]): string => hops.map((h) => h.port).sort((a, b) => a - b).join(',');
