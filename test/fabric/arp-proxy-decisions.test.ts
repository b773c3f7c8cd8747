import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { OpenFlowServer } from '../../src/controller/openflow-server.js';
import type { PacketProcessor } from '../../src/controller/packet-processors.js';
import { ArpProxy } from '../../src/fabric/arp-proxy.js';
import { MessageType, PortNo, type OfpMessage, type PacketOut } from '../../src/openflow/index.js';
import { ARP_OP, ETH_TYPE, arpFrame, buildEthernet, parseArp, parseEthernet } from '../../src/packet/index.js';
import type { HostInfo } from '../../src/topology/events.js';
import { loadTopology } from '../../src/topology/loader.js';
import { GATEWAY_MAC } from '../../src/topology/model.js';
import type { TopologyService } from '../../src/topology/topology-service.js';
import { memoryLogger } from '../../lab/memory-logger.js';

/**
 * Every decision of the ARP proxy, with the OpenFlow server and the topology stood in, so
 * that what it posts (and that it posts nothing) is seen at once. dc-small: acc1 serves
 * 10.0.1.0/24 (gateway 10.0.1.1), acc2 10.0.2.0/24.
 */

const ACC1 = '0000000000030001';
const ACC2 = '0000000000030002';
const topology = loadTopology('topologies/dc-small.yaml');

const copy = (m: PacketOut): PacketOut => ({ ...m, actions: m.actions.map((a) => ({ ...a })), data: Buffer.from(m.data) });

function rig(hosts: HostInfo[] = []) {
  const posted: Array<{ dpid: string; m: PacketOut }> = [];
  let processor: PacketProcessor | undefined;
  const openflow = {
    // A copy of each message: the gateway reply is one message rebuilt in place each time.
    connection: (dpid: string) => (dpid === ACC1 || dpid === ACC2 ? { post: (m: OfpMessage) => void posted.push({ dpid, m: copy(m as PacketOut) }) } : undefined),
    packetProcessors: {
      add: (_n: string, _p: number, p: PacketProcessor) => {
        processor = p;
        return () => (processor = undefined);
      },
    },
  } as unknown as OpenFlowServer;
  const names: Record<string, string> = { [ACC1]: 'acc1', [ACC2]: 'acc2' };
  const service = {
    declared: topology,
    nameOf: (dpid: string) => names[dpid] ?? dpid,
    hostByIp: (ip: string) => hosts.find((h) => h.ip === ip),
    hostPorts: (sw: string) => (sw === 'acc1' ? [3, 4, 5] : sw === 'acc2' ? [3, 4] : []),
  } as unknown as TopologyService;
  const { logger, lines } = memoryLogger();
  const proxy = new ArpProxy(openflow, service, logger);
  proxy.start();
  const send = (dpid: string, inPort: number | undefined, data: Buffer): void =>
    processor?.(dpid, { type: MessageType.PACKET_IN, xid: 0, bufferId: 0xffffffff, totalLen: data.length, reason: 0, tableId: 0, cookie: 0n, match: inPort === undefined ? {} : { in_port: inPort }, data });
  return { posted, proxy, send, lines, running: () => processor !== undefined };
}

const MAC = '02:00:0a:00:01:32';
const request = (senderIp: string, targetIp: string, op: number = ARP_OP.REQUEST): Buffer => arpFrame({ op, senderMac: MAC, senderIp, targetMac: '00:00:00:00:00:00', targetIp });
const host = (ip: string, sw: string, port: number): HostInfo => ({ name: undefined, mac: '02:00:0a:00:09:09', ip, switch: sw, port, declared: false, seen: true });

test('a gateway request from inside its subnet: the reply from the anycast MAC, out of the port it came in, from the controller', () => {
  const r = rig();
  r.send(ACC1, 4, request('10.0.1.50', '10.0.1.1'));
  assert.equal(r.proxy.answered, 1);
  assert.equal(r.posted.length, 1);
  const { dpid, m } = r.posted[0]!;
  assert.deepEqual([dpid, m.inPort, m.actions], [ACC1, PortNo.CONTROLLER, [{ type: 0, port: 4, maxLen: 0xffff }]]);
  const eth = parseEthernet(m.data);
  assert.deepEqual([eth.dst, eth.src, eth.ethType], [MAC, GATEWAY_MAC, ETH_TYPE.ARP]);
  assert.deepEqual(parseArp(eth.payload), { op: ARP_OP.REPLY, senderMac: GATEWAY_MAC, senderIp: '10.0.1.1', targetMac: MAC, targetIp: '10.0.1.50' });
  // The same gateway at acc2's subnet, from acc2.
  r.send(ACC2, 3, request('10.0.2.7', '10.0.2.1'));
  assert.equal(r.proxy.answered, 2);
  assert.deepEqual(parseArp(parseEthernet(r.posted[1]!.m.data).payload).senderIp, '10.0.2.1');
  assert.deepEqual(r.posted[1]!.m.actions, [{ type: 0, port: 3, maxLen: 0xffff }]);
});

test('not answered as a gateway: from another subnet, a gratuitous claim, a reply, no connection, no port', () => {
  const r = rig();
  r.send(ACC1, 4, request('10.0.1.1', '10.0.1.1'));
  r.send(ACC1, 4, request('10.0.1.50', '10.0.1.1', ARP_OP.REPLY));
  r.send('00000000000000ff', 4, request('10.0.1.50', '10.0.1.1'));
  r.send(ACC1, undefined, request('10.0.1.50', '10.0.1.1'));
  assert.equal(r.proxy.answered, 0);
  assert.equal(r.posted.length, 0, 'and nothing else sent for them either');
  // From another subnet it is no gateway question: the slow path floods it to acc1's host ports (acc1 serves 10.0.1.1's subnet).
  r.send(ACC1, 4, request('10.0.2.50', '10.0.1.1'));
  assert.equal(r.proxy.answered, 0);
  assert.deepEqual(r.posted.map((p) => [p.m.inPort, p.m.actions.map((a) => (a as { port: number }).port)]), [[4, [3, 5]]]);
});

test('slow path: a known host gets the request at its port only if it is here; an unknown address goes to the host ports of its subnet\'s switch only', () => {
  const r = rig([host('10.0.1.20', 'acc1', 5), host('10.0.1.21', 'acc3', 7)]);
  const data = request('10.0.1.50', '10.0.1.20');
  r.send(ACC1, 4, data);
  assert.equal(r.posted.length, 1);
  assert.deepEqual([r.posted[0]!.m.inPort, r.posted[0]!.m.actions], [4, [{ type: 0, port: 5, maxLen: 0xffff }]], 'in_port kept: the request goes on as it came');
  assert.deepEqual(Buffer.from(r.posted[0]!.m.data), data, 'unchanged');
  r.send(ACC1, 4, request('10.0.1.50', '10.0.1.21'));
  assert.equal(r.posted.length, 1, 'a known host elsewhere (a migrated VM) is not searched for by flooding');
  r.send(ACC1, 3, request('10.0.1.50', '10.0.1.99'));
  assert.deepEqual(r.posted[1]!.m.actions.map((a) => (a as { port: number }).port), [4, 5], 'every host port but the one it came in');
  r.send(ACC2, 3, request('10.0.2.50', '10.0.1.99'));
  assert.equal(r.posted.length, 2, 'its subnet is served by acc1, not acc2');
  r.send(ACC1, 3, request('10.0.1.50', '172.16.0.1'));
  assert.equal(r.posted.length, 2, 'an address in no network');
  r.send('00000000000000ff', 3, request('10.0.1.50', '10.0.1.99'));
  assert.equal(r.posted.length, 2, 'a switch with no connection');
  r.send(ACC1, 3, request('10.0.1.50', '10.0.1.50'));
  r.send(ACC1, 3, request('10.0.1.50', '10.0.1.99', ARP_OP.REPLY));
  assert.equal(r.posted.length, 2, 'gratuitous ARPs and replies are for learning only');
});

test('frames that are not ARP requests are left alone; garbage is a debug line; stopped, it answers nothing', () => {
  const r = rig();
  r.send(ACC1, 3, buildEthernet('ff:ff:ff:ff:ff:ff', MAC, ETH_TYPE.IPV4, Buffer.alloc(28)));
  r.send(ACC1, 3, Buffer.from([1, 2, 3]));
  r.send(ACC1, 3, request('10.0.1.50', '10.0.1.1').subarray(0, 30));
  assert.equal(r.posted.length, 0);
  assert.equal(r.lines.filter((l) => l.level === 'debug' && l.message === 'unparsable ARP packet-in').length, 2);
  r.proxy.stop();
  assert.equal(r.running(), false);
});
