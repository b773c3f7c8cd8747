import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fabricGraph, linkKey } from '../../src/topology/fabric-graph.js';
import { distance, nextHops, shortestPaths } from '../../src/topology/valley-free.js';
import { loadTopology } from '../../src/topology/loader.js';

const ft = loadTopology('topologies/fat-tree-k4.yaml');
const graph = fabricGraph(ft);
const tier = new Map(ft.switches.map((s) => [s.name, s.tier]));
const RANK = { access: 0, edge: 0, aggregation: 1, core: 2 } as const;

function assertValleyFree(path: string[]): void {
  let descending = false;
  for (let i = 1; i < path.length; i++) {
    const up = RANK[tier.get(path[i]!)!] - RANK[tier.get(path[i - 1]!)!];
    assert.notEqual(up, 0, `sideways hop in ${path.join(' ')}`);
    if (up < 0) descending = true;
    else assert.ok(!descending, `valley in ${path.join(' ')}`);
  }
}

test('fat-tree k=4: same pod is two hops over either aggregation switch', () => {
  const paths = shortestPaths(graph, 'p1acc1', 'p1acc2');
  assert.deepEqual(paths.map((p) => p.join(' ')).sort(), ['p1acc1 p1agg1 p1acc2', 'p1acc1 p1agg2 p1acc2']);
  assert.deepEqual(nextHops(graph, 'p1acc1', 'p1acc2').map((a) => a.peer).sort(), ['p1agg1', 'p1agg2']);
});

test('fat-tree k=4: another pod is four hops over (k/2)^2 = 4 cores, all valley-free', () => {
  const paths = shortestPaths(graph, 'p1acc1', 'p3acc2');
  assert.equal(paths.length, 4);
  assert.deepEqual(new Set(paths.map((p) => p[2])), new Set(['core1', 'core2', 'core3', 'core4']));
  for (const p of paths) {
    assert.equal(p.length, 5);
    assertValleyFree(p);
  }
  assert.equal(distance(graph, 'p1acc1', 'p3acc2'), 4);
});

test('every pair of access and edge switches (where hosts are) is joined by valley-free shortest paths', () => {
  // Between two cores there is no valley-free path (core -> agg -> core is a valley); no host sits there.
  assert.deepEqual(shortestPaths(graph, 'core1', 'core2'), []);
  const names = ft.switches.filter((s) => s.tier === 'access' || s.tier === 'edge').map((s) => s.name);
  for (const a of names) {
    for (const b of names) {
      const paths = shortestPaths(graph, a, b);
      assert.ok(paths.length > 0, `${a} -> ${b} unreachable`);
      for (const p of paths) assertValleyFree(p);
      // The ECMP set is exactly the set of first hops of the shortest paths.
      if (a !== b) assert.deepEqual(new Set(nextHops(graph, a, b).map((h) => h.peer)), new Set(paths.map((p) => p[1])));
    }
  }
});

test('edge to access climbs to a core, then descends', () => {
  const paths = shortestPaths(graph, 'edge1', 'p2acc1');
  assert.equal(paths.length, 4);
  for (const p of paths) assert.deepEqual([p.length, tier.get(p[1]!), tier.get(p[2]!)], [4, 'core', 'aggregation']);
});

test('a failed link is avoided; paths come back when it is restored', () => {
  const l = ft.links.find((x) => x.a.switch === 'p1acc1' && x.b.switch === 'p1agg1')!;
  const broken = fabricGraph(ft, new Set([linkKey(l.a, l.b)]));
  const paths = shortestPaths(broken, 'p1acc1', 'p3acc2');
  assert.equal(paths.length, 2);
  assert.ok(paths.every((p) => p[1] === 'p1agg2'));
  assert.deepEqual(nextHops(broken, 'p1acc1', 'p3acc2').map((h) => h.port), [l.a.port === 1 ? 2 : 1]);
  assert.equal(shortestPaths(graph, 'p1acc1', 'p3acc2').length, 4);
});

test('no path when every uplink is down; no valley detour through another access switch', () => {
  const uplinks = ft.links.filter((x) => x.a.switch === 'p1acc1').map((x) => linkKey(x.a, x.b));
  const cut = fabricGraph(ft, new Set(uplinks));
  assert.deepEqual(shortestPaths(cut, 'p1acc1', 'p1acc2'), []);
  assert.deepEqual(nextHops(cut, 'p1acc1', 'p1acc2'), []);
  // With only p1agg1-p1acc2 down, p1acc1 -> p1acc2 must not go agg1 -> acc? -> agg2 (a valley).
  const l = ft.links.find((x) => x.a.switch === 'p1acc2' && x.b.switch === 'p1agg1')!;
  const one = fabricGraph(ft, new Set([linkKey(l.a, l.b)]));
  assert.deepEqual(shortestPaths(one, 'p1acc1', 'p1acc2').map((p) => p.join(' ')), ['p1acc1 p1agg2 p1acc2']);
});

// ---------------------------------------------------------------------------------------
// Against brute force: random tiered graphs (sideways links included, which no path may use),
// every valley-free walk enumerated. The searches forwards (paths, distance) and backwards
// (next hops) must agree with it exactly.

const TIERS = ['access', 'edge', 'aggregation', 'core'] as const;
const RANKS = { access: 0, edge: 0, aggregation: 1, core: 2 } as const;

function randomGraph(seed: number) {
  let s = seed;
  const rnd = (n: number): number => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return (s >>> 8) % n;
  };
  const n = 6 + rnd(6);
  const switches = Array.from({ length: n }, (_, i) => ({ name: `s${i}`, tier: TIERS[rnd(4)]!, dpid: '' }));
  const ports = new Map<string, number>();
  const take = (sw: string): number => {
    const p = (ports.get(sw) ?? 0) + 1 + rnd(2);
    ports.set(sw, p);
    return p;
  };
  const links: Array<{ a: { switch: string; port: number }; b: { switch: string; port: number } }> = [];
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) if (rnd(100) < 40) links.push({ a: { switch: `s${i}`, port: take(`s${i}`) }, b: { switch: `s${j}`, port: take(`s${j}`) } });
  return { switches, links };
}

/** Every shortest valley-free walk from src to dst, by brute force (ranks strictly up, then strictly down). */
function bruteForce(t: ReturnType<typeof randomGraph>, src: string, dst: string): string[][] {
  const rank = new Map(t.switches.map((x) => [x.name, RANKS[x.tier]]));
  const peers = (sw: string): string[] => t.links.flatMap((l) => (l.a.switch === sw ? [l.b.switch] : l.b.switch === sw ? [l.a.switch] : []));
  for (let len = 1; len <= t.switches.length; len++) {
    const found: string[][] = [];
    const walk = (path: string[], descending: boolean): void => {
      const here = path.at(-1)!;
      if (path.length - 1 === len) {
        if (here === dst) found.push(path);
        return;
      }
      for (const p of peers(here)) {
        const up = rank.get(p)! > rank.get(here)!;
        const down = rank.get(p)! < rank.get(here)!;
        if ((up && !descending) || down) walk([...path, p], descending || down);
      }
    };
    walk([src], false);
    // A walk that passes dst before its end is not a shortest one to dst.
    const shortest = found.filter((p) => p.indexOf(dst) === p.length - 1);
    if (shortest.length > 0) return shortest;
  }
  return [];
}

test('random tiered graphs: paths, distances and next hops agree with brute force', () => {
  let pairs = 0;
  let joined = 0;
  for (let seed = 1; seed <= 60; seed++) {
    const t = randomGraph(seed);
    const g = fabricGraph(t);
    for (const a of t.switches) {
      for (const b of t.switches) {
        if (a === b) continue;
        pairs++;
        const expected = bruteForce(t, a.name, b.name);
        const got = shortestPaths(g, a.name, b.name, 10_000);
        assert.deepEqual(got.map((p) => p.join(' ')).sort(), expected.map((p) => p.join(' ')).sort(), `seed ${seed}: ${a.name} -> ${b.name}`);
        assert.equal(distance(g, a.name, b.name), expected.length ? expected[0]!.length - 1 : undefined, `seed ${seed}: distance ${a.name} -> ${b.name}`);
        const firstHops = new Set(expected.map((p) => p[1]));
        const hops = nextHops(g, a.name, b.name);
        assert.deepEqual(hops.map((h) => h.peer).sort(), [...firstHops].sort(), `seed ${seed}: next hops ${a.name} -> ${b.name}`);
        for (const h of hops) {
          const l = t.links.find((x) => (x.a.switch === a.name && x.b.switch === h.peer) || (x.b.switch === a.name && x.a.switch === h.peer))!;
          assert.deepEqual([h.port, h.peerPort], l.a.switch === a.name ? [l.a.port, l.b.port] : [l.b.port, l.a.port], 'the ports of that link, from this end');
        }
        if (expected.length) joined++;
      }
    }
  }
  assert.ok(joined > pairs / 4 && joined < pairs, `a mix of joined and unjoined pairs (${joined} of ${pairs})`);
});

test('edge cases: a switch to itself, unknown switches, the path limit, ports sorted, link keys either way round', () => {
  assert.deepEqual(shortestPaths(graph, 'p1acc1', 'p1acc1'), [['p1acc1']]);
  assert.deepEqual(shortestPaths(graph, 'nosuch', 'nosuch'), []);
  assert.deepEqual(shortestPaths(graph, 'nosuch', 'p1acc1'), []);
  assert.deepEqual(shortestPaths(graph, 'p1acc1', 'nosuch'), []);
  assert.equal(distance(graph, 'p1acc1', 'p1acc1'), 0);
  assert.equal(distance(graph, 'p1acc1', 'nosuch'), undefined);
  assert.equal(distance(graph, 'nosuch', 'p1acc1'), undefined);
  assert.deepEqual(nextHops(graph, 'p1acc1', 'p1acc1'), []);
  assert.deepEqual(nextHops(graph, 'nosuch', 'p1acc1'), []);
  assert.deepEqual(nextHops(graph, 'p1acc1', 'nosuch'), []);
  assert.equal(shortestPaths(graph, 'p1acc1', 'p3acc2', 3).length, 3, 'at most the limit');
  assert.equal(shortestPaths(graph, 'p1acc1', 'p3acc2', 1).length, 1);
  for (const list of graph.adjacency.values()) assert.deepEqual(list.map((a) => a.port), [...list.map((a) => a.port)].sort((x, y) => x - y));
  assert.equal(linkKey({ switch: 'b', port: 1 }, { switch: 'a', port: 2 }), 'a:2-b:1');
  assert.equal(linkKey({ switch: 'a', port: 2 }, { switch: 'b', port: 1 }), 'a:2-b:1');
  assert.equal(linkKey({ switch: 'a', port: 1 }, { switch: 'a', port: 1 }), 'a:1-a:1');
  const down = fabricGraph(ft, new Set([linkKey(ft.links[0]!.a, ft.links[0]!.b)]));
  assert.equal(down.adjacency.get(ft.links[0]!.a.switch)!.length, graph.adjacency.get(ft.links[0]!.a.switch)!.length - 1, 'a link down is left out at both ends');
  assert.equal(down.adjacency.get(ft.links[0]!.b.switch)!.length, graph.adjacency.get(ft.links[0]!.b.switch)!.length - 1);
});
