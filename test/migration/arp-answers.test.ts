import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PlanStore } from '../../src/controller/flow-manager.js';
import { PIPELINE, TABLE } from '../../src/controller/pipeline.js';
import { ArpAnswerParts, MAX_ANSWERED_PER_NETWORK, planArpAnswers } from '../../src/migration/arp-answers.js';
import type { Binding } from '../../src/migration/binding-store.js';
import { PortNo, act, inst } from '../../src/openflow/index.js';
import type { HostInfo } from '../../src/topology/events.js';
import { loadTopology } from '../../src/topology/loader.js';
import { networksOf } from '../../src/topology/networks.js';
import { ipv4Only } from '../topology/topology-edits.js';
import { NA_FLAGS_ROUTER_SOLICITED_OVERRIDE, NA_FLAGS_SOLICITED_OVERRIDE, ndAnsweredAs } from '../../src/fabric/ipv6-fabric.js';
import { GATEWAY_LINK_LOCAL } from '../../src/topology/model.js';

// IPv4 only for the tests that hold ARP's entries exactly; the last test is IPv6's.
const dualStack = loadTopology('topologies/dc-small.yaml');
const topology = ipv4Only(dualStack);
const networks = networksOf(topology).filter((n) => !n.external);
const net1 = networks.find((n) => n.name === 'net1')!;
const dpidOf = new Map(topology.switches.map((s) => [s.name, s.dpid]));
const dpid = (sw: string): string => dpidOf.get(sw)!;
const P = PIPELINE.migration.priority;

const binding = (hoa: string, sw: string, state: Binding['state'] = 'active'): Binding => ({
  hoa, mac: '02:00:0a:00:01:0a', homeSubnet: 'net1', home: { switch: 'acc1', port: 3 }, subnet: 'net3', coa: '10.0.3.200',
  switch: sw, port: 5, mode: 'optimized', state, createdAt: 0, updatedAt: 0,
});
const host = (mac: string, ip: string | undefined, sw = 'acc1'): HostInfo => ({ name: undefined, mac, ip, switch: sw, port: 9, declared: false, seen: true });
/** The addresses a switch answers for, from its part of net1. */
const answered = (plans: PlanStore, sw: string): string[] | undefined =>
  plans.plan(dpid(sw)).read('migration/arp/net1')?.flows.filter((f) => f.priority === P.arpAnswer).map((f) => String(f.match.arp_tpa));

test('planArpAnswers: the gateway and each known address, each an entry that makes the reply and hands it to arpReply; any other request from the network to the controller; nothing for a requester outside it', () => {
  const t = planArpAnswers(net1, ['10.0.1.11', '10.0.1.10', '10.0.1.11', '10.0.1.1']);
  const from = { eth_type: 0x0806, arp_op: 1, arp_spa: { value: '10.0.1.0', mask: '255.255.255.0' } };
  assert.deepEqual(t.flows, [
    ...['10.0.1.1', '10.0.1.10', '10.0.1.11'].map((a) => ({
      tableId: TABLE.arpAnswer, priority: P.arpAnswer, cookie: PIPELINE.migration.cookie, match: { ...from, arp_tpa: a },
      instructions: [inst.apply([act.setField('arp_op', 2), act.setField('arp_spa', a)]), inst.gotoTable(TABLE.arpReply)],
    })),
    { tableId: TABLE.arpAnswer, priority: P.arpUnknown, cookie: PIPELINE.migration.cookie, match: from, instructions: [inst.apply([act.output(PortNo.CONTROLLER)])] },
  ]);
  assert.deepEqual(t.groups, []);
});

test(`planArpAnswers: at most ${MAX_ANSWERED_PER_NETWORK} addresses of a network (the gateway first, then by address); the rest reach the controller`, () => {
  const many = Array.from({ length: 1500 }, (_, i) => `10.0.${1 + Math.floor(i / 250)}.${(i % 250) + 2}`).reverse();
  const t = planArpAnswers(net1, many);
  const answers = t.flows.filter((f) => f.priority === P.arpAnswer).map((f) => String(f.match.arp_tpa));
  assert.equal(answers.length, MAX_ANSWERED_PER_NETWORK);
  assert.equal(answers[0], '10.0.1.1');
  assert.deepEqual(answers.slice(1, 3), ['10.0.1.2', '10.0.1.3'], 'the lowest addresses first, whatever order they came in');
  assert.equal(t.flows.filter((f) => f.priority === P.arpUnknown).length, 1);
});

test('ArpAnswerParts: a network\'s part is on the switches where its VMs are abroad (and only while one is), re-planned when its hosts come, go or change address; other networks\' hosts change nothing', () => {
  const plans = new PlanStore();
  const parts = new ArpAnswerParts(plans, networks, dpidOf);
  parts.topology({ kind: 'host-added', host: host('02:00:00:00:00:11', '10.0.1.11') });
  assert.equal(answered(plans, 'acc3'), undefined, 'no VM abroad: no part anywhere');
  parts.binding('set', binding('10.0.1.10', 'acc3', 'prepared'));
  assert.equal(answered(plans, 'acc3'), undefined, 'only an active binding puts its VM abroad');
  parts.binding('set', binding('10.0.1.10', 'acc3'));
  assert.deepEqual(answered(plans, 'acc3'), ['10.0.1.1', '10.0.1.11']);
  parts.topology({ kind: 'host-added', host: host('02:00:00:00:00:12', '10.0.1.12') });
  assert.deepEqual(answered(plans, 'acc3'), ['10.0.1.1', '10.0.1.11', '10.0.1.12']);
  const before = plans.plan(dpid('acc3')).version;
  parts.topology({ kind: 'host-added', host: host('02:00:00:00:00:21', '10.0.2.21', 'acc2') });
  parts.topology({ kind: 'host-moved', host: host('02:00:00:00:00:12', '10.0.1.12', 'acc2'), from: { switch: 'acc1', port: 9 } });
  assert.equal(plans.plan(dpid('acc3')).version, before, 'a host of net2, a move that keeps the address: no change');
  parts.topology({ kind: 'host-updated', host: host('02:00:00:00:00:12', '10.0.1.13') });
  assert.deepEqual(answered(plans, 'acc3'), ['10.0.1.1', '10.0.1.11', '10.0.1.13']);
  // A second VM of net1 at acc3, then a chained move of the first to acc4: both switches hold the part.
  parts.binding('set', binding('10.0.1.20', 'acc3'));
  parts.binding('set', binding('10.0.1.10', 'acc4'));
  assert.ok(answered(plans, 'acc3') && answered(plans, 'acc4'));
  parts.topology({ kind: 'host-removed', host: host('02:00:00:00:00:11', '10.0.1.11'), reason: 'test' });
  assert.deepEqual([answered(plans, 'acc3'), answered(plans, 'acc4')], [['10.0.1.1', '10.0.1.13'], ['10.0.1.1', '10.0.1.13']]);
  parts.binding('deleted', binding('10.0.1.20', 'acc3'));
  assert.equal(answered(plans, 'acc3'), undefined, 'the last VM of net1 left acc3');
  parts.binding('deleted', binding('10.0.1.10', 'acc4'));
  assert.equal(answered(plans, 'acc4'), undefined);
  parts.binding('deleted', binding('10.0.1.10', 'acc4'));
  assert.equal(answered(plans, 'acc4'), undefined, 'a binding deleted twice changes nothing');
});

test('in a dual-stack network, the VM\'s neighbour solicitations too: its gateway\'s global and link-local addresses answered as a router\'s, each known IPv6 address as a host\'s, in address order; the others match nothing (dropped); the parts follow hosts\' IPv6 addresses', () => {
  const net1v6 = networksOf(dualStack).find((n) => n.name === 'net1')!;
  const t = planArpAnswers(net1v6, ['10.0.1.10', '2001:db8:0:1::11', '2001:db8:0:1::a', '2001:db8:0:1::1']);
  const nd = t.flows.filter((f) => f.match.eth_type === 0x86dd);
  const ns = { eth_type: 0x86dd, ip_proto: 58, icmpv6_type: 135 };
  assert.deepEqual(nd, [
    ['2001:db8:0:1::1', NA_FLAGS_ROUTER_SOLICITED_OVERRIDE],
    [GATEWAY_LINK_LOCAL, NA_FLAGS_ROUTER_SOLICITED_OVERRIDE],
    ['2001:db8:0:1::a', NA_FLAGS_SOLICITED_OVERRIDE],
    ['2001:db8:0:1::11', NA_FLAGS_SOLICITED_OVERRIDE],
  ].map(([a, flags]) => ({ tableId: TABLE.arpAnswer, priority: P.arpAnswer, cookie: PIPELINE.migration.cookie, match: { ...ns, ipv6_nd_target: a }, instructions: ndAnsweredAs(a as string, flags as number, false) })));
  assert.equal(t.flows.filter((f) => f.match.eth_type === 0x0806).length, 3, 'ARP as before: the gateway, 10.0.1.10, the rest to the controller');

  const plans = new PlanStore();
  const parts = new ArpAnswerParts(plans, networksOf(dualStack).filter((n) => !n.external), dpidOf);
  parts.binding('set', binding('10.0.1.10', 'acc3'));
  const targets = (): unknown[] => plans.plan(dpid('acc3')).read('migration/arp/net1')!.flows.filter((f) => f.match.eth_type === 0x86dd).map((f) => f.match.ipv6_nd_target);
  assert.deepEqual(targets(), ['2001:db8:0:1::1', GATEWAY_LINK_LOCAL]);
  parts.topology({ kind: 'host-added', host: { ...host('02:00:0a:00:01:0b', '10.0.1.11'), ip6: '2001:db8:0:1::11' } });
  assert.deepEqual(targets(), ['2001:db8:0:1::1', GATEWAY_LINK_LOCAL, '2001:db8:0:1::11']);
  parts.topology({ kind: 'host-updated', host: host('02:00:0a:00:01:0b', '10.0.1.11') });
  assert.deepEqual(targets(), ['2001:db8:0:1::1', GATEWAY_LINK_LOCAL], 'its IPv6 address gone, so is its answer');
});
