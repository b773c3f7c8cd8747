import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MessageType, type OfpMessage, type PacketOut } from '../../src/openflow/index.js';
import { icmpv6Frame, parseEthernet, parseIcmpv6, parseIpv6 } from '../../src/packet/index.js';
import { RouterAdverts } from '../../src/fabric/router-adverts.js';
import { GATEWAY_LINK_LOCAL, GATEWAY_MAC } from '../../src/topology/model.js';
import { loadTopology } from '../../src/topology/loader.js';
import { TopologyService } from '../../src/topology/topology-service.js';
import { until, next } from '../../lab/wait.js';
import { startController } from '../../lab/controller.js';
import { ScriptedSwitch } from '../../lab/scripted-switch.js';
import { memoryLogger } from '../../lab/memory-logger.js';

/** The fabric's router advertisements (issue 25), driven by a scripted acc1 of dual-stack dc-small over real TCP. */

const H11 = { mac: '02:00:0a:00:01:0a', port: 3, ll: 'fe80::ff:fe00:10' };
const H12 = { mac: '02:00:0a:00:01:0b', port: 4 };
const packetOuts = (received: OfpMessage[]): PacketOut[] => received.filter((m): m is PacketOut => m.type === MessageType.PACKET_OUT);
const solicitation = (mac: string, src: string): Buffer => icmpv6Frame({ srcMac: mac, dstMac: '33:33:00:00:00:02', src, dst: 'ff02::2' }, { kind: 'router-solicit', options: src === '::' ? [] : [{ kind: 'source-lla', mac }] });

/** What an advertisement sent as a PACKET_OUT says, parsed as a host would. */
function advert(out: PacketOut) {
  const eth = parseEthernet(out.data);
  const { header, body } = parseIpv6(eth.payload);
  return { port: (out.actions[0] as { port: number }).port, ethSrc: eth.src, ethDst: eth.dst, src: header.src, dst: header.dst, hopLimit: header.hopLimit, msg: parseIcmpv6(header, body) };
}

async function withAcc1(clock: { now: number }) {
  const { server, port } = await startController();
  const { logger } = memoryLogger();
  const topology = new TopologyService(server, loadTopology('topologies/dc-small.yaml'), logger);
  const ras = new RouterAdverts(server, topology, logger, { intervalMs: 3_600_000, minIntervalMs: 1_000 }, () => clock.now);
  topology.start();
  ras.start();
  const up = next(server.switchUp$, 'acc1 up');
  const acc1 = await ScriptedSwitch.connect(port, 0x30001n);
  await up;
  const send = (data: Buffer, inPort: number): void =>
    acc1.send({ type: MessageType.PACKET_IN, xid: 0, bufferId: 0xffffffff, totalLen: data.length, reason: 0, tableId: 1, cookie: 0n, match: { in_port: inPort }, data });
  return { ras, acc1, send, close: async () => { acc1.destroy(); ras.stop(); topology.stop(); await server.close(); } };
}

test('a dual-stack host\'s router solicitation is answered at its port: the gateway\'s link-local address and MAC, its network\'s prefix on-link, no autoconfiguration', async () => {
  const clock = { now: 1_000_000 };
  const { ras, acc1, send, close } = await withAcc1(clock);
  try {
    send(solicitation(H11.mac, H11.ll), H11.port);
    await until(() => packetOuts(acc1.received).length >= 1, 'the advertisement');
    const a = advert(packetOuts(acc1.received)[0]!);
    assert.deepEqual([a.port, a.ethSrc, a.ethDst, a.src, a.dst, a.hopLimit], [H11.port, GATEWAY_MAC, H11.mac, GATEWAY_LINK_LOCAL, H11.ll, 255]);
    assert.deepEqual(a.msg, {
      kind: 'router-advert', curHopLimit: 64, managed: false, other: false, routerLifetime: 1800, reachableTimeMs: 0, retransTimerMs: 0,
      options: [
        { kind: 'source-lla', mac: GATEWAY_MAC },
        { kind: 'prefix', prefix: '2001:db8:0:1::', length: 64, onLink: true, autonomous: false, validLifetime: 2_592_000, preferredLifetime: 604_800 },
      ],
    });
    // From the unspecified address (no link-local yet): to all nodes.
    clock.now += 5_000;
    send(solicitation(H12.mac, '::'), H12.port);
    await until(() => packetOuts(acc1.received).length >= 2, 'the second advertisement');
    const b = advert(packetOuts(acc1.received)[1]!);
    assert.deepEqual([b.port, b.ethDst, b.dst], [H12.port, '33:33:00:00:00:01', 'ff02::1']);
    assert.equal(ras.sent.solicited, 2);
  } finally {
    await close();
  }
});

test('a flood of solicitations from one port gets one advertisement a second; a stranger, a host at another port, or a broken frame gets none', async () => {
  const clock = { now: 1_000_000 };
  const { ras, acc1, send, close } = await withAcc1(clock);
  try {
    for (let i = 0; i < 100; i++) send(solicitation(H11.mac, H11.ll), H11.port);
    send(solicitation('02:66:66:66:66:66', 'fe80::66'), 9); // nobody the fabric knows
    send(solicitation(H12.mac, 'fe80::12'), H11.port); // h12's MAC at h11's port
    send(solicitation(H11.mac, H11.ll).subarray(0, 60), H11.port); // cut short
    await until(() => ras.sent.limited >= 99, 'the flood counted');
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(packetOuts(acc1.received).length, 1);
    clock.now += 1_000;
    send(solicitation(H11.mac, H11.ll), H11.port);
    await until(() => packetOuts(acc1.received).length === 2, 'one more a second later');
    assert.deepEqual(ras.sent, { solicited: 2, unsolicited: 0, limited: 99 });
  } finally {
    await close();
  }
});

test('an unsolicited round advertises to every dual-stack host at its port, on the switches that are connected', async () => {
  const clock = { now: 1_000_000 };
  const { ras, acc1, close } = await withAcc1(clock);
  try {
    assert.equal(ras.advertiseAll(), 2, 'h11 and h12 on acc1, the only switch connected');
    await until(() => packetOuts(acc1.received).length === 2, 'two advertisements');
    const sent = packetOuts(acc1.received).map(advert);
    assert.deepEqual(sent.map((a) => [a.port, a.dst, a.ethDst]), [[3, 'ff02::1', '33:33:00:00:00:01'], [4, 'ff02::1', '33:33:00:00:00:01']]);
  } finally {
    await close();
  }
});
