import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MessageType, PortNo, type OfpMessage, type PacketOut } from '../../src/openflow/index.js';
import { ARP_OP, arpFrame, parseArp, parseEthernet } from '../../src/packet/index.js';
import { ArpProxy } from '../../src/fabric/arp-proxy.js';
import { GATEWAY_MAC } from '../../src/topology/model.js';
import { loadTopology } from '../../src/topology/loader.js';
import { TopologyService } from '../../src/topology/topology-service.js';
import { until, next } from '../../lab/wait.js';
import { startController } from '../../lab/controller.js';
import { ScriptedSwitch, port as switchPort } from '../../lab/scripted-switch.js';
import { memoryLogger } from '../../lab/memory-logger.js';

/** The ARP proxy's fast path, driven byte by byte by a scripted acc1 (10.0.1.0/24, gateway 10.0.1.1) over real TCP. */

const request = (senderIp: string, targetIp: string, mac = '02:00:0a:00:01:32'): Buffer =>
  arpFrame({ op: ARP_OP.REQUEST, senderMac: mac, senderIp, targetMac: '00:00:00:00:00:00', targetIp });

/** The same request with an 802.1Q tag (VLAN 7) after the MAC addresses. */
function tagged(frame: Buffer): Buffer {
  return Buffer.concat([frame.subarray(0, 12), Buffer.from([0x81, 0x00, 0x00, 0x07]), frame.subarray(12)]);
}

const packetOuts = (received: OfpMessage[]): PacketOut[] => received.filter((m): m is PacketOut => m.type === MessageType.PACKET_OUT);

/** The proxy and the topology on dc-small, with a scripted acc1 connected. */
async function withAcc1(): Promise<{ server: Awaited<ReturnType<typeof startController>>['server']; arp: ArpProxy; acc1: ScriptedSwitch; close: () => Promise<void> }> {
  const { server, port } = await startController();
  const { logger } = memoryLogger();
  const topology = new TopologyService(server, loadTopology('topologies/dc-small.yaml'), logger);
  const arp = new ArpProxy(server, topology, logger);
  topology.start();
  arp.start();
  const up = next(server.switchUp$, 'acc1 up');
  const acc1 = await ScriptedSwitch.connect(port, 0x30001n);
  await up;
  return {
    server, arp, acc1,
    close: async () => {
      acc1.destroy();
      arp.stop();
      topology.stop();
      await server.close();
    },
  };
}

test('only an untagged request from inside the subnet for its own gateway is answered, with the anycast MAC, back where it came from', async () => {
  const { server, arp, acc1, close } = await withAcc1();
  try {
    const send = (data: Buffer, inPort = 3): void =>
      acc1.send({ type: MessageType.PACKET_IN, xid: 0, bufferId: 0xffffffff, totalLen: data.length, reason: 0, tableId: 0, cookie: 0n, match: { in_port: inPort }, data });
    send(request('10.0.2.50', '10.0.1.1')); // from another subnet
    send(request('10.0.1.1', '10.0.1.1')); // a gratuitous ARP claiming the gateway's address
    send(tagged(request('10.0.1.50', '10.0.1.1'))); // tagged
    send(request('10.0.1.50', '10.0.2.1')); // another subnet's gateway
    send(request('10.0.1.50', '10.0.1.1').subarray(0, 30)); // cut short: not even ARP to parse
    send(request('10.0.1.51', '10.0.1.1', '02:00:0a:00:01:33'), 4); // the one to answer
    await until(() => arp.answered === 1 && packetOuts(acc1.received).length >= 1, 'the gateway reply');
    await new Promise((r) => setTimeout(r, 100)); // nothing else comes after it
    const outs = packetOuts(acc1.received);
    assert.equal(outs.length, 1, 'exactly one PACKET_OUT');
    const reply = outs[0]!;
    assert.deepEqual(reply.actions, [{ type: 0, port: 4, maxLen: 0xffff }]);
    const eth = parseEthernet(reply.data);
    assert.deepEqual([eth.dst, eth.src], ['02:00:0a:00:01:33', GATEWAY_MAC]);
    assert.deepEqual(parseArp(eth.payload), { op: ARP_OP.REPLY, senderMac: GATEWAY_MAC, senderIp: '10.0.1.1', targetMac: '02:00:0a:00:01:33', targetIp: '10.0.1.51' });
    assert.equal(server.connected.size, 1, 'the switch is still connected');
  } finally {
    await close();
  }
});

test('slow path: a request for a known host goes to its port only; for an unknown address only to the host ports of its subnet\'s switch', async () => {
  const { server, port } = await startController();
  const { logger } = memoryLogger();
  const file = loadTopology('topologies/dc-small.yaml');
  const topology = new TopologyService(server, file, logger);
  const arp = new ArpProxy(server, topology, logger);
  topology.start();
  arp.start();
  const portsOf = (sw: string): number[] => [...new Set([...file.links.flatMap((l) => [l.a, l.b]), ...file.hosts].filter((e) => e.switch === sw).map((e) => e.port))];
  const connect = async (dpid: bigint, name: string, extra: number[]): Promise<ScriptedSwitch> => {
    const up = next(server.switchUp$, `${name} up`, 5000, (s) => s.dpid === dpid.toString(16).padStart(16, '0'));
    const sw = await ScriptedSwitch.connect(port, dpid, [4], (s) => (s.ports = [...portsOf(name), ...extra].map((p) => switchPort(p, `${name}-eth${p}`))));
    await up;
    return sw;
  };
  try {
    const acc1 = await connect(0x30001n, 'acc1', [9]);
    // OFPP_MAX is the highest port number a switch may use; LOCAL (its own interface) is no host port.
    const acc3 = await connect(0x30003n, 'acc3', [7, PortNo.MAX, PortNo.LOCAL]);
    const send = (sw: ScriptedSwitch, data: Buffer, inPort: number): void =>
      sw.send({ type: MessageType.PACKET_IN, xid: 0, bufferId: 0xffffffff, totalLen: data.length, reason: 0, tableId: 0, cookie: 0n, match: { in_port: inPort }, data });
    // ARP packet-outs only (LLDP probes go out too).
    const outs = (sw: ScriptedSwitch): number[][] =>
      packetOuts(sw.received).filter((p) => p.data.readUInt16BE(12) === 0x0806).map((p) => p.actions.map((a) => (a.type === 0 ? a.port : -1)));
    // h11 (acc1:3) asks for h12 (10.0.1.11, acc1:4, declared): delivered to acc1:4 only.
    send(acc1, request('10.0.1.10', '10.0.1.11', '02:00:0a:00:01:0a'), 3);
    await until(() => outs(acc1).length === 1, 'the request for h12 forwarded');
    assert.deepEqual(outs(acc1), [[4]]);
    // h31 (acc3:3) asks for 10.0.3.77, which nobody declared: every host port of acc3 but its own, no uplink.
    send(acc3, request('10.0.3.10', '10.0.3.77', '02:00:0a:00:03:0a'), 3);
    await until(() => outs(acc3).length === 1, 'the request flooded to acc3\'s host ports');
    assert.deepEqual(outs(acc3)[0]!.sort((a, b) => a - b), [4, 7, PortNo.MAX]);
    // h11 asks acc1 for an address of acc3's subnet: acc1 serves not that subnet, so nothing goes out anywhere.
    send(acc1, request('10.0.1.10', '10.0.3.77', '02:00:0a:00:01:0a'), 3);
    // Nor for h31, known but attached at acc3; nor for a reply, a gratuitous ARP, an IPv4 packet, a packet-in without in_port.
    send(acc1, request('10.0.1.10', '10.0.3.10', '02:00:0a:00:01:0a'), 3);
    send(acc1, arpFrame({ op: ARP_OP.REPLY, senderMac: '02:00:0a:00:01:0a', senderIp: '10.0.1.10', targetMac: '02:00:0a:00:01:0b', targetIp: '10.0.1.11' }), 3);
    send(acc1, request('10.0.1.10', '10.0.1.10', '02:00:0a:00:01:0a'), 3);
    send(acc1, Buffer.concat([request('10.0.1.10', '10.0.1.11').subarray(0, 12), Buffer.from([0x08, 0x00]), Buffer.alloc(28)]), 3);
    acc1.send({ type: MessageType.PACKET_IN, xid: 0, bufferId: 0xffffffff, totalLen: 42, reason: 0, tableId: 0, cookie: 0n, match: {}, data: request('10.0.1.10', '10.0.1.11') });
    const echo = await server.connection('0000000000030001')!.request({ type: MessageType.ECHO_REQUEST, xid: 0, data: Buffer.alloc(0) });
    assert.ok(echo);
    assert.deepEqual([outs(acc1).length, outs(acc3).length], [1, 1]);
    acc1.destroy();
    acc3.destroy();
  } finally {
    arp.stop();
    topology.stop();
    await server.close();
  }
});

test('stopped, the proxy answers nothing', async () => {
  const { server, arp, acc1, close } = await withAcc1();
  arp.stop();
  try {
    const data = request('10.0.1.51', '10.0.1.1', '02:00:0a:00:01:33');
    acc1.send({ type: MessageType.PACKET_IN, xid: 0, bufferId: 0xffffffff, totalLen: data.length, reason: 0, tableId: 0, cookie: 0n, match: { in_port: 4 }, data });
    const echo = await server.connection('0000000000030001')!.request({ type: MessageType.ECHO_REQUEST, xid: 0, data: Buffer.alloc(0) });
    assert.ok(echo);
    assert.equal(arp.answered, 0);
    assert.deepEqual(packetOuts(acc1.received).filter((p) => p.data.readUInt16BE(12) === 0x0806), []);
  } finally {
    await close();
  }
});
