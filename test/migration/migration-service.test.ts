import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { TopologyEvent } from '../../src/topology/events.js';
import type { DEFAULT_CONFIG } from '../../src/app/config.js';
import { PIPELINE } from '../../src/controller/pipeline.js';
import { ActionType, GroupType, MessageType, PortNo, PortReason, type PacketOut } from '../../src/openflow/index.js';
import { ETH_TYPE, parseEthernet } from '../../src/packet/ethernet.js';
import { ARP_OP, arpFrame, parseArp } from '../../src/packet/arp.js';
import { parseIcmpv6 } from '../../src/packet/icmpv6.js';
import { parseIpv6 } from '../../src/packet/ipv6.js';
import { GATEWAY_MAC } from '../../src/topology/model.js';
import { type ScriptedSwitch, holdBarriers, port as switchPort } from '../../lab/scripted-switch.js';
import { held, migrationRig, RIG_TOPOLOGY, type Rig } from '../../lab/migration-rig.js';
import { until } from '../../lab/wait.js';
import { icmpEchoFrame } from '../../lab/frames.js';

/**
 * The migration's life cycle through the REST API, against scripted switches with real flow
 * and group tables (no OVS): what a prepared migration holds, what refuses it (in flight,
 * pool exhausted, a switch not connected) and what a rollback gives back.
 */

const topology = RIG_TOPOLOGY;
const H11 = '10.0.1.10';
const H12 = '10.0.1.11';
const H21 = '10.0.2.10';
const { min: GROUP_MIN } = PIPELINE.migration.groups;
/** Announcements alone may migrate here (--migrations any) unless a test says otherwise: this file tests when they are believed. */
const rig = (timeoutMs: number, migration: Partial<typeof DEFAULT_CONFIG.migration> = {}): Promise<Rig> => migrationRig(timeoutMs, { migration: { trigger: 'any', ...migration } });

const nothing = { flows: [], groups: [] };

/** `req`'s VM migrated orchestrated and completed: its binding active there. */
async function bound(r: Rig, req: { hoa: string; switch: string; port: number; mode?: 'mobile-ip' | 'optimized' | 'first-hop' }): Promise<void> {
  const m = await r.app.migration.migrate(req);
  r.app.migration.complete(m.id);
  await until(() => r.app.migration.bindings.get(req.hoa)?.state === 'active', `${req.hoa} bound at ${req.switch}:${req.port}`);
}


test('a prepared migration holds its CoA, the Foreign entries and the bicast; in flight, a second request and a DELETE of its binding are 409, an exhausted pool is 409, and none of them changes anything', async () => {
  const r = await rig(60_000);
  try {
    const first = await r.call('POST', '/api/migrations', { hoa: H11, switch: 'acc3', port: 5 });
    assert.equal(first.status, 201);
    assert.deepEqual([first.body.status, (first.body.to as { coa: string }).coa, first.body.mode], ['prepared', '10.0.3.200', 'mobile-ip']);
    // Confirmed by barrier before the 201: the tables already hold it.
    const acc1 = held(r.tables.get('acc1')!);
    assert.deepEqual(acc1.groups, [GROUP_MIN, GROUP_MIN + 1, GROUP_MIN + 2, GROUP_MIN + 3], 'the Home switch bicasts (host side, fabric side) in IPv4 and in IPv6: the VM is dual-stack');
    assert.ok([...r.tables.get('acc1')!.groups.values()].every((g) => g.groupType === GroupType.ALL));
    assert.ok(held(r.tables.get('acc3')!).flows.some((f) => f.startsWith(`${PIPELINE.migration.priority.toCoa} `) && f.includes('"ipv4_dst":"10.0.3.200"')), 'the Foreign switch restores the CoA');
    assert.deepEqual(held(r.tables.get('acc2')!), nothing, 'acc2 plays no part');
    assert.equal(r.app.migration.coaFree('net3'), 1);
    const bindings = await r.call('GET', '/api/bindings');
    const acc2Mods = r.tables.get('acc2')!.log.length;

    for (const [req, message] of [
      [{ hoa: H11, switch: 'acc3', port: 6 }, /already in flight/],
      [{ hoa: H11, switch: 'acc2', port: 5 }, /already in flight/],
    ] as const) {
      const again = await r.call('POST', '/api/migrations', req);
      assert.equal(again.status, 409, JSON.stringify(req));
      assert.match(String(again.body.error), message);
    }
    const del = await r.call('DELETE', `/api/bindings/${H11}`);
    assert.equal(del.status, 409);
    assert.match(String(del.body.error), /in flight; cancel it first/);

    // net3's second and last CoA, then none left.
    assert.equal((await r.call('POST', '/api/migrations', { hoa: H12, switch: 'acc3', port: 6 })).status, 201);
    const groupsHeld = r.app.migration.bicastGroupsInUse;
    assert.equal(groupsHeld, 2, 'a bicast pair for each migration in flight');
    const exhausted = await r.call('POST', '/api/migrations', { hoa: H21, switch: 'acc3', port: 7 });
    assert.equal(exhausted.status, 409);
    assert.equal(r.app.migration.bicastGroupsInUse, groupsHeld, 'the pair taken for the refused VM is given back');
    assert.match(String(exhausted.body.error), /net3/);
    assert.equal((await r.call('GET', `/api/bindings/${H21}`)).status, 404, 'no binding for the refused VM');
    assert.equal(r.app.migration.migrations().filter((m) => m.hoa === H21).length, 0, 'no migration recorded for it');
    assert.equal(r.app.migration.coaFree('net3'), 0);
    assert.deepEqual(held(r.tables.get('acc2')!), nothing, 'the refused VM\'s Home switch got nothing');
    assert.deepEqual(r.app.migration.bindings.get(H11)?.coa, '10.0.3.200', 'h11 keeps its CoA');
    assert.equal(((await r.call('GET', '/api/bindings')).body as unknown as unknown[]).length, (bindings.body as unknown as unknown[]).length + 1, 'only h12\'s binding was added');
    assert.equal(r.tables.get('acc2')!.log.length, acc2Mods, 'acc2 received no mod');

    // Cancelling both gives every CoA and entry back.
    for (const m of r.app.migration.migrations()) {
      const cancelled = await r.call('DELETE', `/api/migrations/${m.id}`);
      assert.deepEqual([cancelled.status, cancelled.body.status], [200, 'cancelled']);
    }
    await r.app.settled();
    for (const [name, t] of r.tables) assert.deepEqual(held(t), nothing, `${name}: nothing of the migration left`);
    assert.equal(r.app.migration.coaFree('net3'), 2);
    assert.deepEqual(r.app.migration.bindings.all(), []);
    assert.equal((await r.call('DELETE', `/api/migrations/${first.body.id as string}`)).status, 409, 'a cancelled migration cannot be cancelled again');
  } finally {
    await r.close();
  }
});

test('a prepared migration not completed within its own timeout (here the request\'s, shorter than the controller\'s) is rolled back: CoA released, bicast and Foreign entries removed, the reason in its record', async () => {
  const r = await rig(60_000);
  try {
    assert.equal((await r.call('POST', '/api/migrations', { hoa: H11, switch: 'acc3', port: 5, timeoutMs: 999 })).status, 400, 'a timeout under 1 s is refused');
    const m = await r.call('POST', '/api/migrations', { hoa: H11, switch: 'acc3', port: 5, timeoutMs: 1000 });
    assert.deepEqual([m.status, m.body.status], [201, 'prepared']);
    assert.notDeepEqual(held(r.tables.get('acc3')!), nothing);
    await until(() => r.app.migration.migration(m.body.id as string)?.status === 'rolled-back', 'the rollback', 10_000);
    const record = (await r.call('GET', `/api/migrations/${m.body.id as string}`)).body;
    assert.match(String(record.reason), /not completed within its timeout \(1000 ms\)/);
    assert.deepEqual((record.timeline as Array<{ step: string }>).map((s) => s.step), ['requested', 'tables confirmed', 'rolled-back']);
    await r.app.settled();
    for (const [name, t] of r.tables) assert.deepEqual(held(t), nothing, `${name}: nothing of the migration left`);
    assert.equal(r.app.migration.coaFree('net3'), 2);
    assert.deepEqual(r.app.migration.bindings.all(), []);
    // Too late to complete it.
    const late = await r.call('POST', `/api/migrations/${m.body.id as string}/complete`, {});
    assert.equal(late.status, 409);
    assert.match(String(late.body.error), /rolled-back, not pending/);
  } finally {
    await r.close();
  }
});

test('a switch involved that is not connected: 503, the migration fails and is rolled back at once', async () => {
  const r = await rig(60_000);
  try {
    const m = await r.call('POST', '/api/migrations', { hoa: H11, switch: 'acc4', port: 5 });
    assert.equal(m.status, 503);
    assert.match(String(m.body.error), /rolled back: switch acc4 is not connected/);
    const [record] = r.app.migration.migrations();
    assert.deepEqual([record?.status, record?.hoa], ['failed', H11]);
    await r.app.settled();
    for (const [name, t] of r.tables) assert.deepEqual(held(t), nothing, `${name}: nothing of the migration left`);
    assert.equal(r.app.migration.coaFree('net4'), 51);
    assert.deepEqual(r.app.migration.bindings.all(), []);
  } finally {
    await r.close();
  }
});

test('a chained switchover in two steps: the old Foreign switch forwards its CoA onward and keeps it until every redirect has moved, then both go', async () => {
  const r = await rig(60_000);
  try {
    const first = await r.call('POST', '/api/migrations', { hoa: H11, switch: 'acc3', port: 5 });
    assert.equal((await r.call('POST', `/api/migrations/${first.body.id as string}/complete`, {})).status, 200);
    await until(() => r.app.migration.migration(first.body.id as string)!.timeline.some((s) => s.step === 'old entries removed'), 'the first move done');
    const second = await r.call('POST', '/api/migrations', { hoa: H11, switch: 'acc2', port: 5 });
    assert.deepEqual([second.status, (second.body.to as { coa: string }).coa], [201, '10.0.2.200']);
    // The Home switch (the redirect) is slow to confirm: the old Foreign switch must not let go yet.
    const release = holdBarriers(r.switches.get('acc1')!);
    const done = await r.call('POST', `/api/migrations/${second.body.id as string}/complete`, {});
    assert.deepEqual([done.status, done.body.status], [200, 'completed']);
    const toCoa3 = `${PIPELINE.migration.priority.toCoa} {"eth_type":2048,"ipv4_dst":"10.0.3.200"}`;
    const toCoa3v6 = `${PIPELINE.migration.priority.toCoa} {"eth_type":34525,"ipv6_dst":"2001:db8:0:3::200"}`;
    await until(() => held(r.tables.get('acc3')!).flows.length === 2, 'acc3 down to its forwarding entries');
    assert.deepEqual(held(r.tables.get('acc3')!), { flows: [toCoa3, toCoa3v6], groups: [] }, 'acc3 only forwards CoA 10.0.3.200 on, and its IPv6 twin 2001:db8:0:3::200');
    const forward = [...r.tables.get('acc3')!.flows.values()].find((f) => f.cookie === PIPELINE.migration.cookie && f.match.eth_type === 0x0800)!;
    assert.deepEqual(forward.instructions.flatMap((i) => ('actions' in i ? i.actions : [])).map((a) => a.type), [ActionType.SET_FIELD, ActionType.DEC_NW_TTL, ActionType.OUTPUT], 'set the new CoA, dec TTL, out');
    assert.equal(r.app.migration.coaFree('net3'), 1, 'the old CoA is still held');
    assert.deepEqual(r.app.migration.migration(second.body.id as string)!.timeline.map((s) => s.step), ['requested', 'tables confirmed', 'completed by request']);
    release();
    await until(() => r.app.migration.migration(second.body.id as string)!.timeline.some((s) => s.step === 'old entries removed'), 'the second step');
    assert.deepEqual(r.app.migration.migration(second.body.id as string)!.timeline.map((s) => s.step), ['requested', 'tables confirmed', 'completed by request', 'redirects moved', 'old entries removed']);
    await r.app.settled();
    assert.deepEqual(held(r.tables.get('acc3')!), nothing, 'acc3 holds nothing of it now');
    assert.equal(r.app.migration.coaFree('net3'), 2, 'and its CoA is free');
    assert.equal(r.app.migration.bindings.get(H11)?.coa, '10.0.2.200');
    assert.deepEqual(r.app.migration.bindings.groupIds(), new Map(), 'a VM settled abroad holds no bicast group id (only migrations in flight do)');
  } finally {
    await r.close();
  }
});

test('any frame of the VM at its new port is the switchover: the arrival entry sends it up, the controller switches over and sends it on through the tables; another MAC there, or its MAC with another address, moves nothing', async () => {
  const r = await rig(60_000);
  try {
    const m = await r.call('POST', '/api/migrations', { hoa: H11, switch: 'acc3', port: 5 });
    assert.equal(m.status, 201);
    const arrival = `${PIPELINE.migration.priority.arrival} {"in_port":5,"eth_src":"02:00:0a:00:01:0a"}`;
    assert.ok(held(r.tables.get('acc3')!).flows.includes(arrival), 'the arrival entry on the Foreign switch');
    const acc3 = r.switches.get('acc3')!;
    const packetIn = (data: Buffer): void =>
      acc3.send({ type: MessageType.PACKET_IN, xid: 0, bufferId: 0xffffffff, totalLen: data.length, reason: 1, tableId: 0, cookie: PIPELINE.migration.cookie, match: { in_port: 5 }, data });
    const reinjected = (): PacketOut[] => acc3.received.filter((x): x is PacketOut => x.type === MessageType.PACKET_OUT && x.actions.some((a) => a.type === ActionType.OUTPUT && a.port === PortNo.TABLE));

    // Someone else's IPv4 at that port, or the VM's MAC with another address: nothing moves, nothing is sent on.
    packetIn(icmpEchoFrame('02:00:0a:00:02:0a', '10.0.2.10', '10.0.1.11'));
    packetIn(icmpEchoFrame('02:00:0a:00:01:0a', '10.0.3.77', '10.0.1.11'));
    const echo = await r.app.openflow.connection('0000000000030003')!.request({ type: MessageType.ECHO_REQUEST, xid: 0, data: Buffer.alloc(0) });
    assert.ok(echo);
    assert.equal(r.app.migration.migration(m.body.id as string)!.status, 'prepared');
    assert.deepEqual(reinjected(), []);

    // The VM's own ICMP to h12, its first frame at acc3:5 (no RARP, no ARP).
    const seen: TopologyEvent[] = [];
    const sub = r.app.topology.events$.subscribe((e) => (e.kind === 'host-refused' || e.kind === 'host-seen-elsewhere') && seen.push(e));
    const mark = r.lines.length;
    const refusedBefore = r.app.topology.hostRefusals();
    const frame = icmpEchoFrame('02:00:0a:00:01:0a', H11, H12);
    packetIn(frame);
    await until(() => r.app.migration.migration(m.body.id as string)!.status === 'completed' && reinjected().length === 1, 'the switchover and the frame sent on');
    const out = reinjected()[0]!;
    assert.deepEqual([out.inPort, out.actions, out.data], [PortNo.CONTROLLER, [{ type: ActionType.OUTPUT, port: PortNo.TABLE, maxLen: 0xffff }], frame]);
    assert.equal(r.app.migration.migration(m.body.id as string)!.timeline[2]!.step, 'VM seen at its new port');
    sub.unsubscribe();
    // Its arrival is a neutral sighting the migration acts on, never a refusal, and nothing warns of it.
    assert.deepEqual(seen.map((e) => [e.kind, e.kind === 'host-seen-elsewhere' ? [e.ip, e.at, e.from] : undefined]), [['host-seen-elsewhere', [H11, { switch: 'acc3', port: 5 }, { switch: 'acc1', port: 3 }]]]);
    assert.deepEqual(r.lines.slice(mark).filter((l) => l.level === 'warn').map((l) => l.message), []);
    assert.deepEqual(r.app.topology.hostRefusals(), refusedBefore, 'no refusal counted');
    await until(() => r.app.migration.migration(m.body.id as string)!.timeline.some((t) => t.step === 'old entries removed'), 'old entries removed');
    await r.app.settled();
    assert.ok(!held(r.tables.get('acc3')!).flows.includes(arrival), 'no arrival entry once switched over');
    assert.equal(r.app.migration.bindings.get(H11)?.state, 'active');
  } finally {
    await r.close();
  }
});

const MAC11 = '02:00:0a:00:01:0a';
const rarp = (mac: string): Buffer => arpFrame({ op: ARP_OP.RARP_REQUEST, senderMac: mac, senderIp: '0.0.0.0', targetMac: mac, targetIp: '0.0.0.0' }, 'ff:ff:ff:ff:ff:ff');
const arpRequest = (mac: string, senderIp: string, targetIp: string): Buffer => arpFrame({ op: ARP_OP.REQUEST, senderMac: mac, senderIp, targetMac: '00:00:00:00:00:00', targetIp });
const packetIn = (sw: ScriptedSwitch, inPort: number, data: Buffer): void =>
  sw.send({ type: MessageType.PACKET_IN, xid: 0, bufferId: 0xffffffff, totalLen: data.length, reason: 0, tableId: 0, cookie: 0n, match: { in_port: inPort }, data });
/** A round trip on the switch's connection: every packet-in sent before it has been handled. */
const drained = async (r: Rig, name: string): Promise<void> => {
  const dpid = topology.switches.find((s) => s.name === name)!.dpid;
  assert.ok(await r.app.openflow.connection(dpid)!.request({ type: MessageType.ECHO_REQUEST, xid: 0, data: Buffer.alloc(0) }));
};
const arpOuts = (sw: ScriptedSwitch, from = 0): PacketOut[] => sw.received.slice(from).filter((m): m is PacketOut => m.type === MessageType.PACKET_OUT && m.data.readUInt16BE(12) === ETH_TYPE.ARP);
const portGone = (sw: ScriptedSwitch, portNo: number): void => sw.send({ type: MessageType.PORT_STATUS, xid: 0, reason: PortReason.DELETE, port: switchPort(portNo) });

/** Makes `sw` answer the controller's probe for `mac` (an ARP request to it out of `port`) as a running VM does, while `alive()` holds. */
function answerProbes(sw: ScriptedSwitch, mac: string, ip: string, port: number, alive: () => boolean): void {
  const inner = sw.script;
  sw.script = (m, s) => {
    if (m.type === MessageType.PACKET_OUT && alive() && m.data.readUInt16BE(12) === ETH_TYPE.ARP && m.actions.some((a) => a.type === ActionType.OUTPUT && a.port === port)) {
      const ask = parseArp(parseEthernet(m.data).payload);
      if (ask.op === ARP_OP.REQUEST && ask.targetIp === ip && parseEthernet(m.data).dst === mac) {
        packetIn(s, port, arpFrame({ op: ARP_OP.REPLY, senderMac: mac, senderIp: ip, targetMac: ask.senderMac, targetIp: ask.senderIp }));
      }
    }
    return inner?.(m, s) ?? false;
  };
}

test('announcements (--migrations any): refused while the VM answers at its old port; believed once it is silent there though its port is still up (the real order: QEMU\'s source outlives its RARPs); the migrated VM gets proxy ARP both sides, the Home Network a gratuitous ARP; a move inside its Foreign switch is judged the same way', async () => {
  const r = await rig(60_000);
  try {
    const [acc1, acc3] = [r.switches.get('acc1')!, r.switches.get('acc3')!];
    const events: string[] = [];
    const sub = r.app.migration.events$.subscribe((e) => events.push(e.kind === 'migration' ? `${e.migration.trigger} ${e.migration.status}` : `refused: ${e.reason}`));
    let runningAtAcc1 = true;
    answerProbes(acc1, MAC11, H11, 3, () => runningAtAcc1);
    packetIn(acc3, 5, rarp(MAC11));
    await until(() => events.length === 1, 'the announcement judged');
    assert.deepEqual(events, ['refused: 10.0.1.10 answered at acc1:3: it runs there']);
    assert.equal(r.app.migration.refusedAnnouncements, 1);
    assert.deepEqual(r.app.migration.bindings.all(), []);

    // Paused at its source once QEMU's migration completed: the port stays up, nobody answers.
    runningAtAcc1 = false;
    assert.ok(r.app.topology.portLive({ switch: 'acc1', port: 3 }));
    const before = acc1.received.length;
    packetIn(acc3, 5, rarp(MAC11));
    packetIn(acc3, 5, rarp(MAC11));
    await until(() => r.app.migration.bindings.get(H11)?.state === 'active', 'the announced migration');
    const b = r.app.migration.bindings.get(H11)!;
    assert.deepEqual([b.switch, b.port, b.coa, b.mode, b.subnet], ['acc3', 5, '10.0.3.200', 'mobile-ip', 'net3']);
    assert.deepEqual([...new Set(events.slice(1))], ['announced preparing', 'announced completed']);
    assert.equal(r.app.migration.migrations().length, 1, 'one migration for QEMU\'s repeated RARPs');
    // A migration is a normal event: the only warn so far is the refused announcement (someone should look at that one).
    assert.deepEqual(r.lines.filter((l) => l.level === 'warn').map((l) => l.message), ['announcement of 02:00:0a:00:01:0a at acc3:5 moves nothing: 10.0.1.10 answered at acc1:3: it runs there']);
    // The probe went out of acc1:3 only, unicast to the VM, from the gateway.
    const probes = arpOuts(acc1, before).filter((o) => parseArp(parseEthernet(o.data).payload).targetMac === MAC11);
    assert.ok(probes.length >= 1);
    assert.deepEqual(probes.map((o) => [parseEthernet(o.data).dst, parseArp(parseEthernet(o.data).payload), o.actions]), probes.map(() => [
      MAC11, { op: ARP_OP.REQUEST, senderMac: GATEWAY_MAC, senderIp: '10.0.1.1', targetMac: MAC11, targetIp: H11 }, [{ type: ActionType.OUTPUT, port: 3, maxLen: 0xffff }],
    ]));
    // The Home Network hears the HoA is at the gateway's MAC, on its live host ports.
    const garp = arpOuts(acc1, before).filter((o) => parseArp(parseEthernet(o.data).payload).targetMac === '00:00:00:00:00:00');
    assert.equal(garp.length, 1);
    assert.deepEqual(parseArp(parseEthernet(garp[0]!.data).payload), { op: ARP_OP.REQUEST, senderMac: GATEWAY_MAC, senderIp: H11, targetMac: '00:00:00:00:00:00', targetIp: H11 });

    // Proxy ARP at home: h12 asks for the HoA, the gateway MAC answers, back to h12's port; the VM's own MAC is not answered there.
    const outs1 = arpOuts(acc1).length;
    packetIn(acc1, 4, arpRequest('02:00:0a:00:01:0b', H12, H11));
    await until(() => arpOuts(acc1).length === outs1 + 1, 'the proxy reply at home');
    const home = arpOuts(acc1).at(-1)!;
    assert.deepEqual([home.inPort, home.actions], [PortNo.CONTROLLER, [{ type: ActionType.OUTPUT, port: 4, maxLen: 0xffff }]]);
    assert.deepEqual(parseArp(parseEthernet(home.data).payload), { op: ARP_OP.REPLY, senderMac: GATEWAY_MAC, senderIp: H11, targetMac: '02:00:0a:00:01:0b', targetIp: H12 });
    // Abroad: the VM asks for h12 (its Home Network) and gets the gateway MAC; for another network or itself: nothing
    // (its gateway is the fabric's ARP proxy's to answer).
    const outs3 = arpOuts(acc3).length;
    packetIn(acc3, 5, arpRequest(MAC11, H11, '10.0.2.10'));
    packetIn(acc3, 5, arpRequest(MAC11, H11, H11));
    await drained(r, 'acc3');
    assert.equal(arpOuts(acc3).length, outs3, 'none of those answered');
    packetIn(acc3, 5, arpRequest(MAC11, H11, H12));
    await until(() => arpOuts(acc3).length === outs3 + 1, 'the proxy reply abroad');
    assert.deepEqual(parseArp(parseEthernet(arpOuts(acc3).at(-1)!.data).payload), { op: ARP_OP.REPLY, senderMac: GATEWAY_MAC, senderIp: H12, targetMac: MAC11, targetIp: H11 });

    // A forged announcement at another port of its Foreign switch while it runs at acc3:5: refused; once it is silent there, the binding follows, no migration.
    let runningAtAcc3 = true;
    answerProbes(acc3, MAC11, H11, 5, () => runningAtAcc3);
    const migrations = r.app.migration.migrations().length;
    packetIn(acc3, 6, rarp(MAC11));
    await until(() => events.some((e) => e.includes('acc3:5')), 'the move judged');
    assert.deepEqual(events.filter((e) => e.startsWith('refused')).at(-1), 'refused: 10.0.1.10 answered at acc3:5: it runs there');
    runningAtAcc3 = false;
    packetIn(acc3, 6, rarp(MAC11));
    await until(() => r.app.migration.bindings.get(H11)?.port === 6, 'the binding at acc3:6');
    assert.equal(r.app.migration.migrations().length, migrations);
    await r.app.settled();
    assert.ok(held(r.tables.get('acc3')!).flows.some((f) => f.includes('"in_port":6')), 'acc3 delivers at port 6 now');
    assert.ok(!held(r.tables.get('acc3')!).flows.some((f) => f.includes('"in_port":5')));
    sub.unsubscribe();
  } finally {
    await r.close();
  }
});

test('announcements (--migrations any) never believed for a made-up identity, at a port where another host is, or when the old place cannot be asked; a chained announcement keeps the binding\'s mode', async () => {
  const r = await rig(60_000);
  try {
    const [acc1, acc2, acc3] = [r.switches.get('acc1')!, r.switches.get('acc2')!, r.switches.get('acc3')!];
    const reasons: string[] = [];
    const sub = r.app.migration.events$.subscribe((e) => e.kind === 'announcement-refused' && reasons.push(e.reason));
    // An address of net1 from a MAC nobody declared: learned at acc1:6, then announced elsewhere.
    packetIn(acc1, 6, arpRequest('02:00:00:00:66:66', '10.0.1.66', '10.0.1.1'));
    await until(() => r.app.topology.hostByMac('02:00:00:00:66:66') !== undefined, 'the stranger learned');
    portGone(acc1, 6);
    packetIn(acc3, 7, rarp('02:00:00:00:66:66'));
    // h11's RARP at h31's port (acc3:3).
    packetIn(acc3, 3, rarp(MAC11));
    await until(() => reasons.length === 2, 'both judged');
    assert.match(reasons[0]!, /neither declared nor bound/);
    assert.match(reasons[1]!, /acc3:3 is where h31 is/);
    // h12 migrated orchestrated in first-hop mode, then announced at acc2 (silent at acc3:7): the chained move keeps first-hop.
    await bound(r, { hoa: H12, switch: 'acc3', port: 7, mode: 'first-hop' });
    packetIn(acc2, 5, rarp('02:00:0a:00:01:0b'));
    await until(() => r.app.migration.bindings.get(H12)?.switch === 'acc2', 'the chained move');
    assert.equal(r.app.migration.bindings.get(H12)?.mode, 'first-hop', 'the binding\'s mode, not the default (mobile-ip here)');
    // In a cluster, h11's Home switch mastered by another member: a standby's probe would prove nothing (its packet-out is
    // refused, the reply goes to the master), so none is sent and the announcement is refused.
    const standby = r.app.openflow.connection('0000000000030001')!;
    const probesBefore = arpOuts(acc1).length;
    standby.role = 'slave';
    packetIn(acc3, 6, rarp(MAC11));
    await until(() => reasons.length === 3, 'judged as a standby of acc1');
    assert.match(reasons[2]!, /cannot be asked at acc1:3: another member of the cluster masters acc1/);
    assert.equal(arpOuts(acc1).length, probesBefore, 'no probe sent as a standby');
    standby.role = 'equal';
    // h11's Home switch's channel down: a RARP elsewhere cannot be believed (it may run there still).
    acc1.destroy();
    await until(() => !r.app.topology.switchList().find((s) => s.name === 'acc1')!.connected, 'acc1 gone');
    packetIn(acc3, 6, rarp(MAC11));
    await until(() => reasons.length === 4, 'judged');
    assert.match(reasons[3]!, /cannot be asked at acc1:3 \(its switch is not connected\)/);
    assert.equal(r.app.migration.bindings.get(H11), undefined);
    sub.unsubscribe();
  } finally {
    await r.close();
  }
});

test('orchestrated-only: an announcement alone never migrates; one for a migration pending elsewhere is refused; the history keeps the newest finished migrations', async () => {
  const r = await rig(60_000, { trigger: 'orchestrated-only', history: 2, coaRestMs: 0 });
  try {
    const acc3 = r.switches.get('acc3')!;
    portGone(r.switches.get('acc1')!, 3);
    await until(() => !r.app.topology.portLive({ switch: 'acc1', port: 3 }), 'acc1:3 gone');
    packetIn(acc3, 5, rarp(MAC11));
    await drained(r, 'acc3');
    assert.deepEqual(r.app.migration.bindings.all(), []);
    assert.equal(r.app.migration.refusedAnnouncements, 1);
    const m = await r.app.migration.migrate({ hoa: H11, switch: 'acc3', port: 5 });
    packetIn(acc3, 6, rarp(MAC11));
    await drained(r, 'acc3');
    assert.equal(r.app.migration.refusedAnnouncements, 2);
    assert.equal(r.app.migration.migration(m.id)!.status, 'prepared', 'still waiting for acc3:5');
    r.app.migration.cancel(m.id);
    for (let i = 0; i < 2; i++) r.app.migration.cancel((await r.app.migration.migrate({ hoa: H12, switch: 'acc3', port: 7 })).id);
    const ids = r.app.migration.migrations().map((x) => x.id);
    assert.equal(ids.length, 2);
    assert.ok(!ids.includes(m.id), 'the oldest finished one went first');
  } finally {
    await r.close();
  }
});

test('every refused request: its status and message, and nothing changes', async () => {
  const r = await rig(60_000);
  try {
    const m = r.app.migration;
    const refused = (f: () => unknown): [number, string] => {
      try {
        f();
      } catch (e) {
        return [(e as { status: number }).status, (e as Error).message];
      }
      return [0, 'accepted'];
    };
    const refusedAsync = async (req: Parameters<typeof m.migrate>[0]): Promise<[number, string]> => m.migrate(req).then(() => [0, 'accepted'] as [number, string], (e: Error & { status: number }) => [e.status, e.message]);
    assert.deepEqual(await refusedAsync({ hoa: '10.0.1.99', switch: 'acc3', port: 5 }), [404, 'no VM with address 10.0.1.99']);
    assert.deepEqual(await refusedAsync({ hoa: '192.0.2.1', switch: 'acc3', port: 5 }), [404, 'no VM with address 192.0.2.1']);
    assert.deepEqual(await refusedAsync({ hoa: H11, switch: 'acc9', port: 5 }), [404, 'no switch named "acc9"']);
    assert.deepEqual(await refusedAsync({ hoa: H11, switch: 'acc3', port: 1 }), [400, 'acc3:1 joins two switches; a VM attaches at a host port']);
    assert.deepEqual(await refusedAsync({ hoa: H11, switch: 'agg1', port: 9 }), [400, 'agg1 serves no subnet; a VM attaches at an access switch']);
    assert.deepEqual(await refusedAsync({ hoa: H11, switch: 'acc1', port: 3 }), [409, '10.0.1.10 is already at acc1:3']);
    assert.deepEqual(await refusedAsync({ hoa: H11, switch: 'acc1', port: 5 }), [409, '10.0.1.10 is already in net1; a move inside a subnet is followed where the VM is seen, not migrated']);
    assert.deepEqual(refused(() => m.deleteBinding(H11)), [404, 'no binding for 10.0.1.10']);
    assert.deepEqual(refused(() => m.complete('77')), [404, 'no migration 77']);
    assert.deepEqual(refused(() => m.cancel('77')), [404, 'no migration 77']);
    assert.deepEqual([m.migrations(), m.bindings.all(), m.coaFree('net3')], [[], [], 2]);
    // Once abroad: a request to where it is, or elsewhere on its Foreign switch.
    const first = await m.migrate({ hoa: H11, switch: 'acc3', port: 5 });
    m.complete(first.id);
    assert.deepEqual(refused(() => m.complete(first.id)), [409, `migration ${first.id} is completed, not pending`]);
    assert.deepEqual(refused(() => m.cancel(first.id)), [409, `migration ${first.id} is completed, not pending`]);
    assert.deepEqual(await refusedAsync({ hoa: H11, switch: 'acc3', port: 5 }), [409, '10.0.1.10 is already at acc3:5']);
    assert.deepEqual(await refusedAsync({ hoa: H11, switch: 'acc3', port: 6 }), [409, '10.0.1.10 is already in net3; a move inside a subnet is followed where the VM is seen, not migrated']);
    // Deleting the binding of a VM that is gone: its CoA back, its entries gone, the Home Network told it is at its own MAC.
    await until(() => m.migration(first.id)!.timeline.some((t) => t.step === 'old entries removed'), 'switched over');
    const before = r.switches.get('acc1')!.received.length;
    const deleted = await m.deleteBinding(H11);
    assert.deepEqual([deleted.hoa, deleted.coa], [H11, '10.0.3.200']);
    assert.deepEqual([m.bindings.all(), m.coaFree('net3')], [[], 2]);
    await until(() => arpOuts(r.switches.get('acc1')!, before).length === 1, 'the gratuitous ARP at home');
    assert.equal(parseArp(parseEthernet(arpOuts(r.switches.get('acc1')!, before)[0]!.data).payload).senderMac, MAC11);
    // h11 is dual-stack: its IPv6 address is announced too, out of the same ports.
    const naOut = r.switches.get('acc1')!.received.slice(before).find((m): m is PacketOut => m.type === MessageType.PACKET_OUT && m.data.readUInt16BE(12) === ETH_TYPE.IPV6);
    assert.ok(naOut, 'an unsolicited neighbour advertisement at home');
    const { header, body } = parseIpv6(parseEthernet(naOut.data).payload);
    assert.deepEqual([header.src, header.dst, header.hopLimit, parseIcmpv6(header, body)], ['2001:db8:0:1::10', 'ff02::1', 255, { kind: 'neighbor-advert', target: '2001:db8:0:1::10', router: false, solicited: false, override: true, options: [{ kind: 'target-lla', mac: MAC11 }] }]);
    assert.deepEqual(naOut.actions, arpOuts(r.switches.get('acc1')!, before)[0]!.actions);
    await r.app.settled();
    for (const [name, t] of r.tables) assert.deepEqual(held(t), nothing, `${name}: nothing of the migration left`);
    assert.deepEqual(r.app.topology.hostByMac(MAC11) && [r.app.topology.hostByMac(MAC11)!.switch, r.app.topology.hostByMac(MAC11)!.port], ['acc1', 3], 'the VM is at home again');
  } finally {
    await r.close();
  }
});

test('home again only at the declared port: a migration back to the Home switch at another port is 409 and changes nothing', async () => {
  const r = await rig(60_000);
  try {
    await bound(r, { hoa: H11, switch: 'acc3', port: 5 });
    const res = await r.call('POST', '/api/migrations', { hoa: H11, switch: 'acc1', port: 6 });
    assert.deepEqual([res.status, res.body.error], [409, '10.0.1.10 returns to net1 at its declared port acc1:3, not acc1:6']);
    assert.deepEqual([r.app.migration.bindings.get(H11)?.switch, r.app.migration.migrations().length], ['acc3', 1]);
    assert.equal((await r.call('POST', '/api/migrations', { hoa: H11, switch: 'acc1', port: 3 })).status, 201);
  } finally {
    await r.close();
  }
});

test('a CoA freed by a cancel rests before reuse, and its rest is saved (a restart or a new leader honours it): the next migration into that subnet gets another; with none left the 409 says why', async () => {
  const r = await rig(60_000);
  try {
    // A saved rest that is over goes when its CoA is handed out again.
    r.app.migration.bindings.setResting('10.0.3.200', { subnet: 'net3', until: Date.now() - 1 });
    const first = await r.call('POST', '/api/migrations', { hoa: H11, switch: 'acc3', port: 5 });
    assert.equal((first.body.to as { coa: string }).coa, '10.0.3.200');
    assert.equal(r.app.migration.bindings.resting().has('10.0.3.200'), false, 'taken again: its saved rest went');
    assert.equal((await r.call('DELETE', `/api/migrations/${first.body.id as string}`)).status, 200);
    const saved = r.app.migration.bindings.resting().get('10.0.3.200');
    assert.equal(saved?.subnet, 'net3');
    assert.ok(saved!.until > Date.now() + 25_000, 'resting about 30 s from the cancel');
    const second = await r.call('POST', '/api/migrations', { hoa: H12, switch: 'acc3', port: 6 });
    assert.equal((second.body.to as { coa: string }).coa, '10.0.3.201', 'not the one just freed');
    const third = await r.call('POST', '/api/migrations', { hoa: H11, switch: 'acc3', port: 5 });
    assert.deepEqual([third.status, third.body.error], [409, 'the CoA pool of net3 (10.0.3.200-10.0.3.201) is exhausted; 1 released in the last 30 s rest before reuse']);
  } finally {
    await r.close();
  }
});

test('a migration whose timeout ends before its tables are confirmed: the POST answers 409 with why (not 201 "rolled-back"), and a later timeout or cancel never touches another migration of the same VM', async () => {
  const r = await rig(60_000);
  try {
    const release = holdBarriers(r.switches.get('acc3')!);
    const post = r.call('POST', '/api/migrations', { hoa: H11, switch: 'acc3', port: 5, timeoutMs: 1000 });
    await new Promise((res) => setTimeout(res, 1300));
    release();
    const res = await post;
    assert.equal(res.status, 409);
    assert.match(String(res.body.error), /^migration \d+ of 10\.0\.1\.10 was rolled-back before its tables were confirmed: not completed within its timeout \(1000 ms\)/);
    // The next migration of the same VM is not the first one's to roll back.
    const next = await r.call('POST', '/api/migrations', { hoa: H11, switch: 'acc3', port: 6 });
    assert.deepEqual([next.status, next.body.status], [201, 'prepared']);
    const first = r.app.migration.migrations().find((x) => x.status === 'rolled-back')!;
    assert.equal((await r.call('DELETE', `/api/migrations/${first.id}`)).status, 409, 'the first is over');
    assert.equal(r.app.migration.migration(next.body.id as string)!.status, 'prepared');
  } finally {
    await r.close();
  }
});

test('a chained migration cancelled: the binding is back exactly as it was (switch, port, CoA, mode, active), and the new subnet\'s CoA rests', async () => {
  const r = await rig(60_000);
  try {
    await bound(r, { hoa: H11, switch: 'acc3', port: 5 });
    const before = r.app.migration.bindings.get(H11)!;
    const chained = await r.call('POST', '/api/migrations', { hoa: H11, switch: 'acc2', port: 6 });
    assert.equal(chained.status, 201);
    assert.equal((await r.call('DELETE', `/api/migrations/${chained.body.id as string}`)).status, 200);
    const after = r.app.migration.bindings.get(H11)!;
    assert.deepEqual([after.switch, after.port, after.coa, after.subnet, after.mode, after.state], [before.switch, before.port, before.coa, before.subnet, before.mode, 'active']);
    assert.equal(r.app.migration.coaFree('net2'), 51, 'net2\'s CoA given back (resting: free, not handed out yet)');
    await r.app.settled();
    assert.ok(held(r.tables.get('acc3')!).flows.some((f) => f.includes('"in_port":5')), 'acc3 still delivers at port 5');
  } finally {
    await r.close();
  }
});

test('a switch that never confirms: the POST answers 503 before the API\'s own timeout, naming the switch by name, and the migration is rolled back', async () => {
  const r = await rig(60_000, { confirmTimeoutMs: 500 });
  try {
    holdBarriers(r.switches.get('acc3')!);
    const t = Date.now();
    const res = await r.call('POST', '/api/migrations', { hoa: H11, switch: 'acc3', port: 5 });
    assert.equal(res.status, 503);
    assert.match(String(res.body.error), /^migration \d+ of 10\.0\.1\.10 rolled back: acc3 did not confirm the tables within 500 ms$/);
    assert.ok(Date.now() - t < 5000);
    assert.equal(r.app.migration.migrations()[0]?.status, 'failed');
    assert.deepEqual(r.app.migration.bindings.all(), []);
  } finally {
    await r.close();
  }
});

test('what a migration tells the operator: prepared and completed at info, with its id, VM, places, mode and CoA; a cancel at warn with why; a deleted binding at info; nothing else above info', async () => {
  const r = await rig(60_000);
  try {
    const mark = r.lines.length;
    const m = await r.call('POST', '/api/migrations', { hoa: H11, switch: 'acc3', port: 5 });
    const id = m.body.id as string;
    assert.equal((await r.call('POST', `/api/migrations/${id}/complete`, {})).status, 200);
    await until(() => r.app.migration.migration(id)!.timeline.some((s) => s.step === 'old entries removed'), 'switched over');
    assert.equal((await r.call('DELETE', `/api/bindings/${H11}`)).status, 200);
    const c = await r.call('POST', '/api/migrations', { hoa: H12, switch: 'acc3', port: 6 });
    assert.equal((await r.call('DELETE', `/api/migrations/${c.body.id as string}`)).status, 200);
    // The migration's own lines (the topology logs the VM's host moves beside them, at info).
    const ours = /^(migration|binding)/;
    const said = r.lines.slice(mark).filter((l) => ours.test(String(l.message))).map(({ level, message, ...meta }) => [level, message, JSON.parse(JSON.stringify(meta))]);
    assert.deepEqual(r.lines.slice(mark).filter((l) => l.level !== 'info' && l.level !== 'debug' && !ours.test(String(l.message))), [], 'nothing else above info');
    assert.deepEqual(said, [
      ['info', 'migration prepared', { id, hoa: H11, from: 'acc1:3', to: 'acc3:5', mode: 'mobile-ip', coa: '10.0.3.200' }],
      ['info', 'migration completed', { id, hoa: H11, at: 'acc3:5', why: 'completed by request' }],
      ['info', 'binding deleted', { hoa: H11 }],
      ['info', 'migration prepared', { id: c.body.id, hoa: H12, from: 'acc1:4', to: 'acc3:6', mode: 'mobile-ip', coa: '10.0.3.201' }],
      ['warn', 'migration cancelled', { id: c.body.id, hoa: H12, reason: 'cancelled by request' }],
    ]);
  } finally {
    await r.close();
  }
});
