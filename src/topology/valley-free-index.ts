import type { Adjacency, FabricGraph } from './fabric-graph.js';
import { RANK } from './valley-free.js';

/**
 * A link graph in numbers, for questions asked of every pair of switches at once (the
 * fabric's routes: 2,000 switches are 4 million pairs). valley-free.ts answers one pair at a
 * time from string-keyed maps; this answers one destination for every switch from typed
 * arrays, with the same rules: a path climbs, then descends, never sideways.
 *
 * Switch i's links are `links[linkStart[i]]` to `links[linkStart[i + 1] - 1]`, in port
 * order (the graph's); `peerOf` is each link's far end, `direction` +1 if it climbs, -1 if it
 * descends, 0 if it stays in its tier (never used).
 */
export interface ValleyFreeIndex {
  readonly names: readonly string[];
  readonly indexOf: ReadonlyMap<string, number>;
  readonly linkStart: Int32Array;
  readonly links: readonly Adjacency[];
  readonly peerOf: Int32Array;
  readonly direction: Int8Array;
  /** How many of switch i's links climb. */
  readonly upCount: Int32Array;
  /**
   * Fills `dist` (2 entries a switch: climbing, descending) with each state's hop count to
   * `dst` along valley-free paths, -1 where there is none.
   */
  distancesTo(dst: number, dist: Int32Array): void;
}

const indexes = new WeakMap<FabricGraph, ValleyFreeIndex>();

/** The index of a graph, made once (graphs are values: a link change makes a new one). */
export function valleyFreeIndex(graph: FabricGraph): ValleyFreeIndex {
  let index = indexes.get(graph);
  if (!index) {
    index = build(graph);
    indexes.set(graph, index);
  }
  return index;
}

function build(graph: FabricGraph): ValleyFreeIndex {
  const names = [...graph.tier.keys()];
  const indexOf = new Map(names.map((n, i) => [n, i]));
  const rank = Int8Array.from(names, (n) => RANK[graph.tier.get(n)!]);
  const linkStart = new Int32Array(names.length + 1);
  const links: Adjacency[] = [];
  for (const [i, n] of names.entries()) {
    linkStart[i] = links.length;
    for (const adj of graph.adjacency.get(n) ?? []) if (indexOf.has(adj.peer)) links.push(adj);
  }
  linkStart[names.length] = links.length;
  const peerOf = Int32Array.from(links, (l) => indexOf.get(l.peer)!);
  const direction = new Int8Array(links.length);
  const upCount = new Int32Array(names.length);
  for (let i = 0; i < names.length; i++) {
    for (let l = linkStart[i]!; l < linkStart[i + 1]!; l++) {
      direction[l] = Math.sign(rank[peerOf[l]!]! - rank[i]!);
      if (direction[l] === 1) upCount[i]!++;
    }
  }
  // Breadth-first from dst backwards over the valley-free moves, as valley-free.ts's searchBack:
  // (node, climbing) is reached from a lower neighbour still climbing; (node, descending) from a higher one, climbing or descending.
  const queue = new Int32Array(names.length * 2);
  const distancesTo = (dst: number, dist: Int32Array): void => {
    dist.fill(-1);
    let head = 0;
    let tail = 0;
    const reach = (state: number, d: number): void => {
      if (dist[state] !== -1) return;
      dist[state] = d;
      queue[tail++] = state;
    };
    reach(2 * dst, 0);
    reach(2 * dst + 1, 0);
    while (head < tail) {
      const state = queue[head++]!;
      const node = state >> 1;
      const descending = (state & 1) === 1;
      const d = dist[state]! + 1;
      for (let l = linkStart[node]!; l < linkStart[node + 1]!; l++) {
        const peer = peerOf[l]!;
        // A lower neighbour climbing reaches node climbing; a higher one, climbing or descending, reaches it descending.
        if (!descending && direction[l] === -1) reach(2 * peer, d);
        if (descending && direction[l] === 1) {
          reach(2 * peer, d);
          reach(2 * peer + 1, d);
        }
      }
    }
  };
  return { names, indexOf, linkStart, links, peerOf, direction, upCount, distancesTo };
}
