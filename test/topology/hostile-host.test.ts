import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { OpenFlowServer } from '../../src/controller/openflow-server.js';
import { MessageType, type PacketOut } from '../../src/openflow/index.js';
import { ARP_OP, ETH_TYPE, arpFrame, buildEthernet, buildLldp } from '../../src/packet/index.js';
import type { TopologyEvent } from '../../src/topology/events.js';
import { loadTopology } from '../../src/topology/loader.js';
import { DEFAULT_TOPOLOGY_OPTIONS, TopologyService } from '../../src/topology/topology-service.js';
import { memoryLogger } from '../../lab/memory-logger.js';
import { ScriptedSwitch, port } from '../../lab/scripted-switch.js';
import { until } from '../../lab/wait.js';

/**
 * What a tenant's VM can send the controller (its frames arrive as packet-ins at a host
 * port), against the topology service of dc-small, with acc2, agg1 and agg2 as scripted
 * switches over TCP. acc2:1 and acc2:2 are acc2's declared uplinks; acc2:3 is h21's port.
 */

const topology = loadTopology('topologies/dc-small.yaml');
const { logger, lines } = memoryLogger();
const openflow = new OpenFlowServer(logger);
const service = new TopologyService(openflow, topology, logger, { ...DEFAULT_TOPOLOGY_OPTIONS, lldpIntervalMs: 200, hosts: { ...DEFAULT_TOPOLOGY_OPTIONS.hosts, perPort: 16 } });
const events: TopologyEvent[] = [];
const switches: Record<string, ScriptedSwitch> = {};
let ofPort = 0;
const dpidOf = (name: string): bigint => BigInt(`0x${topology.switches.find((s) => s.name === name)!.dpid}`);

before(async () => {
  service.events$.subscribe((e) => events.push(e));
  service.start();
  const { port: of } = await openflow.listen('127.0.0.1', 0);
  ofPort = of;
  const portsOf = (name: string): number[] => [
    ...new Set([...topology.links.flatMap((l) => [l.a, l.b]), ...topology.hosts].filter((e) => e.switch === name).map((e) => e.port)),
  ];
  for (const name of ['acc2', 'agg1', 'agg2']) {
    switches[name] = await ScriptedSwitch.connect(of, dpidOf(name), [4], (s) => (s.ports = portsOf(name).map((p) => port(p))));
  }
  await until(() => service.linkList().filter((l) => l.up).length === 2, 'acc2 uplinks up');
});

after(async () => {
  for (const s of Object.values(switches)) s.destroy();
  service.stop();
  await openflow.close();
});

const packetIn = (sw: string, inPort: number, data: Buffer): void =>
  switches[sw]!.send({ type: MessageType.PACKET_IN, xid: 0, bufferId: 0xffffffff, totalLen: data.length, reason: 0, tableId: 0, cookie: 0n, match: { in_port: inPort }, data });
const acc2Uplinks = (): boolean[] => service.linkList().filter((l) => l.a.switch === 'acc2' || l.b.switch === 'acc2').map((l) => l.up);
/** Waits until the controller has read everything sent so far: an echo answered comes after it. */
const drained = async (sw: string): Promise<void> => {
  const conn = openflow.connection(dpidOf(sw).toString(16).padStart(16, '0'))!;
  await conn.request({ type: MessageType.ECHO_REQUEST, xid: 0, data: Buffer.alloc(0) });
};

test('LLDP from a host port naming acc2\'s uplinks changes no link (it is not even read)', async () => {
  const before = events.length;
  const key = Buffer.alloc(32, 9); // a key of the attacker's own: it cannot know the controller's
  for (let i = 0; i < 20; i++) {
    for (const p of [1, 2]) packetIn('acc2', 3, buildLldp({ dpid: topology.switches.find((s) => s.name === 'agg1')!.dpid, port: p, ttlSeconds: 3 }, '02:00:0a:00:02:0a', { key, sentAtMs: Date.now() }));
  }
  await drained('acc2');
  assert.deepEqual(acc2Uplinks(), [true, true]);
  assert.deepEqual(events.slice(before).filter((e) => e.kind === 'discrepancy' || e.kind === 'link-down'), []);
  const warned = lines.filter((l) => l.message === 'LLDP on a port the topology does not declare as a link; ignored');
  assert.ok(warned.length >= 1 && warned.length <= 5, `${warned.length} lines`);
});

test('forged LLDP on a declared uplink (no signature, or a wrong one) is refused; a genuine probe is taken', async () => {
  const before = events.length;
  const agg1 = topology.switches.find((s) => s.name === 'agg1')!.dpid;
  // Pretend agg1:9 is at acc2:1: that would make acc2:1-agg1:3 miswired (and down).
  packetIn('acc2', 1, buildLldp({ dpid: agg1, port: 9, ttlSeconds: 3 }, '02:00:00:00:00:01'));
  packetIn('acc2', 1, buildLldp({ dpid: agg1, port: 9, ttlSeconds: 3 }, '02:00:00:00:00:01', { key: Buffer.alloc(32), sentAtMs: Date.now() }));
  await drained('acc2');
  assert.deepEqual(acc2Uplinks(), [true, true]);
  assert.deepEqual(events.slice(before).filter((e) => e.kind === 'discrepancy'), []);
  assert.ok(lines.some((l) => /^LLDP probe not signed by this controller/.test(String(l.message))));
  // The controller's own probe out of agg1:3, delivered at acc2:1 (what the cable does), confirms the link.
  const probe = await until(() => switches.agg1!.received.some((m) => m.type === MessageType.PACKET_OUT && (m as PacketOut).actions.some((a) => a.type === 0 && a.port === 3)), 'a probe out of agg1:3', 5000)
    .then(() => switches.agg1!.received.find((m): m is PacketOut => m.type === MessageType.PACKET_OUT && m.actions.some((a) => a.type === 0 && a.port === 3))!);
  packetIn('acc2', 1, probe.data);
  await until(() => service.linkList().some((l) => l.confirmed && [l.a.switch, l.b.switch].sort().join() === 'acc2,agg1'), 'acc2-agg1 confirmed');
  // The same genuine probe replayed at a host port is not taken.
  const confirmedBefore = service.linkList().filter((l) => l.confirmed).length;
  packetIn('acc2', 3, probe.data);
  await drained('acc2');
  assert.equal(service.linkList().filter((l) => l.confirmed).length, confirmedBefore);
  // Probes went out of declared link ports only, never out of a host port.
  const outPorts = new Set(switches.acc2!.received.flatMap((m) => (m.type === MessageType.PACKET_OUT ? m.actions.flatMap((a) => (a.type === 0 ? [a.port] : [])) : [])));
  assert.deepEqual([...outPorts].sort(), [1, 2]);
});

test('an LLDP flood of random chassis and port ids leaves the link table as it was, and the controller answers', async () => {
  const links = service.linkList().length;
  const started = Date.now();
  for (let i = 0; i < 3000; i++) {
    const dpid = (Math.random() * 2 ** 48).toString(16).padStart(16, '0').slice(0, 16);
    packetIn('acc2', 1 + (i % 2), buildLldp({ dpid, port: i, ttlSeconds: 3 }, '02:00:00:00:00:01', { key: Buffer.alloc(32, i & 255), sentAtMs: Date.now() }));
  }
  await drained('acc2');
  assert.equal(service.linkList().length, links);
  assert.deepEqual(acc2Uplinks(), [true, true]);
  assert.ok(Date.now() - started < 20_000);
});

test('random source MACs from one host port fill only that port\'s share of the host table', async () => {
  const before = service.hostList().length;
  for (let i = 0; i < 2000; i++) {
    const mac = `02:${[i >> 16, i >> 8, i, 7, 7].map((b) => (b & 255).toString(16).padStart(2, '0')).join(':')}`;
    packetIn('acc2', 4, buildEthernet('ff:ff:ff:ff:ff:ff', mac, 0x88b5, Buffer.alloc(46)));
  }
  await drained('acc2');
  const atPort = service.hostList().filter((h) => h.switch === 'acc2' && h.port === 4);
  // h22 (declared at acc2:4) plus 15 learned: the limit of 16 per port.
  assert.equal(atPort.length, 16);
  assert.equal(service.hostList().length, before + 15);
  const refusals = events.filter((e) => e.kind === 'host-refused' && e.at.port === 4);
  assert.equal(refusals.length, 2000 - 15);
  const logged = lines.filter((l) => l.message === 'host sighting refused').length;
  assert.ok(logged <= 5, `${logged} lines for ${refusals.length} refusals`);
});

test('an ARP whose sender MAC is not the frame\'s source is refused', async () => {
  const h21 = topology.hosts.find((h) => h.name === 'h21')!;
  const before = events.length;
  const spoof = arpFrame({ op: ARP_OP.REPLY, senderMac: h21.mac, senderIp: h21.ip, targetMac: '02:00:0a:00:02:0b', targetIp: '10.0.2.11' });
  spoof.write('020000ee0001', 6, 'hex'); // the attacker's own MAC as the Ethernet source
  packetIn('acc2', 4, spoof);
  await drained('acc2');
  const e = events.slice(before).find((x) => x.kind === 'host-refused');
  assert.equal(e?.kind === 'host-refused' && e.reason, `ARP names ${h21.mac}, but the frame comes from 02:00:00:ee:00:01`);
  assert.equal(service.hostByIp(h21.ip)?.port, h21.port);
  assert.equal(ETH_TYPE.ARP, spoof.readUInt16BE(12));
});

test('undeclared switches are forgotten when they leave', async () => {
  // Without an admission rule on this server, a made-up dpid gets in, and leaves no trace when it goes.
  const ghost = await ScriptedSwitch.connect(ofPort, 0xdeadn);
  await until(() => service.switchList().some((s) => s.dpid === '000000000000dead'), 'ghost listed');
  ghost.destroy();
  await until(() => !service.switchList().some((s) => s.dpid === '000000000000dead'), 'ghost forgotten');
  assert.equal(service.switchList().length, topology.switches.length);
});
