import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BehaviorSubject } from 'rxjs';
import { OpenFlowServer } from '../../src/controller/openflow-server.js';
import { MessageType, PortConfig, PortReason, type PacketOut, type Port } from '../../src/openflow/index.js';
import type { TopologyEvent } from '../../src/topology/events.js';
import { loadTopology } from '../../src/topology/loader.js';
import { DEFAULT_TOPOLOGY_OPTIONS, TopologyService, type TopologyOptions } from '../../src/topology/topology-service.js';
import { nextHops } from '../../src/topology/valley-free.js';
import { memoryLogger } from '../../lab/memory-logger.js';
import { ScriptedSwitch, port } from '../../lab/scripted-switch.js';
import { until } from '../../lab/wait.js';

/**
 * The topology service against scripted switches over real TCP (no OVS): exact events for
 * switches, links, port state, LLDP evidence and discrepancies, and what it answers.
 * dc-small: acc1:1 <-> agg1:2 and acc2:1 <-> agg1:3 are the links these tests use.
 */

const ACC1 = 0x30001n;
const ACC2 = 0x30002n;
const AGG1 = 0x20001n;

async function rig(options: Partial<TopologyOptions> = {}) {
  const file = loadTopology('topologies/dc-small.yaml');
  const { logger, lines } = memoryLogger();
  const openflow = new OpenFlowServer(logger);
  // What a cluster's other members reach (empty alone).
  const elsewhere = new BehaviorSubject<ReadonlySet<string>>(new Set());
  const topology = new TopologyService(openflow, file, logger, { ...DEFAULT_TOPOLOGY_OPTIONS, lldpIntervalMs: 60_000, ...options }, undefined, elsewhere);
  const events: TopologyEvent[] = [];
  topology.start();
  const sub = topology.events$.subscribe((e) => events.push(e));
  const { port: of } = await openflow.listen('127.0.0.1', 0);
  const switches: ScriptedSwitch[] = [];
  const connect = async (dpid: bigint, ports: Port[]): Promise<ScriptedSwitch> => {
    const sw = await ScriptedSwitch.connect(of, dpid, [4], (s) => (s.ports = ports));
    switches.push(sw);
    await until(() => topology.switchList().some((s) => s.dpid === dpid.toString(16).padStart(16, '0') && s.connected) || events.some((e) => e.kind === 'switch-up' && e.switch.dpid === dpid.toString(16).padStart(16, '0')), `switch ${dpid.toString(16)} up`);
    return sw;
  };
  const link = (a: string, b: string) => topology.linkList().find((l) => [`${l.a.switch}:${l.a.port}`, `${l.b.switch}:${l.b.port}`].sort().join() === [a, b].sort().join());
  const of_ = <K extends TopologyEvent['kind']>(kind: K) => events.filter((e): e is Extract<TopologyEvent, { kind: K }> => e.kind === kind);
  const close = async (): Promise<void> => {
    sub.unsubscribe();
    for (const s of switches) s.destroy();
    topology.stop();
    await openflow.close();
  };
  return { topology, openflow, events, lines, connect, link, of: of_, close, elsewhere };
}

const ports = (...nos: number[]): Port[] => nos.map((p) => port(p));

test('a declared link comes up when both ends are connected with the port live, and goes down with the reason', async () => {
  const r = await rig();
  try {
    const agg1 = await r.connect(AGG1, ports(1, 2, 3, 4, 5));
    assert.equal(r.link('acc1:1', 'agg1:2')!.up, false, 'one end only');
    await r.connect(ACC1, ports(1, 2, 3));
    await until(() => r.link('acc1:1', 'agg1:2')!.up, 'acc1-agg1 up');
    assert.deepEqual(r.of('switch-up').map((e) => e.switch), [
      { name: 'agg1', dpid: '0000000000020001', tier: 'aggregation', connected: true },
      { name: 'acc1', dpid: '0000000000030001', tier: 'access', connected: true },
    ]);
    assert.deepEqual(r.of('link-up').map((e) => e.link), [{ a: { switch: 'acc1', port: 1 }, b: { switch: 'agg1', port: 2 }, declared: true, confirmed: false, up: true }]);
    assert.deepEqual(nextHops(r.topology.graph(), 'acc1', 'agg1').map((h) => `${h.port}>${h.peer}:${h.peerPort}`), ['1>agg1:2'], 'the graph has the link');
    // The port goes down (link state), then comes back, then is administratively down (config).
    agg1.send({ type: MessageType.PORT_STATUS, xid: 0, reason: PortReason.MODIFY, port: { ...port(2), state: 1 } });
    await until(() => r.of('link-down').length === 1, 'link down');
    assert.deepEqual(r.of('link-down')[0], { kind: 'link-down', link: { a: { switch: 'acc1', port: 1 }, b: { switch: 'agg1', port: 2 }, declared: true, confirmed: false, up: false }, reason: 'port agg1:2 down' });
    assert.deepEqual(nextHops(r.topology.graph(), 'acc1', 'agg1'), [], 'the graph without it');
    agg1.send({ type: MessageType.PORT_STATUS, xid: 0, reason: PortReason.MODIFY, port: port(2) });
    await until(() => r.of('link-up').length === 2, 'link up again');
    agg1.send({ type: MessageType.PORT_STATUS, xid: 0, reason: PortReason.MODIFY, port: { ...port(2), config: PortConfig.PORT_DOWN } });
    await until(() => r.of('link-down').length === 2, 'down by config');
    assert.equal(r.of('link-down')[1]!.reason, 'port agg1:2 down');
    agg1.send({ type: MessageType.PORT_STATUS, xid: 0, reason: PortReason.MODIFY, port: port(2) });
    await until(() => r.of('link-up').length === 3, 'up');
    // A switch leaves: its links go down with it, and it is listed as disconnected.
    agg1.destroy();
    await until(() => r.of('link-down').length === 3, 'down with agg1');
    assert.equal(r.of('link-down')[2]!.reason, 'switch agg1 disconnected');
    assert.deepEqual(r.of('switch-down').map((e) => [e.switch.name, e.switch.connected]), [['agg1', false]]);
    assert.equal(r.topology.switchList().find((s) => s.name === 'agg1')!.connected, false);
    assert.equal(r.topology.switchList().length, 8, 'a declared switch stays listed');
  } finally {
    await r.close();
  }
});

test('a switch the file does not declare is a discrepancy, and is forgotten when it leaves', async () => {
  const r = await rig();
  try {
    const stranger = await r.connect(0x999n, ports(1));
    const d = r.of('discrepancy');
    assert.deepEqual(d.map((e) => [e.discrepancy, e.detail]), [['unknown-switch', 'switch 0000000000000999 connected but topologies/dc-small.yaml does not declare it']]);
    assert.ok(r.topology.switchList().some((s) => s.name === '0000000000000999' && s.tier === undefined));
    assert.equal(r.topology.nameOf('0000000000000999'), '0000000000000999');
    assert.equal(r.topology.nameOf('0000000000030001'), 'acc1');
    stranger.destroy();
    await until(() => !r.topology.switchList().some((s) => s.name === '0000000000000999'), 'forgotten');
    assert.equal(r.topology.switchList().length, 8);
  } finally {
    await r.close();
  }
});

test('host ports: live, not switch-to-switch; none for a switch that is not connected', async () => {
  const r = await rig();
  try {
    await r.connect(ACC1, [port(1), port(2), port(3), { ...port(4), state: 1 }, { ...port(5), config: PortConfig.PORT_DOWN }, port(6), port(0xfffffffe)]);
    assert.deepEqual(r.topology.hostPorts('acc1'), [3, 6], 'ports 1 and 2 are links, 4 and 5 are down, LOCAL is no host port');
    assert.deepEqual(r.topology.hostPorts('acc2'), []);
    assert.deepEqual(r.topology.hostPorts('nosuch'), []);
    assert.equal(r.topology.portLive({ switch: 'acc1', port: 3 }), true);
    assert.equal(r.topology.portLive({ switch: 'acc1', port: 4 }), false);
    assert.equal(r.topology.portLive({ switch: 'acc1', port: 7 }), false, 'no such port');
    assert.equal(r.topology.portLive({ switch: 'acc2', port: 1 }), false, 'switch away');
  } finally {
    await r.close();
  }
});

test('a declared link that no LLDP probe crosses is reported missing once, after three intervals', async () => {
  const r = await rig({ lldpIntervalMs: 50, missingAfterMs: 0 });
  try {
    await r.connect(AGG1, ports(1, 2, 3, 4, 5));
    await r.connect(ACC1, ports(1, 2, 3));
    const t0 = Date.now();
    await until(() => r.of('discrepancy').length > 0, 'missing reported');
    assert.ok(Date.now() - t0 >= 100, 'not before three intervals (less the connect time)');
    assert.deepEqual(r.of('discrepancy').map((e) => [e.discrepancy, e.detail, e.a, e.b]), [['missing', 'acc1:1 <-> agg1:2 is declared, but no LLDP probe crossed it in 150 ms', { switch: 'acc1', port: 1 }, { switch: 'agg1', port: 2 }]]);
    await new Promise((res) => setTimeout(res, 300));
    assert.equal(r.of('discrepancy').length, 1, 'reported once, not at every check');
    assert.ok(r.lines.some((l) => l.level === 'warn' && l.message === 'topology discrepancy: acc1:1 <-> agg1:2 is declared, but no LLDP probe crossed it in 150 ms'));
  } finally {
    await r.close();
  }
});

test('in a cluster a member hears only the probes that reach the switches it masters: a link with neither end mastered here is not reported missing; mastering one end, it is, three intervals after it became master', async () => {
  const r = await rig({ lldpIntervalMs: 50, missingAfterMs: 0 });
  try {
    await r.connect(AGG1, ports(1, 2, 3, 4, 5));
    await r.connect(ACC1, ports(1, 2, 3));
    const conn = (dpid: bigint) => r.openflow.connection(dpid.toString(16).padStart(16, '0'))!;
    // Standby for both, as a cluster's roles make a member at once.
    conn(AGG1).role = 'slave';
    conn(ACC1).role = 'slave';
    await new Promise((res) => setTimeout(res, 400));
    assert.deepEqual(r.of('discrepancy'), [], 'not this member\'s to see');
    conn(ACC1).role = 'master';
    const mastered = Date.now();
    await until(() => r.of('discrepancy').length > 0, 'missing reported by the master of one end');
    assert.ok(Date.now() - mastered >= 140, `not before three intervals of mastership (${Date.now() - mastered} ms)`);
    assert.match(r.of('discrepancy')[0]!.detail, /^acc1:1 <-> agg1:2 is declared, but no LLDP probe crossed it/);
  } finally {
    await r.close();
  }
});

test('in a cluster, a switch with no channel to this member but one to another member keeps its declared links up; reached by no member, they go down; its own channel\'s word wins', async () => {
  const r = await rig();
  try {
    const agg1 = AGG1.toString(16).padStart(16, '0');
    await r.connect(ACC1, ports(1, 2, 3));
    assert.equal(r.link('acc1:1', 'agg1:2')!.up, false, 'agg1 reached by nobody');
    r.elsewhere.next(new Set([agg1]));
    assert.equal(r.link('acc1:1', 'agg1:2')!.up, true, 'agg1 reached by another member');
    assert.deepEqual(nextHops(r.topology.graph(), 'acc1', 'agg1').map((h) => `${h.port}>${h.peer}:${h.peerPort}`), ['1>agg1:2'], 'and routed through');
    assert.equal(r.link('acc2:1', 'agg1:3')!.up, false, 'acc2 reached by nobody');
    r.elsewhere.next(new Set());
    assert.equal(r.link('acc1:1', 'agg1:2')!.up, false, 'the other member lost it too');
    assert.equal(r.of('link-down').at(-1)!.reason, 'switch agg1 disconnected');
    // Connected here, with the port down: this member sees the port, and that is what counts.
    r.elsewhere.next(new Set([agg1]));
    await r.connect(AGG1, [port(1), { ...port(2), state: 1 }, port(3)]);
    assert.equal(r.link('acc1:1', 'agg1:2')!.up, false, 'port agg1:2 down, as its own channel says');
    assert.equal(r.of('link-down').at(-1)!.reason, 'port agg1:2 down');
  } finally {
    await r.close();
  }
});

test('a declared link whose port is down is down, not missing: no discrepancy however long it stays down (a reboot, the end of a live migration)', async () => {
  const r = await rig({ lldpIntervalMs: 50, missingAfterMs: 0 });
  try {
    await r.connect(AGG1, ports(1, 2, 3, 4, 5));
    const acc1 = await r.connect(ACC1, [{ ...port(1), state: 1 }, port(2), port(3)]);
    await new Promise((res) => setTimeout(res, 400));
    assert.deepEqual(r.of('discrepancy'), [], 'acc1:1, down from the start, is not missing after 400 ms (three intervals: 150)');
    assert.ok(r.of('link-down').length === 0 && !r.link('acc1:1', 'agg1:2')!.up, 'the link is down, as it was');
    acc1.send({ type: MessageType.PORT_STATUS, xid: 0, reason: PortReason.MODIFY, port: port(1) });
    await until(() => r.of('discrepancy').length > 0, 'acc1:1, up now and never crossed, reported in its turn');
    assert.match(r.of('discrepancy')[0]!.detail, /^acc1:1 <-> agg1:2 is declared, but no LLDP probe crossed it/);
    acc1.send({ type: MessageType.PORT_STATUS, xid: 0, reason: PortReason.MODIFY, port: { ...port(1), state: 1 } });
    await new Promise((res) => setTimeout(res, 300));
    assert.equal(r.of('discrepancy').length, 1, 'down again: nothing more');
  } finally {
    await r.close();
  }
});

test('LLDP: a probe across a declared link confirms it; across the wrong ports it is a miswiring that takes the declared links down; on a host port it is ignored', async () => {
  const r = await rig();
  try {
    const agg1 = await r.connect(AGG1, ports(1, 2, 3, 4, 5));
    const acc1 = await r.connect(ACC1, ports(1, 2, 3));
    const acc2 = await r.connect(ACC2, ports(1, 2, 3));
    await until(() => r.link('acc1:1', 'agg1:2')!.up && r.link('acc2:1', 'agg1:3')!.up, 'both links up');
    const probeOut = (sw: ScriptedSwitch, p: number): Buffer => [...sw.received].reverse().find((m): m is PacketOut => m.type === MessageType.PACKET_OUT && m.actions.some((a) => a.type === 0 && a.port === p))!.data;
    await until(() => probeOut(agg1, 2) !== undefined && probeOut(agg1, 3) !== undefined, 'probes out of agg1');
    const deliver = (to: ScriptedSwitch, inPort: number, data: Buffer): void => to.send({ type: MessageType.PACKET_IN, xid: 0, bufferId: 0xffffffff, totalLen: data.length, reason: 0, tableId: 0, cookie: 0n, match: { in_port: inPort }, data });
    deliver(acc1, 1, probeOut(agg1, 2));
    await until(() => r.link('acc1:1', 'agg1:2')!.confirmed, 'confirmed');
    assert.ok(r.lines.some((l) => l.message === 'link confirmed by LLDP' && l.link === 'acc1:1 <-> agg1:2' && l.declared === true));
    // The probe from agg1:2 arrives at acc2:1: the cable is in the wrong port.
    deliver(acc2, 1, probeOut(agg1, 2));
    await until(() => r.of('discrepancy').some((e) => e.discrepancy === 'miswired'), 'miswired');
    assert.deepEqual(r.of('discrepancy').filter((e) => e.discrepancy === 'miswired').map((e) => e.detail), ['LLDP sees agg1:2 <-> acc2:1; the file declares acc1:1 <-> agg1:2 and acc2:1 <-> agg1:3']);
    await until(() => !r.link('acc2:1', 'agg1:3')!.up, 'the declared links of those ports down');
    assert.equal(r.of('link-down').find((e) => e.link.a.switch === 'acc2')!.reason, 'miswired');
    assert.ok(r.link('acc2:1', 'agg1:2')?.declared === false, 'the link LLDP sees is listed, undeclared');
    // LLDP on a host port (acc1:3) is never evidence.
    const before = r.topology.linkList().length;
    deliver(acc1, 3, probeOut(agg1, 3));
    await until(() => r.lines.some((l) => l.message === 'LLDP on a port the topology does not declare as a link; ignored'), 'warned');
    assert.equal(r.topology.linkList().length, before);
  } finally {
    await r.close();
  }
});

test('a late subscriber first gets what exists now: connected switches, links up, hosts', async () => {
  const r = await rig();
  try {
    await r.connect(AGG1, ports(1, 2, 3, 4, 5));
    await r.connect(ACC1, ports(1, 2, 3));
    await until(() => r.link('acc1:1', 'agg1:2')!.up, 'up');
    const replay: TopologyEvent[] = [];
    r.topology.events$.subscribe((e) => replay.push(e)).unsubscribe();
    assert.deepEqual(replay.filter((e) => e.kind === 'switch-up').map((e) => (e as { switch: { name: string } }).switch.name), ['agg1', 'acc1']);
    assert.deepEqual(replay.filter((e) => e.kind === 'link-up').length, 1);
    assert.deepEqual(replay.filter((e) => e.kind === 'host-added').length, r.topology.hostList().length);
    assert.ok(r.topology.hostList().length > 0, 'dc-small declares hosts');
    assert.deepEqual(replay.map((e) => e.kind).filter((k, i, a) => a.indexOf(k) === i), ['switch-up', 'link-up', 'host-added'], 'in that order');
    const page = r.topology.hostPage(1, 2);
    assert.deepEqual([page.hosts.length, page.total], [2, r.topology.hostList().length]);
    assert.deepEqual(page.hosts, r.topology.hostList().slice(1, 3));
    const h = r.topology.hostList()[0]!;
    assert.deepEqual(r.topology.hostByIp(h.ip!), h);
    assert.deepEqual(r.topology.hostByMac(h.mac), h);
    assert.equal(r.topology.hostByIp('10.9.9.9'), undefined);
  } finally {
    await r.close();
  }
});

test('allConnected counts declared switches only, once each however often they connect; graph$ gathers the link changes of a few milliseconds into one graph, and graph() is never behind', async () => {
  const file = loadTopology('topologies/dc-small.yaml');
  const r = await rig();
  const graphs: unknown[] = [];
  const sub = r.topology.graph$.subscribe((g) => graphs.push(g));
  try {
    assert.equal(r.topology.allConnected(), false);
    const declared = file.switches.map((s) => BigInt(`0x${s.dpid}`));
    const portsOf = (name: string) => ports(...new Set(file.links.flatMap((l) => [l.a, l.b]).filter((e) => e.switch === name).map((e) => e.port)));
    const sws = [];
    for (const [i, dpid] of declared.entries()) {
      sws.push(await r.connect(dpid, portsOf(file.switches[i]!.name)));
      assert.equal(r.topology.allConnected(), i === declared.length - 1, `after ${i + 1} of ${declared.length}`);
    }
    // A switch the file does not declare neither completes nor spoils it.
    await r.connect(0xfeedn, ports(1));
    assert.equal(r.topology.allConnected(), true);
    await until(() => r.topology.linkList().every((l) => l.up), 'every link up');
    assert.equal(r.topology.graph().adjacency.get('agg1')!.length, 5, 'graph() has every link at once');
    await until(() => graphs.at(-1) === r.topology.graph(), 'graph$ caught up');
    assert.ok(graphs.length < file.links.length, `${graphs.length} graphs for ${file.links.length} links coming up`);
    // One declared switch leaves, and comes back.
    sws[0]!.destroy();
    await until(() => !r.topology.switchList().find((s) => s.name === file.switches[0]!.name)!.connected, 'gone');
    assert.equal(r.topology.allConnected(), false);
    await r.connect(declared[0]!, portsOf(file.switches[0]!.name));
    await until(() => r.topology.switchList().every((s) => s.connected), 'back');
    assert.equal(r.topology.allConnected(), true);
  } finally {
    sub.unsubscribe();
    await r.close();
  }
});
