import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PIPELINE, TABLE } from '../../src/controller/pipeline.js';
import { offlineNetwork } from '../../src/fabric/trace-service.js';
import { planPortSecurity } from '../../src/fabric/port-security.js';
import { PortNo, act, inst } from '../../src/openflow/index.js';
import { ARP_OP } from '../../src/packet/arp.js';
import { loadTopology } from '../../src/topology/loader.js';
import { GATEWAY_MAC } from '../../src/topology/model.js';
import { trace } from '../../src/topology/trace.js';

/**
 * Port security in the switch, checked with `svcswitch trace` over the planned tables of
 * dc-small: what a tenant on a host port can put on the fabric. (The same in Open vSwitch:
 * test/fabric/port-security.e2e.test.ts.)
 */

const topology = loadTopology('topologies/dc-small.yaml');
const { net } = offlineNetwork(topology);
const h11 = topology.hosts.find((h) => h.name === 'h11')!;
const h12 = topology.hosts.find((h) => h.name === 'h12')!;
const h31 = topology.hosts.find((h) => h.name === 'h31')!;
const icmp = (src: { mac: string; ip: string }, dst: string) => ({ eth_src: src.mac, eth_dst: GATEWAY_MAC, eth_type: 0x0800, ipv4_src: src.ip, ipv4_dst: dst, ip_proto: 1, icmpv4_type: 8, icmpv4_code: 0, ttl: 64 });
const arp = (op: number, sha: string, spa: string, tpa: string, ethSrc = sha) => ({ eth_src: ethSrc, eth_dst: 'ff:ff:ff:ff:ff:ff', eth_type: 0x0806, arp_op: op, arp_sha: sha, arp_spa: spa, arp_tha: '00:00:00:00:00:00', arp_tpa: tpa });
const PS = `dropped by portSecurity (table ${TABLE.ingress}, priority ${PIPELINE.portSecurity.priority.drop})`;

test('a host sends with its own MAC and address: delivered across the fabric', () => {
  const r = trace(net, { switch: 'acc1', port: h11.port }, icmp(h11, h31.ip));
  assert.deepEqual([r.result, r.at], ['delivered', { switch: 'acc3', port: h31.port }]);
});

test('a forged IPv4 source (a neighbour\'s address, another subnet\'s, a gateway) or a forged source MAC is dropped at the tenant\'s own port', () => {
  for (const [what, src] of [
    ['a neighbour\'s address', { mac: h11.mac, ip: h12.ip }],
    ['another subnet\'s address', { mac: h11.mac, ip: '10.0.3.77' }],
    ['the gateway\'s address', { mac: h11.mac, ip: '10.0.1.1' }],
    ['a neighbour\'s MAC', { mac: h12.mac, ip: h11.ip }],
    ['the anycast gateway MAC', { mac: GATEWAY_MAC, ip: h11.ip }],
  ] as const) {
    const r = trace(net, { switch: 'acc1', port: h11.port }, icmp(src, h31.ip));
    assert.deepEqual([r.result, r.at, r.reason, r.hops], ['dropped', { switch: 'acc1', port: h11.port }, PS, []], what);
  }
});

test('an ARP with a forged sender never reaches another host: it goes to the controller only; the host\'s own ARP is answered in the switch or delivered', () => {
  // A gratuitous ARP claiming h12's address, or the gateway's, or with the gateway MAC as sender.
  for (const [sha, spa] of [[h11.mac, h12.ip], [h11.mac, '10.0.1.1'], [GATEWAY_MAC, '10.0.1.77']] as const) {
    const r = trace(net, { switch: 'acc1', port: h11.port }, arp(ARP_OP.REQUEST, sha, spa, h12.ip, h11.mac));
    assert.deepEqual([r.result, r.hops.map((h) => h.outPort)], ['controller', ['controller']], `${sha} ${spa}`);
    assert.equal(r.hops.length, 1);
  }
  const own = trace(net, { switch: 'acc1', port: h11.port }, arp(ARP_OP.REQUEST, h11.mac, h11.ip, h12.ip));
  assert.deepEqual([own.result, own.at], ['delivered', { switch: 'acc1', port: h12.port }], 'its own ARP for a neighbour reaches the neighbour');
  const gw = trace(net, { switch: 'acc1', port: h11.port }, arp(ARP_OP.REQUEST, h11.mac, h11.ip, '10.0.1.1'));
  assert.deepEqual([gw.result, gw.hops[0]?.outPort, gw.hops[0]?.packet.eth_src], ['delivered', h11.port, GATEWAY_MAC], 'its gateway ARP is answered by the switch');
});

test('a frame from an unknown MAC on a host port: IPv4 dropped, ARP to the controller (learning), RARP on to the controller (announcement)', () => {
  const stranger = { mac: '02:66:66:66:66:66', ip: '10.0.1.66' };
  assert.equal(trace(net, { switch: 'acc1', port: 9 }, icmp(stranger, h31.ip)).reason, PS);
  assert.equal(trace(net, { switch: 'acc1', port: 9 }, arp(ARP_OP.REQUEST, stranger.mac, stranger.ip, '10.0.1.1')).result, 'controller');
  assert.equal(trace(net, { switch: 'acc1', port: 9 }, { ...arp(ARP_OP.RARP_REQUEST, stranger.mac, '0.0.0.0', '0.0.0.0'), eth_type: 0x8035, arp_tha: stranger.mac }).result, 'controller');
});

test('every switch\'s port security: its switch-to-switch ports and the controller go on; nothing else without a host entry', () => {
  const acc1 = planPortSecurity(topology, 'acc1');
  assert.deepEqual(acc1.flows.map((f) => [f.priority, f.match, f.instructions]), [
    [PIPELINE.portSecurity.priority.trusted, { in_port: 1 }, [inst.gotoTable(TABLE.forwarding)]],
    [PIPELINE.portSecurity.priority.trusted, { in_port: 2 }, [inst.gotoTable(TABLE.forwarding)]],
    [PIPELINE.portSecurity.priority.trusted, { in_port: PortNo.CONTROLLER }, [inst.gotoTable(TABLE.forwarding)]],
    [PIPELINE.portSecurity.priority.announcement, { eth_type: 0x8035 }, [inst.gotoTable(TABLE.forwarding)]],
    [PIPELINE.portSecurity.priority.learn, { eth_type: 0x0806 }, [inst.apply([act.output(PortNo.CONTROLLER)])]],
    // The ND guard: router advertisements, solicitations and advertisements that are no host's own (test/fabric/ipv6-fabric.test.ts).
    ...[134, 135, 136].map((type) => [PIPELINE.portSecurity.priority.ndGuard, { eth_type: 0x86dd, ip_proto: 58, icmpv6_type: type }, []]),
    // Above the guard: an unsolicited advertisement to all nodes from a port not its sender's, to the controller only (a migrated guest's announcement).
    [PIPELINE.portSecurity.priority.ndAnnouncement, { eth_type: 0x86dd, ip_proto: 58, icmpv6_type: 136, ipv6_dst: 'ff02::1' }, [inst.apply([act.output(PortNo.CONTROLLER)])]],
    [PIPELINE.portSecurity.priority.drop, {}, []],
  ]);
  assert.ok(acc1.flows.every((f) => f.tableId === TABLE.ingress && f.cookie === PIPELINE.portSecurity.cookie));
  // A core switch has only switch-to-switch ports: all of them go on.
  assert.deepEqual(planPortSecurity(topology, 'core1').flows.filter((f) => f.priority === PIPELINE.portSecurity.priority.trusted).map((f) => f.match.in_port), [1, 2, 3, PortNo.CONTROLLER]);
});
