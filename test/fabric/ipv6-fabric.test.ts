import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PIPELINE, TABLE } from '../../src/controller/pipeline.js';
import { DEFAULT_ROUTE_GROUP, fabricContext, planHost, planRoutes } from '../../src/fabric/fabric-planner.js';
import { NA_FLAGS_ROUTER_SOLICITED_OVERRIDE } from '../../src/fabric/ipv6-fabric.js';
import { offlineNetwork } from '../../src/fabric/trace-service.js';
import { ICMPV6_TYPE } from '../../src/packet/icmpv6.js';
import { act, inst } from '../../src/openflow/index.js';
import { fabricGraph } from '../../src/topology/fabric-graph.js';
import { loadTopology } from '../../src/topology/loader.js';
import { GATEWAY_LINK_LOCAL, GATEWAY_MAC } from '../../src/topology/model.js';
import { trace } from '../../src/topology/trace.js';
import { na, ns, ping6 } from './ipv6-packets.js';

/**
 * The fabric in IPv6 (issue 25, step 3), checked with `svcswitch trace` over the planned
 * tables of dual-stack dc-small: routing between subnets and to the external network, the
 * gateway's neighbour advertisements built in the switch, and what a tenant may not send
 * (RA guard, forged neighbour entries, a forged source). The same in Open vSwitch:
 * test/fabric/ipv6.e2e.test.ts.
 */

const topology = loadTopology('topologies/dc-small.yaml');
const { net } = offlineNetwork(topology);
const host = (name: string) => topology.hosts.find((h) => h.name === name)!;
const [h11, h12, h31, client] = [host('h11'), host('h12'), host('h31'), host('client')];
const v6 = (name: string) => host(name).ip6!;
const LL_H11 = 'fe80::ff:fe00:10';

const guard = `dropped by portSecurity (table ${TABLE.ingress}, priority ${PIPELINE.portSecurity.priority.ndGuard})`;
const dropped = `dropped by portSecurity (table ${TABLE.ingress}, priority ${PIPELINE.portSecurity.priority.drop})`;
const neverRouted = `dropped by fabric (table ${TABLE.routing}, priority ${PIPELINE.fabric.priority.subnetDrop})`;

test('IPv6 is routed between subnets and to the external network, the hop limit decremented at every switch, delivered with the gateway\'s MAC', () => {
  const r = trace(net, { switch: 'acc1', port: h11.port }, ping6(h11, v6('h31')));
  assert.deepEqual([r.result, r.at], ['delivered', { switch: 'acc3', port: h31.port }]);
  assert.deepEqual(r.hops.map((h) => h.switch), ['acc1', 'agg1', 'acc3']);
  assert.deepEqual(r.hops.at(-1)!.packet, { eth_src: GATEWAY_MAC, eth_dst: h31.mac, ipv4_src: undefined, ipv4_dst: undefined, ttl: 61, ipv6: { src: v6('h11'), dst: v6('h31') } });
  const out = trace(net, { switch: 'acc1', port: h11.port }, ping6(h11, v6('client')));
  assert.deepEqual([out.result, out.at], ['delivered', { switch: 'edge1', port: client.port }]);
  const back = trace(net, { switch: 'edge1', port: client.port }, ping6(client, v6('h11')));
  assert.deepEqual([back.result, back.at], ['delivered', { switch: 'acc1', port: h11.port }]);
  // Within the subnet, to a neighbour's MAC: switched, the hop limit kept.
  const local = trace(net, { switch: 'acc1', port: h11.port }, { ...ping6(h11, v6('h12')), eth_dst: h12.mac });
  assert.deepEqual([local.result, local.at, local.hops[0]!.packet.ttl], ['delivered', { switch: 'acc1', port: h12.port }, 64]);
});

test('the gateway answers a neighbour solicitation in the switch, for its global and its link-local address, from a host\'s global or link-local address', () => {
  for (const gateway of ['2001:db8:0:1::1', GATEWAY_LINK_LOCAL]) {
    for (const from of [v6('h11'), LL_H11]) {
      const r = trace(net, { switch: 'acc1', port: h11.port }, ns(h11, from, gateway, h11.mac));
      assert.deepEqual([r.result, r.at, r.hops.length], ['delivered', { switch: 'acc1', port: h11.port }, 1], `${gateway} from ${from}`);
      const p = r.hops[0]!.packet;
      assert.deepEqual([p.eth_src, p.eth_dst, p.ipv6, p.ttl], [GATEWAY_MAC, h11.mac, { src: gateway, dst: v6('h11') }, 255], 'from the gateway to the host, hop limit 255 kept');
      assert.deepEqual(p.nd, { type: ICMPV6_TYPE.NEIGHBOR_ADVERT, target: gateway, sll: undefined, tll: GATEWAY_MAC, flags: NA_FLAGS_ROUTER_SOLICITED_OVERRIDE, optionType: 2 });
    }
  }
  // A unicast reachability probe without the option: answered without it.
  const nud = trace(net, { switch: 'acc1', port: h11.port }, ns(h11, v6('h11'), '2001:db8:0:1::1', undefined, GATEWAY_MAC));
  assert.deepEqual([nud.result, nud.hops[0]!.packet.nd], ['delivered', { type: ICMPV6_TYPE.NEIGHBOR_ADVERT, target: '2001:db8:0:1::1', sll: '00:00:00:00:00:00', tll: undefined, flags: NA_FLAGS_ROUTER_SOLICITED_OVERRIDE, optionType: 0 }]);
  // Another subnet's gateway is not h11's: not answered (no entry for it), and never sent on (a multicast destination is never routed).
  const other = trace(net, { switch: 'acc1', port: h11.port }, ns(h11, v6('h11'), '2001:db8:0:3::1', h11.mac));
  assert.deepEqual([other.result, other.at, other.reason], ['dropped', { switch: 'acc1', port: h11.port }, neverRouted]);
});

test('a solicitation for a neighbour reaches that neighbour only, and its advertisement comes back', () => {
  const r = trace(net, { switch: 'acc1', port: h11.port }, ns(h11, v6('h11'), v6('h12'), h11.mac));
  assert.deepEqual([r.result, r.at], ['delivered', { switch: 'acc1', port: h12.port }]);
  const answer = trace(net, { switch: 'acc1', port: h12.port }, na(h12, v6('h12'), v6('h12'), h11.mac, v6('h11')));
  assert.deepEqual([answer.result, answer.at], ['delivered', { switch: 'acc1', port: h11.port }]);
});

test('a tenant cannot advertise a router, forge a neighbour entry, or send from an address that is not its own: dropped at its port', () => {
  const ra = { ...ping6(h11, 'ff02::1', LL_H11), eth_dst: '33:33:00:00:00:01', icmpv6_type: ICMPV6_TYPE.ROUTER_ADVERT, ttl: 255 };
  for (const [what, packet, reason] of [
    ['a router advertisement', ra, guard],
    ['an advertisement for a neighbour\'s address', na(h11, v6('h11'), v6('h12'), h12.mac, v6('h12')), guard],
    ['an advertisement for the gateway', na(h11, LL_H11, '2001:db8:0:1::1', h12.mac, v6('h12')), guard],
    ['a solicitation naming a neighbour\'s MAC', ns(h11, v6('h11'), '2001:db8:0:1::1', h12.mac), guard],
    ['a solicitation from a neighbour\'s address', ns(h11, v6('h12'), '2001:db8:0:1::1', h11.mac), guard],
    ['duplicate address detection (from ::)', ns(h11, '::', v6('h12'), undefined), guard],
    ['a ping from a neighbour\'s address', ping6(h11, v6('h31'), v6('h12')), dropped],
    ['a ping from another subnet\'s address', ping6(h11, v6('h31'), '2001:db8:0:3::77'), dropped],
    ['a ping from a neighbour\'s MAC', ping6({ mac: h12.mac }, v6('h31'), v6('h11')), dropped],
  ] as const) {
    const r = trace(net, { switch: 'acc1', port: h11.port }, packet);
    assert.deepEqual([r.result, r.reason, r.hops], ['dropped', reason, []], what);
  }
});

test('link-local traffic stays on its link: never routed; from a host\'s link-local address only its neighbour discovery passes', () => {
  const r = trace(net, { switch: 'acc1', port: h11.port }, ping6(h11, 'fe80::1234'));
  assert.deepEqual([r.result, r.at, r.reason], ['dropped', { switch: 'acc1', port: h11.port }, neverRouted], 'not up the default route');
  const multicast = trace(net, { switch: 'acc1', port: h11.port }, ping6(h11, 'ff0e::1'));
  assert.deepEqual([multicast.result, multicast.at, multicast.reason], ['dropped', { switch: 'acc1', port: h11.port }, neverRouted]);
  const fromLinkLocal = trace(net, { switch: 'acc1', port: h11.port }, ping6(h11, v6('h31'), LL_H11));
  assert.deepEqual([fromLinkLocal.result, fromLinkLocal.reason], ['dropped', dropped]);
});

test('one dual-stack host\'s IPv6 entries, and a switch\'s IPv6 routes: the same shape as IPv4\'s', () => {
  const ctx = fabricContext(topology);
  const h11info = { name: 'h11', mac: h11.mac, ip: h11.ip, ip6: v6('h11'), switch: 'acc1', port: h11.port, declared: true, seen: false };
  const flows = planHost(ctx, h11info).flows;
  const v4only = planHost(ctx, { ...h11info, ip6: undefined }).flows;
  assert.equal(flows.length - v4only.length, 4 + 3 + 9, 'gateway NS for two addresses with and without the option, NS to it, its route, an advertisement built for it addressed to it; its IPv6 and 8 ND port-security entries');
  const addressed = flows.find((f) => f.tableId === TABLE.arpReply && f.match.eth_type === 0x86dd);
  assert.deepEqual(addressed?.match, { in_port: h11.port, eth_src: h11.mac, eth_type: 0x86dd, ip_proto: 58, icmpv6_type: 136 }, 'only an advertisement, only from the port and MAC of the host that asked');
  assert.deepEqual(addressed.instructions, [inst.apply([act.setField('eth_dst', h11.mac), act.setField('eth_src', GATEWAY_MAC), act.setField('ipv6_dst', v6('h11'))]), inst.gotoTable(TABLE.ndReply)]);
  // acc1 reaches every other network up both links: IPv6 as IPv4, one default route; its own prefix dropped where no host entry takes it.
  const routing = planRoutes(ctx, fabricGraph(topology, new Set()), 'acc1').flows.filter((f) => f.match.eth_type === 0x86dd && f.tableId === TABLE.routing);
  const { priority } = PIPELINE.fabric;
  assert.deepEqual(routing.map((f) => [f.priority, f.match.ipv6_dst ?? f.match.in_port, f.instructions]), [
    [priority.subnetDrop, { value: '2001:db8:0:1::', mask: 'ffff:ffff:ffff:ffff::' }, []],
    [priority.subnetDrop, { value: 'fe80::', mask: 'ffc0::' }, []],
    [priority.subnetDrop, { value: 'ff00::', mask: 'ff00::' }, []],
    [priority.defaultRoute, undefined, [inst.apply([act.decNwTtl(), act.group(DEFAULT_ROUTE_GROUP)])]],
    [priority.notUpAgain, 1, []],
    [priority.notUpAgain, 2, []],
  ]);
});
