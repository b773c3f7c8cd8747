import type { Tier } from './model.js';
import type { Adjacency, FabricGraph } from './fabric-graph.js';

/**
 * Shortest valley-free paths in a tiered datacenter: a path climbs (access or edge ->
 * aggregation -> core) and then descends, never down-then-up, and never sideways within a
 * tier. Such paths cannot loop and are what up/down routing in a Clos fabric uses.
 * Pure functions of the graph; recomputing after a link failure is calling them again.
 */

export const RANK: Readonly<Record<Tier, number>> = { access: 0, edge: 0, aggregation: 1, core: 2 };

type Phase = 0 | 1; // 0: still climbing, 1: descending
const stateKey = (node: string, phase: Phase): string => `${phase}${node}`;

interface Search {
  dist: Map<string, number>;
  parents: Map<string, string[]>;
  /** Destination states at the shortest distance. */
  targets: string[];
  length: number;
}

function step(graph: FabricGraph, node: string, phase: Phase): Array<{ adj: Adjacency; phase: Phase }> {
  const rank = RANK[graph.tier.get(node)!];
  const out: Array<{ adj: Adjacency; phase: Phase }> = [];
  for (const adj of graph.adjacency.get(node) ?? []) {
    const peerRank = RANK[graph.tier.get(adj.peer)!];
    if (peerRank > rank && phase === 0) out.push({ adj, phase: 0 });
    else if (peerRank < rank) out.push({ adj, phase: 1 });
  }
  return out;
}

function search(graph: FabricGraph, src: string, dst: string): Search | undefined {
  if (!graph.tier.has(src) || !graph.tier.has(dst)) return undefined;
  const start = stateKey(src, 0);
  const dist = new Map([[start, 0]]);
  const parents = new Map<string, string[]>([[start, []]]);
  let frontier: Array<[string, Phase]> = [[src, 0]];
  for (let d = 0; frontier.length > 0; d++) {
    const reached = frontier.filter(([n]) => n === dst).map(([n, p]) => stateKey(n, p));
    if (reached.length > 0) return { dist, parents, targets: reached, length: d };
    const next: Array<[string, Phase]> = [];
    for (const [node, phase] of frontier) {
      const from = stateKey(node, phase);
      for (const { adj, phase: p } of step(graph, node, phase)) {
        const key = stateKey(adj.peer, p);
        const seen = dist.get(key);
        if (seen === undefined) {
          dist.set(key, d + 1);
          parents.set(key, [from]);
          next.push([adj.peer, p]);
        } else if (seen === d + 1) {
          parents.get(key)!.push(from);
        }
      }
    }
    frontier = next;
  }
  return undefined;
}

/** Every shortest valley-free path from src to dst as switch names (at most `limit`). */
export function shortestPaths(graph: FabricGraph, src: string, dst: string, limit = 64): string[][] {
  if (src === dst) return graph.tier.has(src) ? [[src]] : [];
  const s = search(graph, src, dst);
  if (!s) return [];
  const out: string[][] = [];
  const walk = (key: string, suffix: string[]): void => {
    if (out.length >= limit) return;
    const path = [key.slice(1), ...suffix];
    const ps = s.parents.get(key)!;
    if (ps.length === 0) out.push(path);
    for (const p of ps) walk(p, path);
  };
  for (const t of s.targets) walk(t, []);
  return out;
}

/**
 * The ECMP set: links out of src that start some shortest valley-free path to dst. Answered
 * from a table of every switch's distance to dst, made once per graph and destination by a
 * search backwards from dst (planning a datacenter's routes asks for every pair: one search
 * per destination instead of one per pair, 385 switches in milliseconds instead of seconds).
 */
export function nextHops(graph: FabricGraph, src: string, dst: string): Adjacency[] {
  if (src === dst || !graph.tier.has(src)) return [];
  const toDst = distancesTo(graph, dst);
  const here = toDst.get(stateKey(src, 0));
  if (here === undefined) return [];
  return step(graph, src, 0).filter(({ adj, phase }) => toDst.get(stateKey(adj.peer, phase)) === here - 1).map(({ adj }) => adj);
}

/** Per graph (graphs are values: a change makes a new one), per destination: each state's hop count to it. */
const distanceTables = new WeakMap<FabricGraph, Map<string, Map<string, number>>>();

function distancesTo(graph: FabricGraph, dst: string): Map<string, number> {
  let byDst = distanceTables.get(graph);
  if (!byDst) {
    byDst = new Map();
    distanceTables.set(graph, byDst);
  }
  let table = byDst.get(dst);
  if (!table) {
    table = searchBack(graph, dst);
    byDst.set(dst, table);
  }
  return table;
}

/**
 * Breadth-first from dst backwards over the valley-free moves: a state (node, climbing) is
 * reached from a lower neighbour still climbing; (node, descending) from a higher neighbour,
 * climbing or descending. Gives the hop count from every state to dst.
 */
function searchBack(graph: FabricGraph, dst: string): Map<string, number> {
  const dist = new Map<string, number>();
  if (!graph.tier.has(dst)) return dist;
  let frontier: Array<[string, Phase]> = [[dst, 0], [dst, 1]];
  for (const [n, p] of frontier) dist.set(stateKey(n, p), 0);
  for (let d = 1; frontier.length > 0; d++) {
    const next: Array<[string, Phase]> = [];
    const reach = (node: string, phase: Phase): void => {
      const key = stateKey(node, phase);
      if (dist.has(key)) return;
      dist.set(key, d);
      next.push([node, phase]);
    };
    for (const [node, phase] of frontier) {
      const rank = RANK[graph.tier.get(node)!];
      for (const adj of graph.adjacency.get(node) ?? []) {
        const peerRank = RANK[graph.tier.get(adj.peer)!];
        // peer -> node climbing: peer is lower and was climbing too.
        if (phase === 0 && peerRank < rank) reach(adj.peer, 0);
        // peer -> node descending: peer is higher, climbing or descending.
        if (phase === 1 && peerRank > rank) {
          reach(adj.peer, 0);
          reach(adj.peer, 1);
        }
      }
    }
    frontier = next;
  }
  return dist;
}

/** Hop count of the shortest valley-free path, or undefined when there is none. */
export function distance(graph: FabricGraph, src: string, dst: string): number | undefined {
  return src === dst ? 0 : search(graph, src, dst)?.length;
}
