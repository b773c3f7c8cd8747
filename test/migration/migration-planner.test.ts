import assert from 'node:assert/strict';
import { test } from 'node:test';
import { flowKey, type SwitchTables } from '../../src/controller/flow-tables.js';
import { PIPELINE, TABLE } from '../../src/controller/pipeline.js';
import { fabricContext, planFabric } from '../../src/fabric/fabric-planner.js';
import { MIGRATION_COOKIE, planMigration, redirectingSwitches, type Placement } from '../../src/migration/migration-planner.js';
import { GroupType, PortNo, act, inst } from '../../src/openflow/index.js';
import { fabricGraph } from '../../src/topology/fabric-graph.js';
import { loadTopology } from '../../src/topology/loader.js';
import { GATEWAY_MAC } from '../../src/topology/model.js';
import { networksOf } from '../../src/topology/networks.js';
import { simulate } from '../../src/controller/simulator.js';
import { trace, type TraceNetwork } from '../../src/topology/trace.js';
import { ipv4Only } from '../topology/topology-edits.js';
import { copies, plannedNetwork } from './planned-network.js';

// IPv4 only: these tests hold every entry exactly; the IPv6 twins are in migration-planner-ipv6.test.ts.
const topology = ipv4Only(loadTopology('topologies/dc-small.yaml'));
const ctx = fabricContext(topology);
const graph = fabricGraph(topology, new Set());
const net1 = networksOf(topology).find((n) => n.name === 'net1')!;
const HOA = '10.0.1.10';
const MAC = '02:00:0a:00:01:0a';
const GROUP = PIPELINE.migration.groups.min;
const active = (mode: Placement['mode'], sw = 'acc3', coa = '10.0.3.200'): Placement => ({ hoa: HOA, mac: MAC, home: net1, mode, at: { switch: sw, port: 5, coa }, group: GROUP });
const P = PIPELINE.migration.priority;

const instructionsOf = (t: SwitchTables | undefined, match: Record<string, unknown>): SwitchTables['flows'][number]['instructions'] => {
  const f = t?.flows.find((x) => JSON.stringify(x.match) === JSON.stringify(match));
  assert.ok(f, `a flow matching ${JSON.stringify(match)}`);
  return f.instructions;
};
const actionsOf = (t: SwitchTables | undefined, match: Record<string, unknown>): unknown[] => instructionsOf(t, match).flatMap((i) => ('actions' in i ? i.actions : []));

test('redirecting switches by mode: Home; Home and Edge; every access and edge switch; never the one the VM is at', () => {
  assert.deepEqual(redirectingSwitches(ctx, 'mobile-ip', 'acc1', 'acc3'), ['acc1']);
  assert.deepEqual(redirectingSwitches(ctx, 'optimized', 'acc1', 'acc3'), ['acc1', 'edge1']);
  assert.deepEqual(redirectingSwitches(ctx, 'first-hop', 'acc1', 'acc3'), ['acc1', 'acc2', 'acc4', 'edge1']);
});

test('optimized, active at acc3: exact entries at Home, Foreign and Edge; none on aggregation or core', () => {
  const plan = planMigration(ctx, graph, active('optimized'));
  assert.deepEqual([...plan.keys()].sort(), ['acc1', 'acc3', 'edge1']);
  const toHoa = { eth_type: 0x0800, ipv4_dst: HOA };
  for (const sw of ['acc1', 'edge1']) {
    assert.deepEqual(instructionsOf(plan.get(sw), toHoa), [inst.apply([act.setField('ipv4_dst', '10.0.3.200')]), inst.gotoTable(TABLE.routing)], `${sw} rewrites HoA -> CoA and hands it to the fabric's routes (which decrement the TTL): it names no group of the fabric's`);
  }
  // From a switch-to-switch port the packet goes back out of it (an output to the in_port is dropped otherwise).
  assert.deepEqual(plan.get('acc1')!.flows.filter((f) => f.priority === P.toHoaFromFabric).map((f) => f.match.in_port), [1, 2]);
  assert.deepEqual(actionsOf(plan.get('acc1'), { in_port: 1, ...toHoa }), [act.setField('ipv4_dst', '10.0.3.200'), act.decNwTtl(), act.output(PortNo.IN_PORT)]);
  assert.deepEqual(actionsOf(plan.get('acc3'), { eth_type: 0x0800, ipv4_dst: '10.0.3.200' }), [
    act.decNwTtl(), act.setField('ipv4_dst', HOA), act.setField('eth_src', GATEWAY_MAC), act.setField('eth_dst', MAC), act.output(5),
  ]);
  // Proxy ARP in the switch: at Home the request for the HoA becomes the reply, addressed to its asker by arpReply; abroad the VM's requests for its Home Network go to arpAnswer.
  assert.deepEqual(instructionsOf(plan.get('acc1'), { eth_type: 0x0806, arp_op: 1, arp_tpa: HOA }), [inst.apply([act.setField('arp_op', 2), act.setField('arp_spa', HOA)]), inst.gotoTable(TABLE.arpReply)]);
  assert.deepEqual(instructionsOf(plan.get('acc3'), { in_port: 5, eth_type: 0x0806, arp_op: 1, arp_sha: MAC, arp_tpa: { value: '10.0.1.0', mask: '255.255.255.0' } }), [inst.gotoTable(TABLE.arpAnswer)]);
  assert.deepEqual(actionsOf(plan.get('acc3'), { in_port: 5, eth_type: 0x0806, arp_op: 1, arp_sha: MAC, arp_tpa: HOA }), [act.output(PortNo.CONTROLLER)], 'its own gratuitous ARP: to the controller');
  for (const t of plan.values()) {
    assert.deepEqual(t.groups, [], 'no group once switched over');
    for (const f of t.flows) {
      assert.equal(f.cookie, MIGRATION_COOKIE);
      assert.ok(PIPELINE.migration.bands.some((b) => f.priority >= b.min && f.priority <= b.max), `${f.priority} in the migration band`);
    }
  }
});

test('mobile-ip names only Home and Foreign; first-hop every first hop; no switch ever holds an entry of the same key twice', () => {
  assert.deepEqual([...planMigration(ctx, graph, active('mobile-ip')).keys()].sort(), ['acc1', 'acc3']);
  assert.deepEqual([...planMigration(ctx, graph, active('first-hop')).keys()].sort(), ['acc1', 'acc2', 'acc3', 'acc4', 'edge1']);
  const placements: Placement[] = [
    active('first-hop'),
    { ...active('optimized'), at: { switch: 'acc1', port: 3, coa: undefined }, next: { switch: 'acc3', port: 5, coa: '10.0.3.200' } },
    { ...active('first-hop'), next: { switch: 'acc4', port: 5, coa: '10.0.4.200' } },
    { ...active('mobile-ip'), next: { switch: 'acc1', port: 3, coa: undefined } },
    { ...active('first-hop', 'acc2', '10.0.2.200'), leaving: { switch: 'acc4', port: 5, coa: '10.0.4.200' } },
    { ...active('first-hop', 'acc2', '10.0.2.200'), next: { switch: 'acc4', port: 5, coa: '10.0.4.200' }, leaving: { switch: 'acc4', port: 5, coa: '10.0.4.200' } },
  ];
  for (const p of placements) {
    for (const [sw, t] of planMigration(ctx, graph, p)) {
      const keys = t.flows.map(flowKey);
      assert.equal(new Set(keys).size, keys.length, `${sw}: keys unique`);
      const ids = t.groups.map((g) => g.groupId);
      assert.equal(new Set(ids).size, ids.length, `${sw}: group ids unique`);
      for (const id of ids) assert.ok(id === GROUP || id === GROUP + 1);
    }
  }
});

test('make-before-break from home: an ALL group at the Home switch copies to the old port and, as the CoA, towards acc3; the switchover replaces it in place', () => {
  const prepared = planMigration(ctx, graph, { ...active('optimized'), at: { switch: 'acc1', port: 3, coa: undefined }, next: { switch: 'acc3', port: 5, coa: '10.0.3.200' } });
  assert.deepEqual([...prepared.keys()].sort(), ['acc1', 'acc3'], 'the Edge redirects only after the switchover');
  const acc1 = prepared.get('acc1')!;
  const hostSide = acc1.groups.find((g) => g.groupId === GROUP)!;
  assert.equal(hostSide.groupType, GroupType.ALL);
  assert.deepEqual(hostSide.buckets.map((b) => b.actions), [
    [act.setField('eth_src', GATEWAY_MAC), act.setField('eth_dst', MAC), act.output(3)],
    [act.setField('ipv4_dst', '10.0.3.200'), act.decNwTtl(), act.output(1)],
  ]);
  assert.deepEqual(acc1.groups.find((g) => g.groupId === GROUP + 1)!.buckets[1]!.actions, [act.setField('ipv4_dst', '10.0.3.200'), act.decNwTtl(), act.output(PortNo.IN_PORT)]);
  const after = planMigration(ctx, graph, active('optimized')).get('acc1')!;
  const keys = (t: SwitchTables, priority: number) => t.flows.filter((f) => f.priority === priority).map(flowKey).sort();
  for (const priority of [P.toHoa, P.toHoaFromFabric]) assert.deepEqual(keys(after, priority), keys(acc1, priority), 'same keys: one flow-mod each replaces the bicast');
});

/** The fabric's and the migration's planned tables of every switch, with the VM at `vmAt` for the fabric. */
const network = (vmAt: { switch: string; port: number }, placement: Placement) => plannedNetwork(topology, vmAt, placement);

test('make-before-break going home: every correspondent\'s packet reaches the VM once at its old port and once at home, in every mode; never twice at either', () => {
  for (const mode of ['mobile-ip', 'optimized', 'first-hop'] as const) {
    const { net, moved } = network({ switch: 'acc3', port: 5 }, { ...active(mode), next: { switch: 'acc1', port: 3, coa: undefined } });
    for (const from of ['client', 'h12', 'h21', 'h31', 'h41']) {
      const src = moved.find((h) => h.name === from)!;
      const got = copies(net, { switch: src.switch, port: src.port }, { eth_src: src.mac, eth_dst: GATEWAY_MAC, eth_type: 0x0800, ipv4_src: src.ip, ipv4_dst: HOA, ip_proto: 1, ttl: 64 });
      assert.deepEqual(Object.fromEntries(got), { 'acc3:5': [[HOA, MAC]], 'acc1:3': [[HOA, MAC]] }, `${mode}: ${from}`);
    }
  }
});

test('make-before-break, chained: a VM with a CoA at acc3 moving to acc4 gets every correspondent\'s packet once at acc3:5 and once at acc4:5 (the old Foreign switch copies onward as the new CoA), in every mode', () => {
  for (const mode of ['mobile-ip', 'optimized', 'first-hop'] as const) {
    const { net, moved } = network({ switch: 'acc3', port: 5 }, { ...active(mode), next: { switch: 'acc4', port: 5, coa: '10.0.4.200' } });
    for (const from of ['client', 'h12', 'h21']) {
      const src = moved.find((h) => h.name === from)!;
      const got = copies(net, { switch: src.switch, port: src.port }, { eth_src: src.mac, eth_dst: GATEWAY_MAC, eth_type: 0x0800, ipv4_src: src.ip, ipv4_dst: HOA, ip_proto: 1, ttl: 64 });
      assert.deepEqual(Object.fromEntries(got), { 'acc3:5': [[HOA, MAC]], 'acc4:5': [[HOA, MAC]] }, `${mode}: ${from}`);
    }
  }
});

test('svcswitch trace over the planned tables: after the migration every correspondent reaches the VM at acc3:5 with its HoA, only the CoA between switches', () => {
  for (const mode of ['mobile-ip', 'optimized', 'first-hop'] as const) {
    const { net, moved } = network({ switch: 'acc3', port: 5 }, active(mode));
    for (const from of ['client', 'h12', 'h21', 'h31']) {
      const src = moved.find((h) => h.name === from)!;
      const r = trace(net, { switch: src.switch, port: src.port }, { eth_src: src.mac, eth_dst: GATEWAY_MAC, eth_type: 0x0800, ipv4_src: src.ip, ipv4_dst: HOA, ip_proto: 1, ttl: 64 });
      assert.equal(r.result, 'delivered', `${mode}: ${from}`);
      assert.deepEqual(r.at, { switch: 'acc3', port: 5 }, `${mode}: ${from} reaches acc3:5`);
      const last = r.hops.at(-1)!.packet;
      assert.deepEqual([last.ipv4_dst, last.eth_dst], [HOA, MAC], `${mode}: ${from}: delivered to the HoA and the VM's MAC`);
      // What reaches the Foreign switch from the fabric carries the CoA, never the HoA.
      const intoForeign = r.hops[r.hops.findIndex((h) => h.switch === 'acc3') - 1];
      if (intoForeign) assert.equal(intoForeign.packet.ipv4_dst, '10.0.3.200', `${mode}: ${from}: into acc3 from ${intoForeign.switch}`);
    }
  }
});

test('switchover, first step: the Foreign switch just left forwards its CoA on to the new place (chained) or home; without it, such a packet is lost', () => {
  const leaving = { switch: 'acc4', port: 5, coa: '10.0.4.200' };
  const cases = [
    { name: 'chained to acc2', vmAt: { switch: 'acc2', port: 5 }, placement: { ...active('first-hop', 'acc2', '10.0.2.200') } },
    { name: 'home', vmAt: { switch: 'acc1', port: 3 }, placement: { ...active('optimized'), at: { switch: 'acc1', port: 3, coa: undefined } } },
  ];
  for (const c of cases) {
    for (const withLeaving of [true, false]) {
      const { net, moved } = network(c.vmAt, withLeaving ? { ...c.placement, leaving } : c.placement);
      // A packet a redirecting switch rewrote to the old CoA just before it moved.
      for (const from of ['client', 'h12', 'h21']) {
        const src = moved.find((h) => h.name === from)!;
        const r = trace(net, { switch: src.switch, port: src.port }, { eth_src: src.mac, eth_dst: GATEWAY_MAC, eth_type: 0x0800, ipv4_src: src.ip, ipv4_dst: leaving.coa, ip_proto: 1, ttl: 64 });
        if (withLeaving) {
          assert.deepEqual([r.result, r.at], ['delivered', c.vmAt], `${c.name}: ${from}`);
          assert.deepEqual([r.hops.at(-1)!.packet.ipv4_dst, r.hops.at(-1)!.packet.eth_dst], [HOA, MAC]);
        } else {
          assert.notDeepEqual(r.at, c.vmAt, `${c.name}: ${from}: lost without the forwarding`);
        }
      }
    }
  }
});

test('while a migration is prepared, port security at the new port lets in the VM\'s own MAC with its HoA (IPv4 source, ARP sender) and nothing else; once switched over the migration admits nothing (the host\'s own entries do)', () => {
  const prepared: Placement = { ...active('optimized'), at: { switch: 'acc1', port: 3, coa: undefined }, next: { switch: 'acc3', port: 5, coa: '10.0.3.200' } };
  const admitted = (p: Placement) => [...planMigration(ctx, graph, p).entries()].flatMap(([sw, t]) => t.flows.filter((f) => f.tableId === TABLE.ingress).map((f) => ({ sw, priority: f.priority, match: f.match, instructions: f.instructions })));
  assert.deepEqual(admitted(prepared), [
    { sw: 'acc3', priority: P.admit, match: { in_port: 5, eth_src: MAC, eth_type: 0x0800, ipv4_src: HOA }, instructions: [inst.gotoTable(TABLE.forwarding)] },
    { sw: 'acc3', priority: P.admit, match: { in_port: 5, eth_src: MAC, eth_type: 0x0806, arp_sha: MAC, arp_spa: HOA }, instructions: [inst.gotoTable(TABLE.forwarding)] },
  ]);
  assert.deepEqual(admitted(active('optimized')), []);
  // Traced on acc3 with the fabric and the migration planned: the VM's frame from its HoA passes, one from another address is dropped.
  const fabric = planFabric({ topology, hosts: [], graph }).get('acc3')!;
  const mig = planMigration(ctx, graph, prepared).get('acc3')!;
  const acc3 = { flows: [...fabric.flows, ...mig.flows], groups: [...fabric.groups, ...mig.groups] };
  const pkt = { eth_src: MAC, eth_dst: GATEWAY_MAC, eth_type: 0x0800, ipv4_src: HOA, ipv4_dst: '10.0.2.10', ip_proto: 1, ttl: 64 };
  assert.deepEqual(simulate(acc3, 5, pkt).outputs.map((o) => o.port), ['controller'], 'the arrival entry sends it up (the switchover trigger)');
  assert.equal(simulate(acc3, 5, { ...pkt, ipv4_src: '10.0.3.99' }).dropped, 'dropped-by-entry');
});

/** The VM's own packet from acc3:5 to `to`: where it is delivered, and its source on every link between switches and at delivery. */
function fromVm(net: TraceNetwork, to: { ip?: string | undefined }): { at: string; between: string[]; delivered: string | undefined } {
  const r = trace(net, { switch: 'acc3', port: 5 }, { eth_src: MAC, eth_dst: GATEWAY_MAC, eth_type: 0x0800, ipv4_src: HOA, ipv4_dst: to.ip!, ip_proto: 6, ttl: 64 });
  assert.equal(r.result, 'delivered', `to ${to.ip}: ${r.reason ?? ''}`);
  return { at: `${r.at.switch}:${r.at.port}`, between: r.hops.slice(0, -1).map((h) => String(h.packet.ipv4_src)), delivered: r.hops.at(-1)?.packet.ipv4_src };
}

test('first-hop, the VM\'s own packets (slide 21 both ways): the CoA as source on every link between switches, the HoA again at every correspondent (HN, other subnets, the Internet); to its Foreign switch\'s own subnet the HoA throughout', () => {
  const { net, moved } = network({ switch: 'acc3', port: 5 }, active('first-hop'));
  for (const name of ['client', 'h12', 'h21', 'h41']) {
    const h = moved.find((x) => x.name === name)!;
    const r = fromVm(net, h);
    assert.equal(r.at, `${h.switch}:${h.port}`, `${name} reached`);
    assert.ok(r.between.length >= 2, `${name}: the packet crossed switches`);
    assert.deepEqual(new Set(r.between), new Set(['10.0.3.200']), `${name}: the CoA as source between switches`);
    assert.equal(r.delivered, HOA, `${name}: delivered with the HoA as source`);
  }
  const h31 = moved.find((x) => x.name === 'h31')!;
  assert.deepEqual(fromVm(net, h31), { at: 'acc3:3', between: [], delivered: HOA }, 'an FN node (acc3\'s own subnet) sees the HoA, as before the migration');
  // Other modes leave the source alone: the HoA crosses the fabric (docs/migration.md says why).
  for (const mode of ['mobile-ip', 'optimized'] as const) {
    const other = network({ switch: 'acc3', port: 5 }, active(mode));
    const client = moved.find((x) => x.name === 'client')!;
    assert.deepEqual(new Set(fromVm(other.net, client).between), new Set([HOA]), `${mode}: the HoA between switches`);
  }
});

test('first-hop source entries: table 0 of the Foreign switch (kept for its subnet, the CoA for the rest), a restore from every switch-to-switch port of every other first hop, none on aggregation or core; no tenant can have a CoA source restored', () => {
  const plan = planMigration(ctx, graph, active('first-hop'));
  const own = { in_port: 5, eth_src: MAC, eth_type: 0x0800, ipv4_src: HOA };
  const acc3 = plan.get('acc3')!.flows.filter((f) => f.tableId === TABLE.ingress);
  assert.deepEqual(acc3.map((f) => [f.priority, f.match, f.instructions]), [
    [P.sourceKept, { ...own, ipv4_dst: { value: '10.0.3.0', mask: '255.255.255.0' } }, [inst.gotoTable(TABLE.forwarding)]],
    [P.sourceToCoa, own, [inst.apply([act.setField('ipv4_src', '10.0.3.200')]), inst.gotoTable(TABLE.forwarding)]],
  ]);
  for (const sw of ['acc1', 'acc2', 'acc4', 'edge1']) {
    const restores = plan.get(sw)!.flows.filter((f) => f.priority === P.sourceRestored);
    assert.deepEqual(restores.map((f) => f.match.in_port), topology.links.flatMap((l) => [l.a, l.b]).filter((e) => e.switch === sw).map((e) => e.port).sort((a, b) => a - b), `${sw}: from each switch-to-switch port`);
    for (const f of restores) {
      assert.equal(f.tableId, TABLE.ingress);
      assert.deepEqual(f.instructions, [inst.apply([act.setField('ipv4_src', HOA)]), inst.gotoTable(TABLE.forwarding)]);
    }
  }
  // A tenant's packet with the CoA as source at its own port is port security's: dropped, never restored to the VM's HoA.
  const { net, moved } = network({ switch: 'acc3', port: 5 }, active('first-hop'));
  const h12 = moved.find((x) => x.name === 'h12')!;
  const r = trace(net, { switch: h12.switch, port: h12.port }, { eth_src: h12.mac, eth_dst: GATEWAY_MAC, eth_type: 0x0800, ipv4_src: '10.0.3.200', ipv4_dst: '10.0.2.10', ip_proto: 6, ttl: 64 });
  assert.equal(r.result, 'dropped');
  // Going on from acc3 to acc4: the VM's packets still in flight from acc3 are restored until acc3's entries go.
  const draining = planMigration(ctx, graph, { ...active('first-hop', 'acc4', '10.0.4.200'), leaving: { switch: 'acc3', port: 5, coa: '10.0.3.200' } });
  const restored = (sw: string, coa: string) => (draining.get(sw)?.flows ?? []).some((f) => f.priority === P.sourceRestored && f.match.ipv4_src === coa);
  assert.ok(restored('acc1', '10.0.3.200') && restored('acc1', '10.0.4.200') && restored('acc3', '10.0.4.200'));
  assert.ok(!restored('acc4', '10.0.4.200'), 'never where the CoA is set');
  assert.equal(planMigration(ctx, graph, active('first-hop', 'acc4', '10.0.4.200')).get('acc1')!.flows.filter((f) => f.priority === P.sourceRestored && f.match.ipv4_src === '10.0.3.200').length, 0, 'then gone');
});

test('proxy ARP in the switch (svcswitch trace): the Home Network asks for the HoA and the VM abroad asks for its Home Network, each gets its reply back from its own switch, no controller; an unknown address and the VM\'s own gratuitous ARP go to the controller unchanged; another tenant of the Foreign switch gets no answer for the Home Network', () => {
  for (const mode of ['mobile-ip', 'optimized', 'first-hop'] as const) {
    const { net, moved } = network({ switch: 'acc3', port: 5 }, active(mode));
    const host = (name: string) => moved.find((h) => h.name === name)!;
    const ask = (from: ReturnType<typeof host>, target: string) =>
      trace(net, { switch: from.switch, port: from.port }, { eth_src: from.mac, eth_dst: 'ff:ff:ff:ff:ff:ff', eth_type: 0x0806, arp_op: 1, arp_sha: from.mac, arp_spa: from.ip!, arp_tha: '00:00:00:00:00:00', arp_tpa: target });
    const reply = (to: ReturnType<typeof host>, about: string) => ({
      eth_src: GATEWAY_MAC, eth_dst: to.mac, ipv4_src: undefined, ipv4_dst: undefined, ttl: undefined,
      arp: { op: 2, sha: GATEWAY_MAC, spa: about, tha: to.mac, tpa: to.ip },
    });
    const h12 = host('h12');
    const vm = host('h11');
    const r = ask(h12, HOA);
    assert.equal(r.result, 'delivered', `${mode}: h12 asks for the HoA`);
    assert.deepEqual(r.at, { switch: h12.switch, port: h12.port }, `${mode}: answered back to h12 by acc1`);
    assert.deepEqual(r.hops.at(-1)!.packet, reply(h12, HOA));
    for (const about of [h12.ip!, '10.0.1.1']) {
      const v = ask(vm, about);
      assert.deepEqual([v.result, v.at], ['delivered', { switch: 'acc3', port: 5 }], `${mode}: the VM asks for ${about}`);
      assert.deepEqual(v.hops.at(-1)!.packet, reply(vm, about));
    }
    const unknown = ask(vm, '10.0.1.77');
    assert.equal(unknown.result, 'controller', `${mode}: an address nobody knows`);
    assert.deepEqual(unknown.hops.at(-1)!.packet.arp, { op: 1, sha: vm.mac, spa: HOA, tha: '00:00:00:00:00:00', tpa: '10.0.1.77' }, 'unchanged: still the request');
    assert.equal(ask(vm, HOA).result, 'controller', `${mode}: its gratuitous ARP`);
    const tenant = ask(host('h31'), h12.ip!);
    assert.notEqual(tenant.hops.at(-1)?.packet.arp?.op, 2, `${mode}: h31 (native at acc3) is never told where h12 is`);
  }
});
