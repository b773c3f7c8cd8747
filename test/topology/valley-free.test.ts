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
