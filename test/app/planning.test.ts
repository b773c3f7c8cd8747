import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BehaviorSubject, Subject } from 'rxjs';
import { Planning, defaultParts } from '../../src/app/planning.js';
import { PlanStore } from '../../src/controller/flow-manager.js';
import { PIPELINE } from '../../src/controller/pipeline.js';
import type { HostInfo, TopologyEvent } from '../../src/topology/events.js';
import { fabricGraph, linkKey } from '../../src/topology/fabric-graph.js';
import { loadTopology, parseTopology } from '../../src/topology/loader.js';
import { threeTier } from '../../src/topology/generator.js';
import { memoryLogger } from '../../lab/memory-logger.js';

const topology = loadTopology('topologies/dc-small.yaml');
const dpid = (name: string): string => topology.switches.find((s) => s.name === name)!.dpid;
const h: HostInfo = { name: undefined, mac: '02:00:0a:00:01:99', ip: '10.0.1.99', switch: 'acc1', port: 9, declared: false, seen: true };

function rig() {
  const events = new Subject<TopologyEvent>();
  const graph = new BehaviorSubject(fabricGraph(topology, new Set()));
  const plans = new PlanStore(defaultParts(topology));
  const planning = new Planning({ declared: topology, graph$: graph, graph: () => graph.value, events$: events }, plans, 0);
  planning.start();
  const changed: string[] = [];
  plans.changed$.subscribe((d) => changed.push(d));
  return { events, graph, plans, planning, changed };
}

const parts = (plans: PlanStore, sw: string): string[] => [...plans.plan(dpid(sw)).partNames()].sort();
const tick = (): Promise<void> => new Promise((r) => setTimeout(r, 5));

test('start: discovery on every declared switch at once, routes once the graph is read', async () => {
  const { plans } = rig();
  assert.deepEqual(parts(plans, 'acc1'), ['discovery', 'fabric/port-security']);
  // LLDP to the controller from each declared link port of acc1 (1 and 2), dropped elsewhere.
  assert.deepEqual(plans.plan(dpid('acc1')).read('discovery')!.flows.map((f) => [f.priority, f.match.in_port]), [[PIPELINE.discovery.priority.lldp, 1], [PIPELINE.discovery.priority.lldp, 2], [PIPELINE.discovery.priority.lldpDrop, undefined]]);
  await tick();
  assert.deepEqual(parts(plans, 'acc1'), ['discovery', 'fabric/port-security', 'fabric/routes']);
});

test('a host added, moved within its switch, moved to another, updated and removed: only its own part changes, where it is', async () => {
  const { events, plans, changed } = rig();
  await tick();
  changed.length = 0;
  const routes = plans.plan(dpid('acc1')).get('fabric/routes');
  events.next({ kind: 'host-added', host: h });
  assert.deepEqual(changed, [dpid('acc1')]);
  assert.ok(parts(plans, 'acc1').includes(`fabric/host/${h.mac}`));
  const part = (sw: string) => plans.plan(dpid(sw)).read(`fabric/host/${h.mac}`);
  assert.ok(part('acc1')!.flows.some((f) => f.match.in_port === 9));
  events.next({ kind: 'host-moved', host: { ...h, port: 10 }, from: { switch: 'acc1', port: 9 } });
  assert.ok(part('acc1')!.flows.some((f) => f.match.in_port === 10) && !part('acc1')!.flows.some((f) => f.match.in_port === 9));
  events.next({ kind: 'host-moved', host: { ...h, switch: 'acc3', port: 9 }, from: { switch: 'acc1', port: 10 } });
  assert.equal(part('acc1'), undefined, 'gone from the switch it left');
  assert.ok(part('acc3'));
  // Events that are not about hosts leave host parts alone.
  events.next({ kind: 'switch-down', switch: { name: 'acc3', dpid: dpid('acc3'), tier: 'access', connected: false, connectedAt: 0 }, reason: 'test' } as TopologyEvent);
  assert.ok(part('acc3'), 'a switch event does not remove a host');
  events.next({ kind: 'host-updated', host: { ...h, switch: 'acc3', port: 9, ip: undefined } });
  assert.deepEqual(part('acc3')!.flows, [], 'no address: no entries');
  events.next({ kind: 'host-removed', host: { ...h, switch: 'acc3', port: 9 }, reason: 'gone' });
  assert.equal(part('acc3'), undefined);
  assert.equal(plans.plan(dpid('acc1')).get('fabric/routes'), routes, 'routes untouched by host changes');
  assert.deepEqual([...new Set(changed)].sort(), [dpid('acc1'), dpid('acc3')].sort());
});

test('a link change re-plans routes, and nothing else', async () => {
  const { graph, plans } = rig();
  await tick();
  const before = plans.plan(dpid('acc1')).get('fabric/routes')!;
  const discovery = plans.plan(dpid('acc1')).get('discovery');
  const l = topology.links.find((x) => x.a.switch === 'acc1' && x.b.switch === 'agg1')!;
  graph.next(fabricGraph(topology, new Set([linkKey(l.a, l.b)])));
  await tick();
  const after = plans.plan(dpid('acc1')).get('fabric/routes')!;
  assert.notEqual(after, before);
  assert.ok(plans.plan(dpid('acc1')).read('fabric/routes')!.groups.every((g) => g.buckets.length === 1), 'one uplink left');
  assert.equal(plans.plan(dpid('acc1')).get('discovery'), discovery);
});

test('default parts: none for a declared switch, LLDP from no port for an undeclared one, learning without a file', () => {
  const withFile = defaultParts(topology);
  assert.deepEqual([...withFile(dpid('acc1')).keys()], []);
  assert.deepEqual([...withFile('00000000000000ff').get('discovery')!.flows.map((f) => f.priority)], [PIPELINE.discovery.priority.lldpDrop]);
  const noFile = defaultParts(undefined)('00000000000000ff').get('discovery')!;
  assert.deepEqual(noFile.flows.map((f) => [f.priority, f.match]), [[PIPELINE.discovery.priority.lldp, { eth_type: 0x88cc }], [PIPELINE.discovery.priority.tableMiss, {}]]);
});

test('routes that take a switch past its table budget are planned all the same, and warned of once each time it goes past', async () => {
  const text = threeTier({ cores: 2, aggregations: 4, accessPerAggregation: 10, hostsPerAccess: 1 }).replace(/(name: core1, tier: core,)/, '$1 table_budget: 64,');
  const t = parseTopology(text, 'three-tier');
  assert.equal(t.switches.find((s) => s.name === 'core1')!.tableBudget, 64);
  const { logger, lines } = memoryLogger();
  const down = (keys: string[]) => fabricGraph(t, new Set(keys));
  const graph = new BehaviorSubject(down([]));
  const plans = new PlanStore(defaultParts(t));
  const planning = new Planning({ declared: t, graph$: graph, graph: () => graph.value, events$: new Subject<TopologyEvent>() }, plans, 0, logger);
  planning.start();
  await tick();
  const core1 = t.switches.find((s) => s.name === 'core1')!.dpid;
  const entries = plans.plan(core1).entries;
  assert.ok(entries > 64, `core1 holds ${entries}: a route and a group per subnet, past 64`);
  assert.ok(plans.plan(core1).read('fabric/routes')!.flows.length > 40, 'every route planned');
  const warned = () => lines.filter((l) => l.level === 'warn' && l.message === 'the fabric alone passes a switch\'s table budget');
  assert.deepEqual(warned().map((l) => [l.switch, l.entries, l.tableBudget]), [['core1', entries, 64]]);
  // Re-planned, still past: no second warning. Cut off from everything (within its budget again), then back: warned again.
  graph.next(down([]));
  await tick();
  assert.equal(warned().length, 1);
  graph.next(down(t.links.filter((l) => l.a.switch === 'core1' || l.b.switch === 'core1').map((l) => linkKey(l.a, l.b))));
  await tick();
  assert.ok(plans.plan(core1).entries <= 64, `${plans.plan(core1).entries} entries once cut off`);
  graph.next(down([]));
  await tick();
  assert.equal(warned().length, 2);
  planning.stop();
});
