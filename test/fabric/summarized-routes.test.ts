import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { SwitchTables } from '../../src/controller/flow-tables.js';
import { PIPELINE } from '../../src/controller/pipeline.js';
import { DEFAULT_ROUTE_GROUP, fabricContext, planFabric, planRoutes } from '../../src/fabric/fabric-planner.js';
import { offlineNetwork } from '../../src/fabric/trace-service.js';
import { fabricGraph, linkKey } from '../../src/topology/fabric-graph.js';
import { fatTree, threeTier } from '../../src/topology/generator.js';
import { parseTopology } from '../../src/topology/loader.js';
import { portKey, type Topology } from '../../src/topology/model.js';
import { trace, type TraceNetwork } from '../../src/topology/trace.js';
import { distance, nextHops } from '../../src/topology/valley-free.js';
import { prefixMatch } from '../../src/topology/networks.js';
import { GATEWAY_MAC } from '../../src/topology/model.js';

/**
 * Issue 26, item 1: summarized routing (docs/routing-at-scale.md). A default route up and the
 * routes that differ from it forward every declared network exactly as a route each did: on
 * every pair, with every link up and after every single link failure, on the k=4 fat-tree and
 * a three-tier datacenter; an access switch's routes do not grow with the number of subnets;
 * an address nobody has never loops.
 */

/** The planned fabric with `down` failed: its tables, and a trace network whose failed links lead nowhere. */
function network(t: Topology, down: ReadonlySet<string>): TraceNetwork {
  const { hosts, tables } = offlineNetwork(t);
  const graph = fabricGraph(t, down);
  const fabric = planFabric({ topology: t, hosts, graph });
  const merged = new Map<string, SwitchTables>();
  for (const [sw, base] of tables) {
    const f = fabric.get(sw)!;
    merged.set(sw, { flows: [...base.flows.filter((x) => x.cookie !== PIPELINE.fabric.cookie), ...f.flows], groups: f.groups });
  }
  const peers = new Map<string, { switch: string; port: number }>();
  const deadPorts = new Set<string>();
  for (const l of t.links) {
    if (down.has(linkKey(l.a, l.b))) {
      deadPorts.add(portKey(l.a)).add(portKey(l.b));
      continue;
    }
    peers.set(portKey(l.a), l.b);
    peers.set(portKey(l.b), l.a);
  }
  return { tables: (sw) => merged.get(sw), peer: (at) => peers.get(portKey(at)), portLive: (at) => !deadPorts.has(portKey(at)) };
}

/** One host per switch to one host per other switch: delivered exactly where a valley-free path exists. */
function everyPair(t: Topology, down: ReadonlySet<string>): number {
  const net = network(t, down);
  const graph = fabricGraph(t, down);
  const bySwitch = new Map(t.hosts.map((h) => [h.switch, h]));
  let delivered = 0;
  for (const src of bySwitch.values()) {
    for (const dst of bySwitch.values()) {
      if (src === dst) continue;
      const r = trace(net, { switch: src.switch!, port: src.port! }, { eth_src: src.mac, eth_dst: GATEWAY_MAC, eth_type: 0x0800, ipv4_src: src.ip, ipv4_dst: dst.ip, ip_proto: 1, ttl: 64 });
      const reachable = distance(graph, src.switch!, dst.switch!) !== undefined;
      const where = `${src.name} -> ${dst.name} with ${[...down].join(' ') || 'every link up'}`;
      if (reachable) {
        assert.deepEqual([r.result, r.at], ['delivered', { switch: dst.switch, port: dst.port }], `${where}: ${r.reason ?? ''}`);
        delivered++;
      } else assert.notEqual(r.result, 'delivered', where);
    }
  }
  return delivered;
}

const FAT_TREE = parseTopology(fatTree(4), 'fat-tree-k4');
const THREE_TIER = parseTopology(threeTier({ cores: 2, aggregations: 4, accessPerAggregation: 3, hostsPerAccess: 1 }), 'three-tier');

for (const [name, t] of [['the k=4 fat-tree', FAT_TREE], ['a three-tier datacenter', THREE_TIER]] as const) {
  test(`summarized routes on ${name}: every pair delivered with every link up, and after every single link failure wherever a valley-free path is left`, () => {
    const n = new Set(t.hosts.map((h) => h.switch)).size;
    assert.equal(everyPair(t, new Set()), n * (n - 1));
    for (const l of t.links) everyPair(t, new Set([linkKey(l.a, l.b)]));
  });
  test(`summarized routes on ${name}: every pair delivered after every single switch failure (all its links down) wherever a valley-free path is left`, () => {
    for (const sw of t.switches) {
      everyPair(t, new Set(t.links.filter((l) => l.a.switch === sw.name || l.b.switch === sw.name).map((l) => linkKey(l.a, l.b))));
    }
  });
}

test('an access switch holds one route up and its own subnets, however many subnets the datacenter has; the core a route per subnet', () => {
  const routesAt = (t: Topology, sw: string): number => planRoutes(fabricContext(t), fabricGraph(t, new Set()), sw).flows.filter((f) => f.priority === PIPELINE.fabric.priority.subnetRoute || f.priority === PIPELINE.fabric.priority.defaultRoute).length;
  const k4 = FAT_TREE;
  const k8 = parseTopology(fatTree(8, 1), 'fat-tree-k8');
  const access = (t: Topology) => t.switches.find((s) => s.tier === 'access')!.name;
  assert.ok(k8.subnets.length >= 4 * k4.subnets.length, `${k8.subnets.length} subnets against ${k4.subnets.length}`);
  assert.equal(routesAt(k8, access(k8)), routesAt(k4, access(k4)));
});

test('an address nobody has climbs to the core and is dropped there: never a loop', () => {
  const net = network(FAT_TREE, new Set());
  const h = FAT_TREE.hosts[0]!;
  const r = trace(net, { switch: h.switch!, port: h.port! }, { eth_src: h.mac, eth_dst: GATEWAY_MAC, eth_type: 0x0800, ipv4_src: h.ip, ipv4_dst: '10.99.0.1', ip_proto: 1, ttl: 64 });
  assert.equal(r.result, 'dropped');
  assert.ok(r.hops.length <= 3, `${r.hops.length} hops`);
});

test('the summary computed for every switch at once gives each network exactly the next hops valley-free.ts gives its pair: every link up, every single link or switch failure, an aggregation switch cut off from every core', () => {
  for (const t of [FAT_TREE, THREE_TIER]) {
    const ctx = fabricContext(t);
    const keys = (pick: (l: Topology['links'][number]) => boolean) => t.links.filter(pick).map((l) => linkKey(l.a, l.b));
    const tierOf = new Map(t.switches.map((s) => [s.name, s.tier]));
    const failures: string[][] = [
      [],
      ...t.links.map((l) => [linkKey(l.a, l.b)]),
      ...t.switches.map((s) => keys((l) => l.a.switch === s.name || l.b.switch === s.name)),
      // Its access switches then reach other pods by their other up links only: their default is not all their up links (the second pass).
      ...t.switches.filter((s) => s.tier === 'aggregation').map((s) => keys((l) => (l.a.switch === s.name && tierOf.get(l.b.switch) === 'core') || (l.b.switch === s.name && tierOf.get(l.a.switch) === 'core'))),
    ];
    for (const downs of failures) {
      const down = downs.join(' ') || undefined;
      const graph = fabricGraph(t, new Set(downs));
      for (const sw of t.switches) {
        const tables = planRoutes(ctx, graph, sw.name);
        const portsOf = (groupId: number) => tables.groups.find((g) => g.groupId === groupId)?.buckets.map((b) => b.watchPort).sort((a, b) => a - b);
        const defaultPorts = portsOf(DEFAULT_ROUTE_GROUP);
        for (const [target, nets] of ctx.networksBySwitch) {
          if (target === sw.name) continue;
          const expected = nextHops(graph, sw.name, target).map((h) => h.port).sort((a, b) => a - b);
          const own = tables.flows.find((f) => f.priority === PIPELINE.fabric.priority.subnetRoute && JSON.stringify(f.match.ipv4_dst) === JSON.stringify(prefixMatch(nets[0]!)));
          const groupId = own && (own.instructions[0] as { actions: Array<{ groupId?: number }> }).actions.find((a) => a.groupId !== undefined)?.groupId;
          const actual = groupId !== undefined ? portsOf(groupId) : expected.length > 0 ? defaultPorts : [];
          assert.deepEqual(actual ?? [], expected, `${sw.name} -> ${target} with ${down ?? 'every link up'}`);
        }
      }
    }
  }
});
