import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { FlowEntry, SwitchTables } from '../../src/controller/flow-tables.js';
import { PIPELINE } from '../../src/controller/pipeline.js';
import { simulate } from '../../src/controller/simulator.js';
import { planFabric } from '../../src/fabric/fabric-planner.js';
import { offlineNetwork, traceRequest } from '../../src/fabric/trace-service.js';
import type { HostInfo } from '../../src/topology/events.js';
import { fabricGraph } from '../../src/topology/fabric-graph.js';
import { threeTier } from '../../src/topology/generator.js';
import { loadTopology, parseTopology } from '../../src/topology/loader.js';
import { GATEWAY_MAC, type Topology } from '../../src/topology/model.js';
import { networkOf, networksOf } from '../../src/topology/networks.js';
import { GroupType, PortNo, act, bucket, inst } from '../../src/openflow/index.js';

const cookie = PIPELINE.fabric.cookie;
const flow = (priority: number, match: FlowEntry['match'], actions: Parameters<typeof inst.apply>[0]): FlowEntry => ({ tableId: 0, priority, cookie, match, instructions: [inst.apply(actions)] });
const pkt = { eth_src: '02:00:00:00:00:01', eth_dst: '02:00:00:00:00:02', eth_type: 0x0800, ipv4_src: '10.0.1.5', ipv4_dst: '10.0.2.7', ip_proto: 1, ttl: 64 };

test('simulator: the highest-priority match wins; masks apply; fields the packet lacks never match', () => {
  const t: SwitchTables = {
    flows: [
      flow(500, { eth_type: 0x0800, ipv4_dst: { value: '10.0.2.0', mask: '255.255.255.0' } }, [act.output(1)]),
      flow(700, { eth_type: 0x0800, ipv4_dst: '10.0.2.7' }, [act.output(2)]),
      flow(900, { eth_type: 0x0806, arp_tpa: '10.0.2.7' }, [act.output(3)]),
      flow(100, { eth_type: 0x0800, ipv4_dst: { value: '10.0.3.0', mask: '255.255.255.0' } }, [act.output(4)]),
    ],
    groups: [],
  };
  assert.deepEqual(simulate(t, 9, pkt).outputs.map((o) => o.port), [2]);
  assert.deepEqual(simulate(t, 9, { ...pkt, ipv4_dst: '10.0.2.8' }).outputs.map((o) => o.port), [1]);
  assert.deepEqual(simulate(t, 9, { ...pkt, ipv4_dst: '10.0.3.200' }).outputs.map((o) => o.port), [4]);
  const none = simulate(t, 9, { ...pkt, ipv4_dst: '10.0.9.1' });
  assert.deepEqual([none.outputs, none.dropped], [[], 'no-match']);
});

test('simulator: set-field and dec_ttl change what leaves; TTL 1 expires; IN_PORT and CONTROLLER resolve', () => {
  const t: SwitchTables = {
    flows: [flow(10, {}, [act.setField('eth_dst', '02:00:00:00:00:09'), act.decNwTtl(), act.output(PortNo.IN_PORT), act.output(PortNo.CONTROLLER)])],
    groups: [],
  };
  const r = simulate(t, 4, pkt);
  assert.deepEqual(r.outputs.map((o) => [o.port, o.packet.eth_dst, o.packet.ttl]), [[4, '02:00:00:00:00:09', 63], ['controller', '02:00:00:00:00:09', 63]]);
  const dead = simulate(t, 4, { ...pkt, ttl: 1 });
  assert.deepEqual([dead.outputs, dead.dropped], [[], 'ttl-expired']);
});

test('simulator: a select group follows a live bucket and lists the others; dead buckets are skipped', () => {
  const t: SwitchTables = {
    flows: [flow(10, {}, [act.group(0x53560001)])],
    groups: [{ groupId: 0x53560001, groupType: GroupType.SELECT, buckets: [1, 2, 3].map((p) => bucket([act.output(p)], { weight: 1, watchPort: p })) }],
  };
  const all = simulate(t, 9, pkt);
  assert.deepEqual(all.outputs.map((o) => [o.port, o.alternatives]), [[1, [1, 2, 3]]]);
  const chosen = simulate(t, 9, pkt, { chooseBucket: (_g, ports) => ports.indexOf(3) });
  assert.deepEqual(chosen.outputs.map((o) => o.port), [3]);
  const oneDown = simulate(t, 9, pkt, { portLive: (p) => p !== 1 });
  assert.deepEqual(oneDown.outputs.map((o) => [o.port, o.alternatives]), [[2, [2, 3]]]);
  const allDown = simulate(t, 9, pkt, { portLive: () => false });
  assert.equal(allDown.dropped, 'no-match');
});

/** Every host (the external ones included) to every other: delivered at the destination's port, rewritten as a router would. */
function allPairs(topology: Topology): number {
  const { net, hosts } = offlineNetwork(topology);
  const networks = networksOf(topology);
  let pairs = 0;
  for (const src of hosts) {
    for (const dst of hosts) {
      if (src === dst) continue;
      const r = traceRequest(net, hosts, topology, { from: src.name!, to: dst.ip! });
      assert.ok(typeof r !== 'string', String(r));
      const where = `${src.name} -> ${dst.name}`;
      assert.equal(r.result, 'delivered', `${where}: ${r.result} at ${r.at.switch}:${r.at.port} ${r.reason ?? ''}`);
      assert.deepEqual(r.at, { switch: dst.switch, port: dst.port }, where);
      const last = r.hops[r.hops.length - 1]!.packet;
      assert.equal(last.eth_dst, dst.mac, where);
      const sameNet = networkOf(networks, src.ip!) === networkOf(networks, dst.ip!);
      // Within a subnet: switched, TTL untouched; across: every switch on the way decrements it.
      assert.equal(last.eth_src, sameNet ? src.mac : GATEWAY_MAC, where);
      assert.equal(last.ttl, sameNet ? 64 : 64 - r.hops.length, where);
      assert.equal(r.hops[0]!.switch, src.switch);
      pairs++;
    }
  }
  return pairs;
}

test('trace: every pair of hosts on dc-small is delivered (72 pairs)', () => {
  assert.equal(allPairs(loadTopology('topologies/dc-small.yaml')), 72);
});

test('trace: every pair on the k=4 fat-tree, the external client included (272 pairs)', () => {
  assert.equal(allPairs(loadTopology('topologies/fat-tree-k4.yaml')), 272);
});

test('trace: every pair on a generated three-tier datacenter of 46 switches', () => {
  const t = parseTopology(threeTier({ cores: 2, aggregations: 4, accessPerAggregation: 10, hostsPerAccess: 1 }), 'three-tier');
  assert.ok(t.switches.length >= 40, `${t.switches.length} switches`);
  const n = t.hosts.length;
  assert.equal(allPairs(t), n * (n - 1));
});

test('trace: a host route outranks the subnet route, so a host planned on another subnet\'s switch is still reached there', () => {
  const topology = loadTopology('topologies/dc-small.yaml');
  const hosts: HostInfo[] = topology.hosts.map((h) => ({ name: h.name, mac: h.mac, ip: h.ip, switch: h.switch, port: h.port, declared: true, seen: true }));
  // h11 (10.0.1.10) planned at acc3:9, as a migration will put it.
  const moved = hosts.map((h) => (h.name === 'h11' ? { ...h, switch: 'acc3', port: 9 } : h));
  const fabric = planFabric({ topology, hosts: moved, graph: fabricGraph(topology, new Set()) });
  const { net } = offlineNetwork(topology);
  const r = traceRequest({ ...net, tables: (sw) => fabric.get(sw) }, moved, topology, { from: 'h31', to: '10.0.1.10' });
  assert.ok(typeof r !== 'string');
  assert.deepEqual([r.result, r.at, r.hops.length], ['delivered', { switch: 'acc3', port: 9 }, 1]);
});

test('trace: an unknown source or a malformed destination is an answer, not an exception', () => {
  const topology = loadTopology('topologies/dc-small.yaml');
  const { net, hosts } = offlineNetwork(topology);
  assert.equal(traceRequest(net, hosts, topology, { from: 'h99', to: '10.0.1.10' }), 'no host named or addressed "h99"');
  assert.equal(traceRequest(net, hosts, topology, { from: 'h11', to: '10.0.1' }), '"10.0.1" is not an IPv4 address');
});
