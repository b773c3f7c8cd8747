import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { FlowEntry, SwitchTables } from '../../src/controller/flow-tables.js';
import { PIPELINE } from '../../src/controller/pipeline.js';
import { simulate } from '../../src/controller/simulator.js';
import { planFabric } from '../../src/fabric/fabric-planner.js';
import { TraceService, hostPacket, offlineNetwork, traceRequest } from '../../src/fabric/trace-service.js';
import { PlanStore } from '../../src/controller/flow-manager.js';
import type { TopologyService } from '../../src/topology/topology-service.js';
import { portKey } from '../../src/topology/model.js';
import type { HostInfo } from '../../src/topology/events.js';
import { fabricGraph } from '../../src/topology/fabric-graph.js';
import { threeTier } from '../../src/topology/generator.js';
import { loadTopology, parseTopology } from '../../src/topology/loader.js';
import { GATEWAY_MAC, type Topology } from '../../src/topology/model.js';
import { networkOf, networkOf6, networksOf } from '../../src/topology/networks.js';
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

/** The same in IPv6, for every dual-stack pair: from and to their IPv6 addresses, the hop limit as the TTL. */
function allPairs6(topology: Topology): number {
  const { net, hosts } = offlineNetwork(topology);
  const networks = networksOf(topology);
  let pairs = 0;
  for (const src of hosts.filter((h) => h.ip6 !== undefined)) {
    for (const dst of hosts.filter((h) => h.ip6 !== undefined && h !== src)) {
      const r = traceRequest(net, hosts, topology, { from: src.ip6!, to: dst.ip6! });
      assert.ok(typeof r !== 'string', String(r));
      const where = `${src.name} -> ${dst.name} (IPv6)`;
      assert.deepEqual([r.result, r.at], ['delivered', { switch: dst.switch, port: dst.port }], `${where}: ${r.reason ?? ''}`);
      const last = r.hops.at(-1)!.packet;
      const sameNet = networkOf6(networks, src.ip6!) === networkOf6(networks, dst.ip6!);
      assert.deepEqual([last.eth_dst, last.eth_src, last.ttl, last.ipv6], [dst.mac, sameNet ? src.mac : GATEWAY_MAC, sameNet ? 64 : 64 - r.hops.length, { src: src.ip6, dst: dst.ip6 }], where);
      pairs++;
    }
  }
  return pairs;
}

test('trace: every pair of hosts on dc-small is delivered in IPv6 too (72 pairs)', () => {
  assert.equal(allPairs6(loadTopology('topologies/dc-small.yaml')), 72);
});

test('trace: every pair in IPv6 on the dual-stack k=4 fat-tree (272 pairs) and a dual-stack three-tier datacenter of 46 switches', () => {
  assert.equal(allPairs6(loadTopology('topologies/fat-tree-k4.yaml')), 272);
  const t = parseTopology(threeTier({ cores: 2, aggregations: 4, accessPerAggregation: 10, hostsPerAccess: 1, ipv6: true }), 'three-tier');
  assert.equal(allPairs6(t), t.hosts.length * (t.hosts.length - 1));
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
  assert.equal(traceRequest(net, hosts, topology, { from: 'h11', to: '10.0.1' }), '"10.0.1" is not an IPv4 or IPv6 address');
  assert.equal(traceRequest(net, hosts, topology, { from: 'h11', to: '2001:db8:0:3::10', proto: 'arp' }), '--proto arp is for an IPv4 destination; "2001:db8:0:3::10" is IPv6 (--proto nd)');
  assert.equal(traceRequest(net, hosts, topology, { from: 'h11', to: '10.0.3.10', proto: 'nd' }), '--proto nd is for an IPv6 destination; "10.0.3.10" is IPv4 (--proto arp)');
});

test('the packet a host sends: to the gateway MAC across networks, to the peer\'s MAC (or broadcast) inside its own; ICMP echo, or TCP/UDP from 40000 to the port asked (80 by default)', () => {
  const topology = loadTopology('topologies/dc-small.yaml');
  const { hosts } = offlineNetwork(topology);
  const nets = networksOf(topology);
  const h11 = hosts.find((h) => h.name === 'h11')!;
  const base = { eth_src: h11.mac, eth_type: 0x0800, ipv4_src: '10.0.1.10', ttl: 64 };
  assert.deepEqual(hostPacket(hosts, nets, { from: 'h11', to: '10.0.3.10' }), {
    start: { switch: 'acc1', port: 3 },
    packet: { ...base, eth_dst: GATEWAY_MAC, ipv4_dst: '10.0.3.10', ip_proto: 1, icmpv4_type: 8, icmpv4_code: 0 },
  });
  const by = (to: string, extra: Partial<Parameters<typeof hostPacket>[2]> = {}) => {
    const r = hostPacket(hosts, nets, { from: '10.0.1.10', to, ...extra });
    assert.ok(typeof r !== 'string', r as string);
    return r.packet;
  };
  assert.equal(by('10.0.1.11').eth_dst, '02:00:0a:00:01:0b', 'h12, in its own network: its MAC');
  assert.equal(by('10.0.1.99').eth_dst, 'ff:ff:ff:ff:ff:ff', 'nobody known there: broadcast');
  assert.deepEqual(by('10.0.2.10', { proto: 'tcp', dport: 22 }), { ...base, eth_dst: GATEWAY_MAC, ipv4_dst: '10.0.2.10', ip_proto: 6, tcp_src: 40000, tcp_dst: 22 });
  assert.deepEqual(by('10.0.2.10', { proto: 'udp' }), { ...base, eth_dst: GATEWAY_MAC, ipv4_dst: '10.0.2.10', ip_proto: 17, udp_src: 40000, udp_dst: 80 });
  assert.deepEqual(by('10.0.1.1', { proto: 'arp' }), { eth_src: h11.mac, eth_dst: 'ff:ff:ff:ff:ff:ff', eth_type: 0x0806, arp_op: 1, arp_sha: h11.mac, arp_spa: '10.0.1.10', arp_tha: '00:00:00:00:00:00', arp_tpa: '10.0.1.1' });
  for (const bad of ['10.0.3', '10.0.3.10.1', 'x10.0.3.10', '10.0.3.256', '2001:db8::3::1', 'fe80::1%eth0']) assert.equal(hostPacket(hosts, nets, { from: 'h11', to: bad }), `"${bad}" is not an IPv4 or IPv6 address`);
  // In IPv6: from the host's IPv6 address, an echo request; within its network to the peer's MAC; its neighbour solicitation to the solicited-node group.
  const base6 = { eth_src: h11.mac, eth_type: 0x86dd, ipv6_src: '2001:db8:0:1::10' };
  assert.deepEqual(by('2001:db8:0:3::10'), { ...base6, eth_dst: GATEWAY_MAC, ipv6_dst: '2001:db8:0:3::10', ip_proto: 58, ttl: 64, icmpv6_type: 128, icmpv6_code: 0 });
  assert.equal(by('2001:DB8:0:1:0:0:0:11').eth_dst, '02:00:0a:00:01:0b', 'h12, in its own network, written in full: its MAC');
  assert.deepEqual(by('2001:db8:0:2::10', { proto: 'udp', dport: 53 }), { ...base6, eth_dst: GATEWAY_MAC, ipv6_dst: '2001:db8:0:2::10', ip_proto: 17, ttl: 64, udp_src: 40000, udp_dst: 53 });
  assert.deepEqual(by('2001:db8:0:1::1', { proto: 'nd' }), {
    ...base6, eth_dst: '33:33:ff:00:00:01', ipv6_dst: 'ff02::1:ff00:1', ip_proto: 58, icmpv6_type: 135, icmpv6_code: 0, ipv6_nd_target: '2001:db8:0:1::1', ipv6_nd_sll: h11.mac, nd_reserved: 0, nd_options_type: 1, ttl: 255,
  });
  assert.equal(hostPacket([...hosts, { ...h11, name: 'v4only', ip6: undefined }], nets, { from: 'v4only', to: '2001:db8:0:3::10' }), 'host v4only has no IPv6 address');
  assert.equal(hostPacket([...hosts, { ...h11, name: 'mute', ip: undefined }], nets, { from: 'mute', to: '10.0.3.10' }), 'no host named or addressed "mute"');
});

test('TraceService: over the plans the switches are given and only the links that are up; without a topology file, an answer saying so', () => {
  const topology = loadTopology('topologies/dc-small.yaml');
  const { hosts, tables } = offlineNetwork(topology);
  const plans = new PlanStore();
  for (const sw of topology.switches) plans.set(sw.dpid, 'all', tables.get(sw.name));
  // acc1 <-> agg1 is down: the live trace must not cross it, even though acc1's group still lists it.
  const down = topology.links.find((l) => l.a.switch === 'acc1' && l.b.switch === 'agg1')!;
  const fake = (declared: Topology | undefined) => ({
    declared,
    linkList: () => topology.links.map((l) => ({ a: l.a, b: l.b, up: l !== down })),
    hostList: () => hosts,
    portLive: (at: { switch: string; port: number }) => portKey(at) !== portKey(down.a) && portKey(at) !== portKey(down.b),
  }) as unknown as TopologyService;
  const r = new TraceService(fake(topology), plans).run({ from: 'h11', to: '10.0.3.10' });
  assert.ok(typeof r !== 'string');
  assert.deepEqual([r.result, r.at], ['delivered', { switch: 'acc3', port: 3 }]);
  assert.deepEqual(r.hops.map((h) => h.switch), ['acc1', 'agg2', 'acc3'], 'around the dead link');
  const unplanned = new TraceService(fake(topology), new PlanStore()).run({ from: 'h11', to: '10.0.3.10' });
  assert.ok(typeof unplanned !== 'string');
  assert.equal(unplanned.result, 'dropped', 'no plan: nothing matches');
  assert.equal(new TraceService(fake(undefined), plans).run({ from: 'h11', to: '10.0.3.10' }), 'tracing needs a topology file (--topology)');
});

test('trace --proto arp: a host\'s request for its gateway is answered by its own switch, back to its port; one for a neighbour goes to that neighbour only', () => {
  const topology = loadTopology('topologies/dc-small.yaml');
  const { net, hosts } = offlineNetwork(topology);
  const h11 = hosts.find((h) => h.name === 'h11')!;
  const gw = traceRequest(net, hosts, topology, { from: 'h11', to: '10.0.1.1', proto: 'arp' });
  assert.ok(typeof gw !== 'string');
  assert.deepEqual([gw.result, gw.at], ['delivered', { switch: 'acc1', port: 3 }]);
  assert.deepEqual(gw.hops.at(-1)!.packet.arp, { op: 2, sha: GATEWAY_MAC, spa: '10.0.1.1', tha: h11.mac, tpa: '10.0.1.10' });
  const peer = traceRequest(net, hosts, topology, { from: 'h11', to: '10.0.1.11', proto: 'arp' });
  assert.ok(typeof peer !== 'string');
  assert.deepEqual([peer.result, peer.at, peer.hops.at(-1)!.packet.arp?.op], ['delivered', { switch: 'acc1', port: 4 }, 1]);
});
