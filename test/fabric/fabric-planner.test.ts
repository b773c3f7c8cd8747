import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GroupType, InstructionType, PortNo, act, inst, type Action } from '../../src/openflow/index.js';
import { PIPELINE, TABLE } from '../../src/controller/pipeline.js';
import { fabricGraph, linkKey } from '../../src/topology/fabric-graph.js';
import { DEFAULT_ROUTE_GROUP, PRIORITY, fabricContext, nextHopGroupId, planFabric, planHost, planRoutes } from '../../src/fabric/fabric-planner.js';
import { diffMessages, diffTables } from '../../src/controller/flow-tables.js';
import { decodeMessage, encodeMessage } from '../../src/openflow/index.js';
import { GATEWAY_MAC } from '../../src/topology/model.js';
import type { HostInfo } from '../../src/topology/events.js';
import { loadTopology } from '../../src/topology/loader.js';
import type { FlowEntry, SwitchTables } from '../../src/controller/flow-tables.js';
import { EMPTY_TABLES, flowOf, fromWire, toWire } from '../../src/controller/wire-tables.js';

const topo = loadTopology('topologies/dc-small.yaml');
const hosts: HostInfo[] = topo.hosts.map((h) => ({ name: h.name, mac: h.mac, ip: h.ip, ip6: h.ip6!, switch: h.switch, port: h.port, declared: true, seen: false }));
const plan = (down: string[] = [], hs = hosts): Map<string, SwitchTables> =>
  planFabric({ topology: topo, hosts: hs, graph: fabricGraph(topo, new Set(down)) });

const actionsOf = (f: FlowEntry): Action[] => (f.instructions[0]?.type === InstructionType.APPLY_ACTIONS ? f.instructions[0].actions : []);
const routeTo = (t: SwitchTables, prefix: string): FlowEntry | undefined =>
  t.flows.find((f) => f.tableId === TABLE.routing && typeof f.match.ipv4_dst === 'object' && `${f.match.ipv4_dst.value}/${f.match.ipv4_dst.mask}` === prefix);
const defaultRoute = (t: SwitchTables): FlowEntry | undefined => t.flows.find((f) => f.priority === PRIORITY.defaultRoute && f.match.eth_type === 0x0800);
/** The group a switch's routing table sends IPv4 for `prefix` to: its own route's, else the default route's; 'dropped' by an entry without actions, undefined with neither. */
const groupFor = (t: SwitchTables, prefix: string): number | 'dropped' | undefined => {
  const r = routeTo(t, prefix) ?? defaultRoute(t);
  if (!r) return undefined;
  const out = actionsOf(r).find((a) => a.type === 22) as { groupId: number } | undefined;
  return out ? out.groupId : 'dropped';
};
const portsFor = (t: SwitchTables, prefix: string): number[] => {
  const g = groupFor(t, prefix);
  return typeof g === 'number' ? bucketPorts(t, g) : [];
};
const bucketPorts = (t: SwitchTables, groupId: number): number[] =>
  (t.groups.find((g) => g.groupId === groupId)?.buckets ?? []).map((b) => (b.actions[0] as { port: number }).port);

test('an access switch answers ARP for its hosts\' gateway in the switch, with the anycast MAC', () => {
  const acc1 = plan().get('acc1')!;
  const arp = acc1.flows.filter((f) => f.priority === PRIORITY.gatewayArp && f.match.eth_type === 0x0806);
  assert.deepEqual(arp.map((f) => [f.match.in_port, f.match.arp_tpa, f.match.arp_sha]), [[3, '10.0.1.1', '02:00:0a:00:01:0a'], [4, '10.0.1.1', '02:00:0a:00:01:0b']]);
  const acts = actionsOf(arp[0]!);
  assert.deepEqual(acts.at(-1), { type: 0, port: 0xfffffff8, maxLen: 0xffff });
  assert.ok(acts.some((a) => a.type === 25 && a.field === 'arp_sha' && a.value === GATEWAY_MAC));
  assert.ok(acts.some((a) => a.type === 25 && a.field === 'arp_op' && a.value === 2));
});

test('routes, summarized: an access switch sends every other subnet up by one default route over both links; its own subnet is dropped where no host entry takes it; the core routes each subnet', () => {
  const acc1 = plan().get('acc1')!;
  for (const p of ['10.0.2.0/255.255.255.0', '10.0.3.0/255.255.255.0', '10.0.4.0/255.255.255.0', '198.51.100.0/255.255.255.0']) {
    assert.equal(routeTo(acc1, p), undefined, `acc1 has no route of its own for ${p}`);
    assert.equal(groupFor(acc1, p), DEFAULT_ROUTE_GROUP);
  }
  assert.deepEqual(actionsOf(defaultRoute(acc1)!).map((a) => a.type), [24, 22], 'dec_ttl then group');
  assert.deepEqual(bucketPorts(acc1, DEFAULT_ROUTE_GROUP), [1, 2]);
  assert.equal(groupFor(acc1, '10.0.1.0/255.255.255.0'), 'dropped');
  assert.ok(acc1.groups.every((g) => g.groupType === GroupType.SELECT && g.buckets.every((b) => b.watchPort === (b.actions[0] as { port: number }).port)));
  const hostRoute = acc1.flows.find((f) => f.priority === PRIORITY.hostRoute && f.match.ipv4_dst === '10.0.1.10')!;
  assert.equal(hostRoute.tableId, TABLE.forwarding, 'a host entry is found before any route');
  assert.deepEqual(actionsOf(hostRoute).map((a) => ('field' in a ? a.field : a.type)), ['eth_src', 'eth_dst', 24, 0]);
  // An aggregation switch: its pod's subnets down, one route each; the rest up to the core by default.
  const agg1 = plan().get('agg1')!;
  assert.deepEqual(portsFor(agg1, '10.0.3.0/255.255.255.0'), [4]);
  assert.equal(groupFor(agg1, '198.51.100.0/255.255.255.0'), DEFAULT_ROUTE_GROUP);
  assert.deepEqual(bucketPorts(agg1, DEFAULT_ROUTE_GROUP), [1]);
  // The core has nowhere up: a route per subnet, every subnet over both aggregation switches, the external network over edge1.
  const core = plan().get('core1')!;
  assert.equal(defaultRoute(core), undefined);
  assert.deepEqual(portsFor(core, '10.0.2.0/255.255.255.0'), [1, 2]);
  assert.deepEqual(portsFor(core, '198.51.100.0/255.255.255.0'), [3]);
});

test('a failed link leaves the groups that used it; valley-free detours go up to the core', () => {
  const l = topo.links.find((x) => x.a.switch === 'acc1' && x.b.switch === 'agg1')!;
  const p = plan([linkKey(l.a, l.b)]);
  assert.deepEqual(portsFor(p.get('acc1')!, '10.0.3.0/255.255.255.0'), [2]);
  // agg1 can no longer go down to acc1: it goes up to core1 (its default route, net1's own route gone), which goes down through agg2.
  assert.equal(routeTo(p.get('agg1')!, '10.0.1.0/255.255.255.0'), undefined);
  assert.deepEqual(portsFor(p.get('agg1')!, '10.0.1.0/255.255.255.0'), [1]);
  assert.deepEqual(portsFor(p.get('core1')!, '10.0.1.0/255.255.255.0'), [2]);
});

test('a moved host is served where it is, with its home gateway (the foreign switch proxies it)', () => {
  const moved = hosts.map((h) => (h.name === 'h11' ? { ...h, switch: 'acc2', port: 5 } : h));
  const p = plan([], moved);
  assert.equal(p.get('acc1')!.flows.some((f) => f.match.ipv4_dst === '10.0.1.10'), false);
  const arp = p.get('acc2')!.flows.find((f) => f.priority === PRIORITY.gatewayArp && f.match.eth_type === 0x0806 && f.match.in_port === 5)!;
  assert.equal(arp.match.arp_tpa, '10.0.1.1');
});

test('planning is pure: the same input gives the same tables, and every flow and group encodes and decodes back', () => {
  assert.deepEqual(plan(), plan());
  let n = 0;
  for (const t of plan().values()) {
    assert.deepEqual(fromWire(toWire(t)), t, 'the wire form plans are kept in gives back the planned entries');
    const write = [...diffMessages(diffTables(toWire(t), EMPTY_TABLES)).write];
    const decoded = write.map((m) => decodeMessage(encodeMessage(m)));
    assert.deepEqual(decoded.map((m) => m.type).sort(), write.map((m) => m.type).sort());
    for (const [i, m] of decoded.entries()) assert.deepEqual(m, { ...write[i], xid: m.xid });
    n += t.flows.length;
  }
  assert.equal(n, 435, 'dc-small: 6 entries and 2 of port security for each of 9 hosts, and 16 more each for IPv6 (test/fabric/ipv6-fabric.test.ts); on each switch 2 ARP-to-controller entries, the ND reply, router solicitations to the controller and the entry on to routing; each switch\'s port security (a trusted entry per link port, 22 in all, and 8 more each); summarized routes, IPv4 and IPv6 alike: 26 routes of their own (core1 5 networks, agg1 and agg2 their 4 access subnets), 10 own-prefix drops, and on the 7 switches with an up link the default route, 3 never-routed drops and a not-up-again entry per up link (11 up links)');
});

test('the same match at two priorities are two entries: the diff keeps them apart', () => {
  const t = plan().get('acc1')!;
  const route = t.flows.find((f) => f.priority === PRIORITY.hostRoute)!;
  const twin = { ...route, priority: PRIORITY.subnetRoute };
  const withTwin = toWire({ flows: [...t.flows, twin], groups: t.groups });
  const d = diffTables(withTwin, toWire(t));
  assert.deepEqual([d.flowsToWrite.map(flowOf), d.flowsToDelete], [[twin], []]);
  const back = diffTables(toWire(t), withTwin);
  assert.deepEqual([back.flowsToWrite, back.flowsToDelete.map(flowOf)], [[], [twin]]);
});

test('one host\'s entries, exactly: gateway ARP in the switch, its own announcement to the controller, ARP for it, frames for it, packets routed to it, replies made for it sent back', () => {
  const ctx = fabricContext(topo);
  // Its IPv4 side (the IPv6 one: test/fabric/ipv6-fabric.test.ts).
  const { ip6: _ip6, ...h11 } = hosts.find((h) => h.name === 'h11')!;
  const t = planHost(ctx, h11);
  assert.deepEqual(t.groups, []);
  // Table 0: what it may send (port security); table 1: the rest.
  assert.deepEqual(t.flows.filter((f) => f.tableId === TABLE.ingress), [
    { tableId: TABLE.ingress, priority: PIPELINE.portSecurity.priority.host, cookie: PIPELINE.portSecurity.cookie, match: { in_port: 3, eth_src: h11.mac, eth_type: 0x0800, ipv4_src: '10.0.1.10' }, instructions: [inst.gotoTable(TABLE.forwarding)] },
    { tableId: TABLE.ingress, priority: PIPELINE.portSecurity.priority.host, cookie: PIPELINE.portSecurity.cookie, match: { in_port: 3, eth_src: h11.mac, eth_type: 0x0806, arp_sha: h11.mac, arp_spa: '10.0.1.10' }, instructions: [inst.gotoTable(TABLE.forwarding)] },
  ]);
  const entries = t.flows.filter((f) => f.tableId === TABLE.forwarding).map((f) => [f.priority, f.match, actionsOf(f)]);
  assert.deepEqual(entries, [
    [PRIORITY.gatewayArp, { in_port: 3, eth_type: 0x0806, arp_op: 1, arp_tpa: '10.0.1.1', arp_sha: h11.mac }, [
      act.setField('eth_dst', h11.mac), act.setField('eth_src', GATEWAY_MAC), act.setField('arp_op', 2),
      act.setField('arp_sha', GATEWAY_MAC), act.setField('arp_spa', '10.0.1.1'), act.setField('arp_tha', h11.mac), act.setField('arp_tpa', '10.0.1.10'),
      act.output(PortNo.IN_PORT),
    ]],
    [PRIORITY.hostAnnounce, { eth_type: 0x0806, arp_op: 1, arp_sha: h11.mac, arp_tpa: '10.0.1.10' }, [act.output(PortNo.CONTROLLER)]],
    [PRIORITY.arpToHost, { eth_type: 0x0806, arp_op: 1, arp_tpa: '10.0.1.10' }, [act.output(3)]],
    [PRIORITY.l2, { eth_dst: h11.mac }, [act.output(3)]],
    [PRIORITY.hostRoute, { eth_type: 0x0800, ipv4_dst: '10.0.1.10' }, [act.setField('eth_src', GATEWAY_MAC), act.setField('eth_dst', h11.mac), act.decNwTtl(), act.output(3)]],
  ]);
  // arpReply: a reply the switch made for one of its requests goes back to it, from the gateway.
  assert.deepEqual(t.flows.filter((f) => f.tableId === TABLE.arpReply).map((f) => [f.priority, f.match, actionsOf(f)]), [
    [PRIORITY.arpReply, { in_port: 3, eth_type: 0x0806, arp_op: 2, arp_sha: h11.mac }, [
      act.setField('eth_dst', h11.mac), act.setField('eth_src', GATEWAY_MAC), act.setField('arp_sha', GATEWAY_MAC), act.setField('arp_tha', h11.mac), act.setField('arp_tpa', '10.0.1.10'),
      act.output(PortNo.IN_PORT),
    ]],
  ]);
  for (const f of t.flows) if (f.tableId !== TABLE.ingress) assert.equal(f.cookie, PIPELINE.fabric.cookie);
  // Without an address there is nothing to route to nor to admit; outside every network, no gateway to answer for.
  assert.deepEqual(planHost(ctx, { ...h11, ip: undefined }), { flows: [], groups: [] });
  assert.deepEqual(planHost(ctx, { ...h11, ip: '192.0.2.7' }).flows.filter((f) => f.tableId === TABLE.forwarding).map((f) => f.priority), [PRIORITY.hostAnnounce, PRIORITY.arpToHost, PRIORITY.l2, PRIORITY.hostRoute]);
});

test('one switch\'s routes, exactly: ARP and RARP to the controller, the rest on to routing; there its own subnet dropped, what is never routed dropped, the default route up, nothing from an up link that would climb again', () => {
  const ctx = fabricContext(topo);
  const acc1 = planRoutes(ctx, fabricGraph(topo, new Set()), 'acc1');
  const v4 = (t: SwitchTables) => t.flows.filter((f) => f.match.eth_type !== 0x86dd).map((f) => [f.tableId, f.priority, f.match, f.instructions]);
  const apply = (...actions: Action[]) => [inst.apply(actions)];
  const net1 = { value: '10.0.1.0', mask: '255.255.255.0' };
  assert.deepEqual(v4(acc1), [
    [TABLE.forwarding, PRIORITY.arpToController, { eth_type: 0x0806 }, apply(act.output(PortNo.CONTROLLER))],
    [TABLE.forwarding, PRIORITY.arpToController, { eth_type: 0x8035 }, apply(act.output(PortNo.CONTROLLER))],
    [TABLE.ndReply, PRIORITY.ndReply, { eth_type: 0x86dd, ip_proto: 58, icmpv6_type: 136 }, acc1.flows[2]!.instructions],
    [TABLE.forwarding, PRIORITY.onToRouting, {}, [inst.gotoTable(TABLE.routing)]],
    [TABLE.routing, PRIORITY.subnetDrop, { eth_type: 0x0800, ipv4_dst: net1 }, []],
    [TABLE.routing, PRIORITY.subnetDrop, { eth_type: 0x0800, ipv4_dst: { value: '224.0.0.0', mask: '224.0.0.0' } }, []],
    [TABLE.routing, PRIORITY.defaultRoute, { eth_type: 0x0800 }, apply(act.decNwTtl(), act.group(DEFAULT_ROUTE_GROUP))],
    [TABLE.routing, PRIORITY.notUpAgain, { in_port: 1, eth_type: 0x0800 }, []],
    [TABLE.routing, PRIORITY.notUpAgain, { in_port: 2, eth_type: 0x0800 }, []],
  ].filter((e) => (e[2] as { eth_type?: number }).eth_type !== 0x86dd));
  assert.deepEqual(acc1.groups.map((g) => g.groupId), [DEFAULT_ROUTE_GROUP], 'one group: no group to itself, none per subnet');
  // agg1: a route of its own to each access switch below it (their next hops are not the default's), the default up to core1.
  const agg1 = planRoutes(ctx, fabricGraph(topo, new Set()), 'agg1');
  const routes = agg1.flows.filter((f) => f.tableId === TABLE.routing && f.priority === PRIORITY.subnetRoute && f.match.eth_type === 0x0800);
  assert.deepEqual(routes.map((f) => [f.match.ipv4_dst, actionsOf(f)]), ['acc1', 'acc2', 'acc3', 'acc4'].map((sw, i) => [
    { value: `10.0.${i + 1}.0`, mask: '255.255.255.0' }, [act.decNwTtl(), act.group(nextHopGroupId(topo, sw))],
  ]));
  assert.deepEqual(agg1.groups.map((g) => [g.groupId, g.buckets.map((b) => b.watchPort)]), [
    ...['acc1', 'acc2', 'acc3', 'acc4'].map((sw, i) => [nextHopGroupId(topo, sw), [i + 2]]), [DEFAULT_ROUTE_GROUP, [1]],
  ]);
  // acc4 cut off: agg1 has neither a route nor a group towards it (net4 goes up by default and the core, which has no route to it, drops it).
  const cutLinks = new Set(topo.links.filter((l) => l.a.switch === 'acc4' || l.b.switch === 'acc4').map((l) => linkKey(l.a, l.b)));
  const cut = planRoutes(ctx, fabricGraph(topo, cutLinks), 'agg1');
  assert.ok(!cut.flows.some((f) => f.priority === PRIORITY.subnetRoute && JSON.stringify(f.match.ipv4_dst) === JSON.stringify({ value: '10.0.4.0', mask: '255.255.255.0' })));
  assert.ok(!cut.groups.some((g) => g.groupId === nextHopGroupId(topo, 'acc4')));
  assert.equal(cut.groups.length, agg1.groups.length - 1);
  assert.ok(!planRoutes(ctx, fabricGraph(topo, cutLinks), 'core1').flows.some((f) => (f.match.ipv4_dst as { value: string } | undefined)?.value === '10.0.4.0'));
});

test('next-hop group ids: one per switch from the start of the fabric\'s range, and a clear error past its end', () => {
  assert.deepEqual(topo.switches.map((s) => nextHopGroupId(topo, s.name)), topo.switches.map((_, i) => PIPELINE.fabric.groups.min + i));
  const { min, max } = PIPELINE.fabric.groups!;
  const many = { ...topo, switches: Array.from({ length: max - min + 2 }, (_, i) => ({ ...topo.switches[0]!, name: `s${i}` })) };
  assert.equal(nextHopGroupId(many, `s${max - min}`), max, 'the last id of the range is used');
  assert.throws(() => nextHopGroupId(many, `s${max - min + 1}`), (e: Error) => e instanceof RangeError && /s\d+: more switches than the fabric's group range holds/.test(e.message));
});

test('routes and ECMP groups that switches hold alike are one shared entry; a group with other ports is another', () => {
  const t = loadTopology('topologies/dc-small.yaml');
  const ctx = fabricContext(t);
  const g = fabricGraph(t);
  const [acc1, acc2, agg1, agg2, core1] = ['acc1', 'acc2', 'agg1', 'agg2', 'core1'].map((sw) => planRoutes(ctx, g, sw));
  const routeTo = (tables: SwitchTables, prefix: string) => tables.flows.find((f) => f.priority === PRIORITY.subnetRoute && (f.match.ipv4_dst as { value: string } | undefined)?.value === prefix)!;
  assert.equal(routeTo(agg1!, '10.0.3.0'), routeTo(agg2!, '10.0.3.0'), 'the route to net3: one object on agg1 and agg2');
  assert.equal(routeTo(agg1!, '10.0.3.0'), routeTo(core1!, '10.0.3.0'), 'and on core1');
  assert.notEqual(routeTo(agg1!, '10.0.3.0'), routeTo(agg1!, '10.0.4.0'));
  const groupTo = (tables: SwitchTables, id: number) => tables.groups.find((x) => x.groupId === id)!;
  assert.equal(groupTo(acc1!, DEFAULT_ROUTE_GROUP), groupTo(acc2!, DEFAULT_ROUTE_GROUP), 'acc1 and acc2 go up by the same ports (1, 2): one default group object');
  const net3Group = nextHopGroupId(t, 'acc3');
  assert.equal(groupTo(agg1!, net3Group), groupTo(agg2!, net3Group), 'agg1 and agg2 reach acc3 by port 4: one group object');
  assert.notEqual(groupTo(agg1!, net3Group), groupTo(core1!, net3Group), 'core1 reaches it by ports 1 and 2: its own');
  assert.deepEqual(groupTo(core1!, net3Group).buckets.map((b) => b.watchPort), [1, 2]);
  assert.equal(acc1!.flows[0], acc2!.flows[0], 'ARP to the controller: shared');
  assert.equal(defaultRoute(acc1!), defaultRoute(agg1!), 'the default route: shared');
  assert.equal(planRoutes(ctx, g, 'acc1').flows.length, acc1!.flows.length, 'planning again gives the same');
});
