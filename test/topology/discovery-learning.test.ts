import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { OpenFlowServer } from '../../src/controller/openflow-server.js';
import type { PacketProcessor } from '../../src/controller/packet-processors.js';
import { MessageType, PortNo, type OfpMessage, type PacketOut, type Port } from '../../src/openflow/index.js';
import { ARP_OP, ETH_TYPE, arpFrame, buildEthernet, buildLldp, parseEthernet, parseLldp } from '../../src/packet/index.js';
import type { HostRefusal } from '../../src/topology/host-store.js';
import { ChurnLimit } from '../../src/topology/churn-limit.js';
import { HostLearning } from '../../src/topology/host-learning.js';
import { HostPolicy } from '../../src/topology/host-policy.js';
import { DEFAULT_HOST_LIMITS, HostTracker } from '../../src/topology/host-tracker.js';
import { LldpDiscovery, type Observation } from '../../src/topology/lldp-discovery.js';
import { loadTopology } from '../../src/topology/loader.js';
import { memoryLogger } from '../../lab/memory-logger.js';
import { icmpv6Frame } from '../../src/packet/icmpv6.js';
import { port } from '../../lab/scripted-switch.js';
import { until } from '../../lab/wait.js';

/** LLDP discovery and host learning with the OpenFlow server stood in: exact probes, verdicts, observations and hosts. */

/** A stand-in for the server: switches that record what is sent to them, and the packet-in chain's one processor. */
function server(dpids: string[], ports: Port[] = []) {
  const sent = new Map<string, OfpMessage[]>(dpids.map((d) => [d, []]));
  const connection = (dpid: string) => (sent.has(dpid) ? { ports, send: async (m: OfpMessage) => void sent.get(dpid)!.push(m) } : undefined);
  let processor: PacketProcessor | undefined;
  const openflow = {
    connection,
    get connected() {
      return new Map(dpids.map((d) => [d, connection(d)!]));
    },
    packetProcessors: {
      add: (_name: string, _priority: number, p: PacketProcessor) => {
        processor = p;
        return () => (processor = undefined);
      },
    },
  } as unknown as OpenFlowServer;
  return { openflow, sent, deliver: (dpid: string, inPort: number, data: Buffer) => processor?.(dpid, { type: MessageType.PACKET_IN, xid: 0, bufferId: 0xffffffff, totalLen: data.length, reason: 0, tableId: 0, cookie: 0n, match: { in_port: inPort }, data }), hasProcessor: () => processor !== undefined };
}

const A = '000000000000000a';
const B = '000000000000000b';
const probesOf = (msgs: OfpMessage[] | undefined): PacketOut[] => (msgs ?? []).filter((m): m is PacketOut => m.type === MessageType.PACKET_OUT);

test('a probe goes out of each live, allowed, real port, with a TTL of three intervals rounded up (1 s at least)', () => {
  const s = server([A]);
  const allowed = (dpid: string, p: number): boolean => dpid === A && p !== 3;
  const d = new LldpDiscovery(s.openflow, memoryLogger().logger, 2500, () => {}, () => {}, allowed);
  d.probe(A, [port(1), { ...port(2), state: 1 }, port(3), port(PortNo.MAX), port(0xfffffffe)]);
  const out = probesOf(s.sent.get(A));
  assert.deepEqual(out.map((m) => [m.inPort, m.actions]), [[PortNo.CONTROLLER, [{ type: 0, port: 1, maxLen: 0xffff }]], [PortNo.CONTROLLER, [{ type: 0, port: PortNo.MAX, maxLen: 0xffff }]]]);
  const probe = parseLldp(parseEthernet(out[0]!.data).payload)!;
  assert.deepEqual([probe.dpid, probe.port, probe.ttlSeconds], [A, 1, 8]);
  assert.equal(parseEthernet(out[0]!.data).src, port(1).hwAddr, 'from the port\'s own MAC');
  const fast = new LldpDiscovery(s.openflow, memoryLogger().logger, 100, () => {}, () => {});
  fast.probe(A, [port(4)]);
  assert.equal(parseLldp(parseEthernet(probesOf(s.sent.get(A)).at(-1)!.data).payload)!.ttlSeconds, 1);
  d.probe(B, [port(1)]);
  assert.equal(s.sent.has(B), false, 'a switch not connected: nothing, no error');
});

test('received probes: accepted once as evidence, refreshed after; forged, foreign and past the table are refused', () => {
  const s = server([A, B]);
  const seen: Observation[] = [];
  const d = new LldpDiscovery(s.openflow, memoryLogger().logger, 1000, (o) => seen.push(o), () => {}, () => true, 2);
  d.probe(A, [port(1), port(2), port(3)]);
  const frames = probesOf(s.sent.get(A)).map((m) => parseEthernet(m.data));
  assert.equal(d.receive(B, 7, frames[0]!), 'accepted');
  assert.deepEqual(seen, [{ from: { dpid: A, port: 1 }, to: { dpid: B, port: 7 } }]);
  assert.equal(d.receive(B, 7, frames[0]!), 'accepted', 'again: a refresh');
  assert.equal(seen.length, 1, 'evidence once');
  assert.equal(d.receive(B, 8, frames[1]!), 'accepted');
  assert.equal(d.receive(B, 9, frames[2]!), 'table-full', 'at most two observations');
  assert.equal(seen.length, 2);
  assert.equal(d.receive(B, 7, frames[0]!), 'accepted', 'a known one is still refreshed when the table is full');
  const other = new LldpDiscovery(s.openflow, memoryLogger().logger, 1000, () => {}, () => {});
  assert.equal(other.receive(B, 1, frames[0]!), 'forged', 'signed by another controller');
  const unsigned = parseEthernet(buildEthernet('01:80:c2:00:00:0e', '02:00:00:00:00:01', ETH_TYPE.LLDP, Buffer.from([0x02, 0x01, 0x07])));
  assert.equal(d.receive(B, 1, unsigned), 'foreign', 'not a probe of ours at all');
});

test('forget: every observation touching a port, or a whole switch, and no other; each reported expired', () => {
  const s = server([A, B]);
  const expired: Observation[] = [];
  const d = new LldpDiscovery(s.openflow, memoryLogger().logger, 1000, () => {}, (o) => expired.push(o));
  d.probe(A, [port(1), port(2)]);
  d.probe(B, [port(3)]);
  const [a1, a2] = probesOf(s.sent.get(A)).map((m) => parseEthernet(m.data));
  const [b3] = probesOf(s.sent.get(B)).map((m) => parseEthernet(m.data));
  d.receive(B, 1, a1!); // A:1 > B:1
  d.receive(B, 2, a2!); // A:2 > B:2
  d.receive(A, 5, b3!); // B:3 > A:5
  d.forget(B, 2);
  assert.deepEqual(expired, [{ from: { dpid: A, port: 2 }, to: { dpid: B, port: 2 } }], 'only what touches B:2');
  d.forget(A, 9);
  assert.equal(expired.length, 1, 'a port nothing touches');
  d.forget('00000000000000cc');
  assert.equal(expired.length, 1, 'a switch nothing touches');
  d.forget(A);
  assert.deepEqual(expired.slice(1), [{ from: { dpid: A, port: 1 }, to: { dpid: B, port: 1 } }, { from: { dpid: B, port: 3 }, to: { dpid: A, port: 5 } }], 'as sender or receiver');
  assert.equal(d.receive(B, 1, a1!), 'accepted', 'seen again after');
});

test('each interval probes every connected switch and expires what was not seen for three; stop ends both', async () => {
  const s = server([A], [port(1)]);
  const expired: Observation[] = [];
  const interval = 40;
  const d = new LldpDiscovery(s.openflow, memoryLogger().logger, interval, () => {}, (o) => expired.push(o));
  d.start();
  try {
    await until(() => probesOf(s.sent.get(A)).length >= 2, 'probed by the timer');
    const at = Date.now();
    d.receive(A, 9, parseEthernet(probesOf(s.sent.get(A)).at(-1)!.data));
    await until(() => expired.length === 1, 'expired', 10_000);
    assert.ok(Date.now() - at >= 3 * interval, `not before three intervals (${Date.now() - at} ms)`);
    assert.deepEqual(expired, [{ from: { dpid: A, port: 1 }, to: { dpid: A, port: 9 } }]);
  } finally {
    d.stop();
  }
  const count = probesOf(s.sent.get(A)).length;
  await new Promise((r) => setTimeout(r, 4 * interval));
  assert.equal(probesOf(s.sent.get(A)).length, count, 'no probe after stop');
});

// ---------------------------------------------------------------------------------------

const topology = loadTopology('topologies/dc-small.yaml');
const ACC1 = topology.switches.find((s) => s.name === 'acc1')!.dpid;

function learning() {
  const s = server([ACC1]);
  const store = new HostTracker(new HostPolicy(topology), DEFAULT_HOST_LIMITS);
  const { logger, lines } = memoryLogger();
  const l = new HostLearning(s.openflow, store, (dpid) => (dpid === ACC1 ? 'acc1' : dpid), (at) => at.switch === 'acc1' && at.port <= 2, logger);
  const refused: HostRefusal[] = [];
  l.refused$.subscribe((r) => refused.push(r));
  l.start();
  return { s, store, lines, refused, l };
}

const MAC = '02:00:0a:00:01:63';
const ipv4 = (src: string): Buffer => {
  const b = Buffer.alloc(20);
  b[0] = 0x45;
  b.writeUInt16BE(20, 2);
  b[8] = 64;
  b[9] = 17;
  for (const [i, o] of src.split('.').entries()) b[12 + i] = Number(o);
  for (const [i, o] of [10, 0, 1, 1].entries()) b[16 + i] = o;
  return b;
};

test('host learning: the sender of an ARP and the source of an IPv4 packet, with their address; a RARP or an unspecified source teaches the place only', () => {
  const r = learning();
  r.s.deliver(ACC1, 5, arpFrame({ op: ARP_OP.REQUEST, senderMac: MAC, senderIp: '10.0.1.99', targetMac: '00:00:00:00:00:00', targetIp: '10.0.1.1' }));
  assert.deepEqual([r.store.byMac(MAC)?.ip, r.store.byMac(MAC)?.switch, r.store.byMac(MAC)?.port], ['10.0.1.99', 'acc1', 5]);
  const mac2 = '02:00:0a:00:01:64';
  r.s.deliver(ACC1, 6, buildEthernet('02:53:56:00:00:01', mac2, ETH_TYPE.IPV4, ipv4('10.0.1.98')));
  assert.deepEqual([r.store.byMac(mac2)?.ip, r.store.byMac(mac2)?.port], ['10.0.1.98', 6]);
  const mac3 = '02:00:0a:00:01:65';
  r.s.deliver(ACC1, 7, buildEthernet('ff:ff:ff:ff:ff:ff', mac3, ETH_TYPE.IPV4, ipv4('0.0.0.0')));
  assert.deepEqual([r.store.byMac(mac3)?.ip, r.store.byMac(mac3)?.port], [undefined, 7], 'DHCP-like: a place, no address');
  const mac4 = '02:00:0a:00:01:66';
  r.s.deliver(ACC1, 8, arpFrame({ op: ARP_OP.RARP_REQUEST, senderMac: mac4, senderIp: '0.0.0.0', targetMac: mac4, targetIp: '0.0.0.0' }));
  assert.deepEqual([r.store.byMac(mac4)?.ip, r.store.byMac(mac4)?.port], [undefined, 8], 'QEMU\'s RARP names its MAC as target');
  const mac5 = '02:00:0a:00:01:67';
  r.s.deliver(ACC1, 9, arpFrame({ op: ARP_OP.REQUEST, senderMac: mac5, senderIp: '0.0.0.0', targetMac: '00:00:00:00:00:00', targetIp: '10.0.1.50' }));
  assert.deepEqual([r.store.byMac(mac5)?.ip, r.store.byMac(mac5)?.port], [undefined, 9], 'an ARP probe (sender 0.0.0.0)');
  assert.equal(r.refused.length, 0);
  r.l.stop();
  assert.equal(r.s.hasProcessor(), false, 'stop takes the processor out of the chain');
});

test('host learning ignores fabric ports, LLDP and packet-ins without a port; refuses (and counts) group source MACs and an ARP naming another MAC; survives garbage', () => {
  const r = learning();
  const arp = (mac: string, ip: string) => arpFrame({ op: ARP_OP.REQUEST, senderMac: mac, senderIp: ip, targetMac: '00:00:00:00:00:00', targetIp: '10.0.1.1' });
  r.s.deliver(ACC1, 2, arp(MAC, '10.0.1.99'));
  assert.equal(r.store.byMac(MAC), undefined, 'acc1:2 joins two switches');
  r.s.deliver(ACC1, 5, buildLldp({ dpid: ACC1, port: 1, ttlSeconds: 3 }, MAC));
  assert.equal(r.store.byMac(MAC), undefined, 'LLDP is no host');
  r.s.deliver(ACC1, 5, arp('03:00:0a:00:01:63', '10.0.1.99'));
  assert.equal(r.store.byMac('03:00:0a:00:01:63'), undefined, 'a group address is nobody\'s source');
  const spoof = arpFrame({ op: ARP_OP.REPLY, senderMac: '02:00:0a:00:01:0a', senderIp: '10.0.1.10', targetMac: MAC, targetIp: '10.0.1.99' });
  const frame = Buffer.from(spoof);
  Buffer.from([0x02, 0x00, 0x0a, 0x00, 0x01, 0x63]).copy(frame, 6);
  r.s.deliver(ACC1, 5, frame);
  assert.deepEqual(r.refused.map((x) => [x.mac, x.reason, `${x.at.switch}:${x.at.port}`]), [
    ['03:00:0a:00:01:63', '03:00:0a:00:01:63 is a multicast address: never learned', 'acc1:5'],
    [MAC, 'ARP names 02:00:0a:00:01:0a, but the frame comes from 02:00:0a:00:01:63', 'acc1:5'],
  ]);
  assert.deepEqual(Object.fromEntries(r.l.refusals), { 'reserved-mac': 1, 'spoofed-sender': 1 });
  assert.ok(r.lines.some((l) => l.level === 'warn' && l.message === 'host sighting refused' && l.reason === 'ARP names 02:00:0a:00:01:0a, but the frame comes from 02:00:0a:00:01:63'));
  r.s.deliver(ACC1, 5, Buffer.from([1, 2, 3]));
  assert.ok(r.lines.some((l) => l.level === 'debug' && l.message === 'unparsable packet-in'), 'a short frame is a debug line, not a crash');
  const size = r.store.size;
  const s = r.s;
  // No in_port at all.
  const data = arp('02:00:0a:00:01:70', '10.0.1.70');
  (r.l as unknown as { packetIn: PacketProcessor }).packetIn(ACC1, { type: MessageType.PACKET_IN, xid: 0, bufferId: 0xffffffff, totalLen: data.length, reason: 0, tableId: 0, cookie: 0n, match: {}, data });
  assert.equal(r.store.size, size, 'no port, no place');
  s.deliver(ACC1, 5, data);
  assert.equal(r.store.size, size + 1, 'the same frame with a port is learned');
});

test('one gratuitous ARP with the anycast gateway MAC as source (or the all-zero MAC) is refused and counted, never learned', () => {
  const r = learning();
  for (const mac of ['02:53:56:00:00:01', '00:00:00:00:00:00']) {
    r.s.deliver(ACC1, 5, arpFrame({ op: ARP_OP.REQUEST, senderMac: mac, senderIp: '10.0.1.77', targetMac: '00:00:00:00:00:00', targetIp: '10.0.1.77' }));
    assert.equal(r.store.byMac(mac), undefined, mac);
  }
  assert.equal(r.store.byIp('10.0.1.77'), undefined);
  assert.deepEqual(Object.fromEntries(r.l.refusals), { 'reserved-mac': 2 });
  r.l.stop();
});

test('one port inventing MACs and addresses: past its churn budget its frames are refused before they change anything; other ports still learn, and the port earns its budget back', () => {
  let now = 1_000_000;
  const s = server([ACC1]);
  const store = new HostTracker(new HostPolicy(topology), DEFAULT_HOST_LIMITS);
  const { logger, lines } = memoryLogger();
  const churn = new ChurnLimit(10, 5, 100, () => now);
  const l = new HostLearning(s.openflow, store, () => 'acc1', () => false, logger, churn);
  l.start();
  const arp = (mac: string, ip: string) => arpFrame({ op: ARP_OP.REQUEST, senderMac: mac, senderIp: ip, targetMac: '00:00:00:00:00:00', targetIp: '10.0.1.1' });
  // 64 MACs, a random address each, 1,000 frames.
  for (let i = 0; i < 1000; i++) s.deliver(ACC1, 7, arp(`02:00:00:00:07:${(i % 64).toString(16).padStart(2, '0')}`, `10.0.1.${20 + (i % 150)}`));
  const changedAt7 = store.all().filter((h) => h.port === 7).length;
  assert.ok(changedAt7 <= 10, `${changedAt7} hosts at acc1:7: at most its burst of 10`);
  assert.ok((l.refusals.get('churn') ?? 0) >= 980, `${l.refusals.get('churn')} refused for churn`);
  assert.ok(lines.filter((x) => x.message === 'host sighting refused').length <= 5, 'the refusals are logged a few at a time');
  s.deliver(ACC1, 8, arp('02:00:00:00:08:01', '10.0.1.180'));
  assert.equal(store.byMac('02:00:00:00:08:01')?.port, 8, 'another port learns as before');
  now += 1000;
  s.deliver(ACC1, 7, arp('02:00:00:00:07:f0', '10.0.1.190'));
  assert.equal(store.byMac('02:00:00:00:07:f0')?.port, 7, 'a second later the port may change again');
  l.stop();
  store.stop();
});

test('the churn budget: a burst, then so many a second; the table of ports is bounded, idle ports forgotten first', () => {
  let now = 0;
  const c = new ChurnLimit(3, 2, 4, () => now);
  for (let i = 0; i < 3; i++) {
    assert.equal(c.allows('a'), true);
    c.take('a');
  }
  assert.equal(c.allows('a'), false);
  now += 499;
  assert.equal(c.allows('a'), false, 'not yet a whole change earned');
  now += 1;
  assert.equal(c.allows('a'), true);
  for (const p of ['b', 'c', 'd', 'e', 'f']) c.take(p);
  assert.ok(c.size <= 4, `${c.size} ports kept`);
});

test('a dual-stack host\'s unsolicited neighbour advertisement of its own IPv6 address (or a link-local one) teaches its place, as a RARP does; one for another address, naming another MAC, or from a host without that address is refused as spoofed', () => {
  const r = learning();
  const vm = { name: 'vm', mac: '02:00:0a:00:01:3c', ip: '10.0.1.60', ip6: '2001:db8:0:1::60', switch: 'acc1', port: 5 };
  r.store.declare(vm);
  const na = (mac: string, target: string, lla = mac) => icmpv6Frame({ srcMac: mac, dstMac: '33:33:00:00:00:01', src: target, dst: 'ff02::1', hopLimit: 255 }, { kind: 'neighbor-advert', target, router: false, solicited: false, override: true, options: [{ kind: 'target-lla', mac: lla }] });
  r.s.deliver(ACC1, 5, na(vm.mac, vm.ip6));
  assert.deepEqual([r.refused.length, r.store.byMac(vm.mac)?.seen, r.store.byMac(vm.mac)?.ip], [0, true, vm.ip], 'seen where it is declared, its address kept');
  r.s.deliver(ACC1, 5, na(vm.mac, 'fe80::3c'));
  assert.equal(r.refused.length, 0, 'its link-local address too (declared nowhere: a guest advertises it beside its global one)');
  r.s.deliver(ACC1, 5, na(vm.mac, '2001:db8:0:1::11'));
  r.s.deliver(ACC1, 5, na(vm.mac, vm.ip6, '02:00:0a:00:01:0b'));
  r.s.deliver(ACC1, 6, na('02:00:0a:00:01:3d', vm.ip6));
  assert.deepEqual(r.refused.map((x) => [x.rule, x.reason]), [
    ['spoofed-sender', '02:00:0a:00:01:3c advertises 2001:db8:0:1::11, which is not its address (2001:db8:0:1::60)'],
    ['spoofed-sender', 'the advertisement names 02:00:0a:00:01:0b, but the frame comes from 02:00:0a:00:01:3c'],
    ['spoofed-sender', '02:00:0a:00:01:3d advertises 2001:db8:0:1::60, which is not its address'],
  ]);
  assert.equal(r.store.byMac('02:00:0a:00:01:3d'), undefined, 'the claimant is not learned');
  r.l.stop();
});
