import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PIPELINE, TABLE } from '../../src/controller/pipeline.js';
import { fabricContext } from '../../src/fabric/fabric-planner.js';
import { NA_FLAGS_ROUTER_SOLICITED_OVERRIDE, NA_FLAGS_SOLICITED_OVERRIDE } from '../../src/fabric/ipv6-fabric.js';
import { coaTwin6 } from '../../src/migration/address-family.js';
import { IPV6_GROUP_OFFSET, planMigration, type Placement } from '../../src/migration/migration-planner.js';
import { fabricGraph } from '../../src/topology/fabric-graph.js';
import { loadTopology, parseTopology } from '../../src/topology/loader.js';
import { GATEWAY_LINK_LOCAL, GATEWAY_MAC } from '../../src/topology/model.js';
import { networksOf } from '../../src/topology/networks.js';
import { trace } from '../../src/topology/trace.js';
import { na, ns, ping6 } from '../fabric/ipv6-packets.js';
import { SMALL } from '../topology/topology-edits.js';
import { copies, plannedNetwork } from './planned-network.js';

/**
 * Issue 25, step 4: a dual-stack VM's migration in IPv6, checked with svcswitch trace over the
 * planned tables of dual-stack dc-small. Every IPv4 entry has its IPv6 twin (the IPv4 ones
 * are held exactly in migration-planner.test.ts); neighbour discovery takes ARP's place. The
 * same in Open vSwitch: test/migration/migration-ipv6.e2e.test.ts.
 */

const topology = loadTopology('topologies/dc-small.yaml');
const net1 = networksOf(topology).find((n) => n.name === 'net1')!;
const HOA = '10.0.1.10';
const HOA6 = '2001:db8:0:1::10';
const COA6 = '2001:db8:0:3::200';
const MAC = '02:00:0a:00:01:0a';
const GROUP = PIPELINE.migration.groups.min;
const MODES = ['mobile-ip', 'optimized', 'first-hop'] as const;
const VM_AT = { switch: 'acc3', port: 5 };
const active = (mode: Placement['mode'], coa = '10.0.3.200'): Placement => ({ hoa: HOA, mac: MAC, home: net1, mode, at: { ...VM_AT, coa }, group: GROUP });
const network = (vmAt: { switch: string; port: number }, placement: Placement) => plannedNetwork(topology, vmAt, placement);

test('the IPv6 CoA is the IPv4 CoA\'s twin: the same offset in the subnet\'s coa_pool6; none for an address in no pool', () => {
  assert.equal(coaTwin6(topology.subnets, '10.0.3.200'), COA6);
  assert.equal(coaTwin6(topology.subnets, '10.0.3.250'), '2001:db8:0:3::232', '.250 is the 51st: ::200 + 0x32');
  assert.equal(coaTwin6(topology.subnets, '10.0.3.10'), undefined);
  assert.equal(coaTwin6(topology.subnets, 'x'), undefined);
});

test('every correspondent reaches the dual-stack VM at acc3:5 in IPv6, in every mode: its IPv6 HoA and MAC at delivery, only the IPv6 CoA between switches', () => {
  for (const mode of MODES) {
    const { net, moved } = network(VM_AT, active(mode));
    for (const from of ['client', 'h12', 'h21', 'h31']) {
      const src = moved.find((h) => h.name === from)!;
      const r = trace(net, { switch: src.switch, port: src.port }, ping6(src, HOA6));
      assert.deepEqual([r.result, r.at], ['delivered', VM_AT], `${mode}: ${from}: ${r.reason ?? ''}`);
      const last = r.hops.at(-1)!.packet;
      assert.deepEqual([last.ipv6?.dst, last.eth_dst], [HOA6, MAC], `${mode}: ${from}`);
      const intoForeign = r.hops[r.hops.findIndex((h) => h.switch === 'acc3') - 1];
      if (intoForeign) assert.equal(intoForeign.packet.ipv6?.dst, COA6, `${mode}: ${from}: into acc3 from ${intoForeign.switch}`);
    }
  }
});

test('the VM\'s own IPv6 reaches every correspondent from its HoA; in first-hop mode with the IPv6 CoA as source between switches, the HoA again at the correspondent\'s first switch', () => {
  for (const mode of MODES) {
    const { net, moved } = network(VM_AT, active(mode));
    for (const name of ['client', 'h12', 'h21', 'h41']) {
      const h = moved.find((x) => x.name === name)!;
      const r = trace(net, VM_AT, { ...ping6({ mac: MAC, ip6: HOA6 }, h.ip6!), ip_proto: 6 });
      assert.deepEqual([r.result, r.at], ['delivered', { switch: h.switch, port: h.port }], `${mode}: to ${name}: ${r.reason ?? ''}`);
      assert.equal(r.hops.at(-1)!.packet.ipv6?.src, HOA6, `${mode}: ${name} sees the HoA`);
      const between = new Set(r.hops.slice(0, -1).map((x) => x.packet.ipv6?.src));
      assert.deepEqual(between, new Set([mode === 'first-hop' ? COA6 : HOA6]), `${mode}: to ${name}, between switches`);
    }
  }
});

test('make-before-break in IPv6: leaving home, going home and chained, every correspondent\'s packet reaches the VM once at each place, over the IPv6 group pair', () => {
  const moves: Array<[string, Placement, { switch: string; port: number }, string[]]> = [
    ['from home', { hoa: HOA, mac: MAC, home: net1, mode: 'optimized', at: { switch: 'acc1', port: 3, coa: undefined }, next: { ...VM_AT, coa: '10.0.3.200' }, group: GROUP }, { switch: 'acc1', port: 3 }, ['acc1:3', 'acc3:5']],
    ['home again', { ...active('optimized'), next: { switch: 'acc1', port: 3, coa: undefined } }, VM_AT, ['acc1:3', 'acc3:5']],
    ['chained', { ...active('first-hop'), next: { switch: 'acc4', port: 5, coa: '10.0.4.200' } }, VM_AT, ['acc3:5', 'acc4:5']],
  ];
  for (const [what, placement, vmAt, places] of moves) {
    const { net, moved } = network(vmAt, placement);
    for (const from of ['client', 'h12', 'h21']) {
      const src = moved.find((h) => h.name === from)!;
      const got = copies(net, { switch: src.switch, port: src.port }, ping6(src, HOA6));
      assert.deepEqual(Object.fromEntries(got), Object.fromEntries(places.map((p) => [p, [[HOA6, MAC]]])), `${what}: ${from}`);
    }
  }
  const tables = planMigration(fabricContext(topology), fabricGraph(topology, new Set()), moves[0]![1]);
  assert.deepEqual(tables.get('acc1')!.groups.map((g) => g.groupId), [GROUP, GROUP + 1, GROUP + IPV6_GROUP_OFFSET, GROUP + IPV6_GROUP_OFFSET + 1], 'an IPv4 and an IPv6 pair at the Home switch');
});

test('proxy neighbour discovery in the switch: the Home Network asks for the IPv6 HoA, the VM abroad asks for its Home Network and its gateway; each gets the advertisement back from its own switch, no controller; an unknown address is dropped; another tenant of the Foreign switch is never answered for the Home Network', () => {
  for (const mode of MODES) {
    const { net, moved } = network(VM_AT, active(mode));
    const host = (name: string) => moved.find((h) => h.name === name)!;
    const h12 = host('h12');
    const vm = host('h11');
    const answer = (to: { switch: string; port: number; mac: string; ip6?: string | undefined }, r: ReturnType<typeof trace>, about: string, flags: number, tll: string | undefined) => {
      assert.deepEqual([r.result, r.at], ['delivered', { switch: to.switch, port: to.port }], `${mode}: answered back to ${to.mac}: ${r.reason ?? ''}`);
      const p = r.hops.at(-1)!.packet;
      assert.deepEqual([p.eth_src, p.eth_dst, p.ipv6, p.nd], [GATEWAY_MAC, to.mac, { src: about, dst: to.ip6 }, tll === undefined ? { type: 136, target: about, sll: '00:00:00:00:00:00', tll, flags, optionType: 0 } : { type: 136, target: about, sll: undefined, tll, flags, optionType: 2 }], `${mode}: about ${about}`);
      assert.equal(r.hops.length, 1, 'by the switch the asker is at');
    };
    answer(h12, trace(net, { switch: h12.switch, port: h12.port }, ns(h12, h12.ip6!, HOA6, h12.mac)), HOA6, NA_FLAGS_SOLICITED_OVERRIDE, GATEWAY_MAC);
    answer(h12, trace(net, { switch: h12.switch, port: h12.port }, ns(h12, h12.ip6!, HOA6, undefined, GATEWAY_MAC)), HOA6, NA_FLAGS_SOLICITED_OVERRIDE, undefined);
    answer(vm, trace(net, VM_AT, ns(vm, HOA6, h12.ip6!, MAC)), h12.ip6!, NA_FLAGS_SOLICITED_OVERRIDE, GATEWAY_MAC);
    answer(vm, trace(net, VM_AT, ns(vm, HOA6, h12.ip6!, undefined, GATEWAY_MAC)), h12.ip6!, NA_FLAGS_SOLICITED_OVERRIDE, undefined);
    for (const gateway of ['2001:db8:0:1::1', GATEWAY_LINK_LOCAL]) answer(vm, trace(net, VM_AT, ns(vm, HOA6, gateway, MAC)), gateway, NA_FLAGS_ROUTER_SOLICITED_OVERRIDE, GATEWAY_MAC);
    const unknown = trace(net, VM_AT, ns(vm, HOA6, '2001:db8:0:1::77', MAC));
    assert.deepEqual([unknown.result, unknown.reason], ['dropped', 'no entry matched'], `${mode}: an address nobody has`);
    const h31 = host('h31');
    const tenant = trace(net, { switch: h31.switch, port: h31.port }, ns(h31, h31.ip6!, h12.ip6!, h31.mac));
    assert.notEqual(tenant.hops.at(-1)?.packet.nd?.type, 136, `${mode}: h31 (native at acc3) is never told where h12 is`);
  }
});

test('port security in IPv6 at the VM\'s new port while prepared, and at its Foreign port in first-hop mode: its own packets and ND pass; an advertisement for another\'s address or a router advertisement from it is dropped before the source rewrite', () => {
  const prepared: Placement = { hoa: HOA, mac: MAC, home: net1, mode: 'first-hop', at: { switch: 'acc1', port: 3, coa: undefined }, next: { ...VM_AT, coa: '10.0.3.200' }, group: GROUP };
  const guard = `dropped by migration (table ${TABLE.ingress}, priority ${PIPELINE.migration.priority.admitNdGuard})`;
  for (const [what, placement] of [['prepared', prepared], ['first-hop abroad', active('first-hop')]] as const) {
    const { net, moved } = network(placement === prepared ? { switch: 'acc1', port: 3 } : VM_AT, placement);
    const h12 = moved.find((h) => h.name === 'h12')!;
    const own = trace(net, VM_AT, na({ mac: MAC }, HOA6, HOA6, '33:33:00:00:00:01', 'ff02::1'));
    assert.notEqual(own.reason, guard, `${what}: its unsolicited advertisement for its own address passes`);
    const forged = trace(net, VM_AT, na({ mac: MAC }, HOA6, h12.ip6!, h12.mac, h12.ip6!));
    assert.deepEqual([forged.result, forged.reason], ['dropped', guard], `${what}: an advertisement for h12's address`);
    const ra = trace(net, VM_AT, { ...na({ mac: MAC }, 'fe80::1', HOA6, '33:33:00:00:00:01', 'ff02::1'), icmpv6_type: 134 });
    assert.deepEqual([ra.result, ra.reason], ['dropped', guard], `${what}: a router advertisement`);
    const ping = trace(net, VM_AT, ping6({ mac: MAC, ip6: HOA6 }, h12.ip6!));
    assert.equal(ping.result, placement === prepared ? 'controller' : 'delivered', `${what}: its own ping (prepared: the arrival entry sends it up, the switchover's trigger)`);
    const spoofed = trace(net, VM_AT, ping6({ mac: MAC, ip6: HOA6 }, h12.ip6!, '2001:db8:0:3::99'));
    assert.equal(spoofed.result, 'dropped', `${what}: a ping from another address`);
  }
});

test('a VM without an IPv6 address, or abroad in a subnet without an IPv6 side, has no IPv6 entry at all', () => {
  const noV6 = planMigration(fabricContext(topology), fabricGraph(topology, new Set()), { ...active('first-hop'), hoa: '10.0.1.77' });
  assert.equal([...noV6.values()].flatMap((t) => t.flows).filter((f) => f.match.eth_type === 0x86dd).length, 0, 'an undeclared VM');
  const text = SMALL.replace(/,\n\s+prefix6: "2001:db8:0:3::\/64", gateway6: "2001:db8:0:3::1", coa_pool6: "[^"]+"/, '').replace(/, ip6: "2001:db8:0:3::1[01]"/g, '');
  const t = parseTopology(text, 'x.yaml');
  const tables = planMigration(fabricContext(t), fabricGraph(t, new Set()), active('first-hop'));
  assert.equal([...tables.values()].flatMap((x) => x.flows).filter((f) => f.match.eth_type === 0x86dd).length, 0, 'net3 has no IPv6: no twin CoA');
  assert.ok([...tables.values()].flatMap((x) => x.flows).some((f) => f.match.eth_type === 0x0800), 'IPv4 as ever');
});
