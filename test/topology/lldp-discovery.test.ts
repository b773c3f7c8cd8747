import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OpenFlowServer } from '../../src/controller/openflow-server.js';
import { MessageType, type PacketOut } from '../../src/openflow/index.js';
import { loadTopology } from '../../src/topology/loader.js';
import { DEFAULT_TOPOLOGY_OPTIONS, TopologyService } from '../../src/topology/topology-service.js';
import { memoryLogger } from '../../lab/memory-logger.js';
import { ScriptedSwitch, port } from '../../lab/scripted-switch.js';
import { until } from '../../lab/wait.js';

/** LLDP discovery's timing, with acc2 and agg1 scripted: the cable acc2:1 <-> agg1:3 is the test's own hands. */
test('a link is confirmed by a probe, expires no sooner than three intervals after the last one, and is forgotten when a switch leaves', async () => {
  const interval = 250;
  const file = loadTopology('topologies/dc-small.yaml');
  const { logger } = memoryLogger();
  const openflow = new OpenFlowServer(logger);
  const topology = new TopologyService(openflow, file, logger, { ...DEFAULT_TOPOLOGY_OPTIONS, lldpIntervalMs: interval });
  topology.start();
  const { port: of } = await openflow.listen('127.0.0.1', 0);
  const acc2 = await ScriptedSwitch.connect(of, 0x30002n, [4], (s) => (s.ports = [1, 2, 3].map((p) => port(p))));
  const agg1 = await ScriptedSwitch.connect(of, 0x20001n, [4], (s) => (s.ports = [1, 2, 3, 4, 5].map((p) => port(p))));
  const link = () => topology.linkList().find((l) => [`${l.a.switch}:${l.a.port}`, `${l.b.switch}:${l.b.port}`].sort().join() === 'acc2:1,agg1:3')!;
  try {
    await until(() => link().up, 'the declared link up (both ports live)');
    assert.equal(link().confirmed, false, 'up without LLDP, not confirmed');
    const latestProbe = (): PacketOut => [...agg1.received].reverse().find((m): m is PacketOut => m.type === MessageType.PACKET_OUT && m.actions.some((a) => a.type === 0 && a.port === 3))!;
    await until(() => latestProbe() !== undefined, 'a probe out of agg1:3');
    const deliver = (): void => {
      const data = latestProbe().data;
      acc2.send({ type: MessageType.PACKET_IN, xid: 0, bufferId: 0xffffffff, totalLen: data.length, reason: 0, tableId: 0, cookie: 0n, match: { in_port: 1 }, data });
    };
    let lastDelivery = Date.now();
    const deliverNow = (): void => {
      deliver();
      lastDelivery = Date.now();
    };
    deliverNow();
    await until(() => link().confirmed, 'confirmed');
    // Delivered more often than the interval, it stays confirmed over many intervals.
    const t0 = Date.now();
    while (Date.now() - t0 < 6 * interval) {
      deliverNow();
      await new Promise((r) => setTimeout(r, interval / 5));
    }
    assert.equal(link().confirmed, true, 'still confirmed after six intervals of probes');
    // Not delivered any more: it expires, and never sooner than three intervals after the last probe
    // (a lower bound holds however slow the machine; an upper one would not).
    await until(() => !link().confirmed, 'expired', 20 * interval);
    assert.ok(Date.now() - lastDelivery >= 3 * interval, `expired ${Date.now() - lastDelivery} ms after the last probe`);
    assert.equal(link().up, true, 'expiry does not take a declared link down: port state does');
    // Confirmed again, then agg1 leaves: the observation is forgotten at once and the link is down.
    deliverNow();
    await until(() => link().confirmed, 'confirmed again');
    agg1.destroy();
    await until(() => !link().up && !link().confirmed, 'forgotten with its switch', 5 * interval);
  } finally {
    acc2.destroy();
    agg1.destroy();
    topology.stop();
    await openflow.close();
  }
});

test('a declared link whose probes stop (its far end\'s master died, in a cluster) is reported missing only once none crossed it for the whole wait', async () => {
  const interval = 100;
  const file = loadTopology('topologies/dc-small.yaml');
  const { logger, lines } = memoryLogger();
  const openflow = new OpenFlowServer(logger);
  const topology = new TopologyService(openflow, file, logger, { ...DEFAULT_TOPOLOGY_OPTIONS, lldpIntervalMs: interval, missingAfterMs: 0 });
  topology.start();
  const { port: of } = await openflow.listen('127.0.0.1', 0);
  const acc2 = await ScriptedSwitch.connect(of, 0x30002n, [4], (s) => (s.ports = [1, 2, 3].map((p) => port(p))));
  const agg1 = await ScriptedSwitch.connect(of, 0x20001n, [4], (s) => (s.ports = [1, 2, 3, 4, 5].map((p) => port(p))));
  const link = () => topology.linkList().find((l) => [`${l.a.switch}:${l.a.port}`, `${l.b.switch}:${l.b.port}`].sort().join() === 'acc2:1,agg1:3')!;
  const missing = (): number => lines.filter((l) => String(l.message).startsWith('topology discrepancy: acc2:1 <-> agg1:3')).length;
  try {
    const latestProbe = (): PacketOut | undefined => [...agg1.received].reverse().find((m): m is PacketOut => m.type === MessageType.PACKET_OUT && m.actions.some((a) => a.type === 0 && a.port === 3));
    await until(() => latestProbe() !== undefined, 'a probe out of agg1:3');
    const data = latestProbe()!.data;
    acc2.send({ type: MessageType.PACKET_IN, xid: 0, bufferId: 0xffffffff, totalLen: data.length, reason: 0, tableId: 0, cookie: 0n, match: { in_port: 1 }, data });
    await until(() => link().confirmed, 'confirmed');
    await until(() => !link().confirmed, 'expired: no more probes', 20 * interval);
    const lost = Date.now();
    await until(() => missing() > 0, 'reported missing in the end', 30 * interval);
    assert.ok(Date.now() - lost >= 3 * interval - 20, `not before the whole wait (3 intervals) since it expired: ${Date.now() - lost} ms`);
  } finally {
    acc2.destroy();
    agg1.destroy();
    topology.stop();
    await openflow.close();
  }
});
