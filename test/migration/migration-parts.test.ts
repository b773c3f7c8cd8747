import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PlanStore } from '../../src/controller/flow-manager.js';
import { PIPELINE } from '../../src/controller/pipeline.js';
import { fabricContext } from '../../src/fabric/fabric-planner.js';
import { admit } from '../../src/migration/admission.js';
import type { Binding, MigrationRecord } from '../../src/migration/binding-store.js';
import { MigrationError } from '../../src/migration/migration-error.js';
import { type MigrationEvent, MigrationLedger } from '../../src/migration/migration-ledger.js';
import { MigrationResources } from '../../src/migration/migration-resources.js';
import { placementOf, VmParts } from '../../src/migration/vm-parts.js';
import { fabricGraph } from '../../src/topology/fabric-graph.js';
import { loadTopology } from '../../src/topology/loader.js';
import { networksOf } from '../../src/topology/networks.js';

/** The migration's parts one by one: the ledger of its life, the resources it takes, each VM's placement and part. */

const topology = loadTopology('topologies/dc-small.yaml');
const networks = networksOf(topology).filter((n) => !n.external);
const net1 = networks.find((n) => n.name === 'net1')!;
const HOA = '10.0.1.10';
const MAC = '02:00:0a:00:01:0a';
const record = (over: Partial<MigrationRecord> = {}): MigrationRecord => ({
  id: '1', hoa: HOA, mac: MAC, mode: 'optimized', trigger: 'orchestrated',
  from: { switch: 'acc1', port: 3, coa: undefined, subnet: 'net1' }, to: { switch: 'acc3', port: 5, coa: '10.0.3.200', subnet: 'net3' },
  status: 'preparing', timeline: [], ...over,
});
const binding = (over: Partial<Binding> = {}): Binding => ({
  hoa: HOA, mac: MAC, homeSubnet: 'net1', home: { switch: 'acc1', port: 3 }, subnet: 'net3', coa: '10.0.3.200',
  switch: 'acc3', port: 5, mode: 'first-hop', state: 'active', createdAt: 1, updatedAt: 2, ...over,
});

test('the ledger: pend sets the timeout and awaits the VM by MAC; unpend clears it; pendingById names what is wrong; history keeps the newest finished; every change is an event, a copy', async () => {
  const ledger = new MigrationLedger(2);
  const events: MigrationEvent[] = [];
  ledger.events$.subscribe((e) => events.push(e));
  const r = record();
  let fired = 0;
  ledger.pend(r, false, 5, () => fired++);
  ledger.remember(r);
  assert.equal(ledger.pending.get(HOA)?.record, r);
  assert.equal(ledger.arrivals.get(MAC), r);
  assert.equal(ledger.pendingById('1').record, r);
  assert.throws(() => ledger.pendingById('9'), (e: unknown) => e instanceof MigrationError && e.status === 404 && e.message === 'no migration 9');
  await new Promise((done) => setTimeout(done, 20));
  assert.equal(fired, 1, 'the timeout fired');
  const later = record({ id: '2' });
  ledger.pend(later, true, 10, () => fired++);
  ledger.unpend(ledger.pending.get(HOA)!);
  await new Promise((done) => setTimeout(done, 25));
  assert.equal(fired, 1, 'unpended: no timeout');
  assert.equal(ledger.pending.has(HOA), false);
  later.status = 'completed';
  ledger.remember(later);
  assert.throws(() => ledger.pendingById('2'), (e: unknown) => e instanceof MigrationError && e.status === 409 && e.message === 'migration 2 is completed, not pending');
  // A negative time left (a restart past the deadline) fires at once.
  ledger.pend(record({ id: '3' }), false, -5, () => fired++);
  await new Promise((done) => setTimeout(done, 5));
  assert.equal(fired, 2);
  for (const id of ['4', '5', '6']) {
    const f = record({ id, status: 'completed' });
    ledger.remember(f);
    ledger.retire(f);
  }
  assert.deepEqual(ledger.all().map((m) => m.id), ['1', '2', '5', '6'], 'the last 2 finished kept, the ones never retired too (3 was never remembered)');
  assert.equal(ledger.get('4'), undefined);
  const copy = ledger.get('5')!;
  copy.status = 'failed';
  assert.equal(ledger.get('5')!.status, 'completed', 'a copy');
  ledger.refused(MAC, { switch: 'acc3', port: 5 }, 'why');
  assert.deepEqual(events.at(-1), { kind: 'announcement-refused', mac: MAC, at: { switch: 'acc3', port: 5 }, reason: 'why' });
  const emitted = events.find((e) => e.kind === 'migration')!;
  assert.notEqual(emitted.kind === 'migration' && emitted.migration, r, 'events carry copies');
  let completed = false;
  ledger.events$.subscribe({ complete: () => (completed = true) });
  ledger.pend(record({ id: '7', hoa: '10.0.1.11' }), false, 5, () => fired++);
  ledger.close();
  await new Promise((done) => setTimeout(done, 20));
  assert.equal(fired, 2, 'closed: no timeout fires');
  assert.ok(completed);
});

test('resources: a first move takes a pair and a CoA; going home takes only the pair; an exhausted pool gives the pair back; no pair left is 409', () => {
  const res = new MigrationResources(topology.subnets, 1000);
  const view = { declared: topology, networks, hostByIp: () => ({ mac: MAC, switch: 'acc1', port: 3 }), inFlight: () => false, binding: () => undefined, defaultMode: 'optimized' as const };
  const abroad = admit({ hoa: HOA, switch: 'acc3', port: 5 }, view);
  const t = res.take(abroad);
  assert.deepEqual([t.coa, t.group, t.hadGroup, res.groups.used, res.pools.free('net3')], ['10.0.3.200', PIPELINE.migration.groups.min, false, 1, 50]);
  t.giveBack();
  assert.deepEqual([res.groups.used, res.pools.free('net3')], [0, 51], 'given back: unused, so not resting');
  const again = res.take(abroad);
  assert.equal(again.coa, '10.0.3.200', 'a CoA no switch ever saw is free again at once');
  assert.notEqual(again.group, t.group, 'a pair is never handed out right after it was freed');
  assert.equal(res.take(abroad).hadGroup, true, 'a VM already holding a pair keeps it');
  const back = admit({ hoa: HOA, switch: 'acc1', port: 3 }, { ...view, binding: () => binding() });
  const home = new MigrationResources(topology.subnets).take(back);
  assert.equal(home.coa, undefined, 'home: no CoA');
  // net3 with one address: the second VM's request is refused and its pair given back.
  const small = new MigrationResources(topology.subnets.map((s) => (s.name === 'net3' ? { ...s, coaPool: { first: '10.0.3.200', last: '10.0.3.200' } } : s)));
  small.take(abroad);
  const other = admit({ hoa: '10.0.1.11', switch: 'acc3', port: 6 }, { ...view, hostByIp: () => ({ mac: '02:00:0a:00:01:0b', switch: 'acc1', port: 4 }) });
  assert.throws(() => small.take(other), (e: unknown) => e instanceof MigrationError && e.status === 409 && /net3/.test(e.message));
  assert.equal(small.groups.used, 1, 'the refused VM\'s pair given back');
  const full = new MigrationResources(topology.subnets);
  const size = (PIPELINE.migration.groups.max - PIPELINE.migration.groups.min + 1) >> 1;
  for (let i = 0; i < size; i++) full.groups.take(`10.9.${i >> 8}.${i & 255}`);
  assert.throws(() => full.take(abroad), (e: unknown) => e instanceof MigrationError && e.status === 409 && e.message === 'every bicast group id is in use (too many migrations in flight)');
  assert.equal(full.pools.free('net3'), 51, 'no CoA taken either');
});

test('placementOf: pending (a first move in its own mode, a chained one in the binding\'s), active, draining home, none', () => {
  const base = { hoa: HOA, home: net1, pending: undefined, binding: undefined, group: undefined, draining: undefined };
  assert.equal(placementOf(base), undefined);
  const first = placementOf({ ...base, pending: record({ mode: 'mobile-ip' }), group: 7 })!;
  assert.deepEqual(first, { hoa: HOA, mac: MAC, home: net1, mode: 'mobile-ip', at: { switch: 'acc1', port: 3, coa: undefined }, next: { switch: 'acc3', port: 5, coa: '10.0.3.200' }, group: 7 });
  const chained = record({ mode: 'optimized', from: { switch: 'acc3', port: 5, coa: '10.0.3.200', subnet: 'net3' }, to: { switch: 'acc4', port: 5, coa: '10.0.4.200', subnet: 'net4' } });
  assert.equal(placementOf({ ...base, pending: chained, binding: binding({ mode: 'first-hop' }) })!.mode, 'first-hop');
  assert.equal(placementOf({ ...base, pending: chained })!.mode, 'optimized');
  assert.deepEqual(placementOf({ ...base, binding: binding() }), { hoa: HOA, mac: MAC, home: net1, mode: 'first-hop', at: { switch: 'acc3', port: 5, coa: '10.0.3.200' }, group: undefined });
  assert.equal(placementOf({ ...base, binding: binding({ state: 'prepared' }) }), undefined, 'a prepared binding without its migration places nothing');
  const drain = record({ status: 'completed', from: { switch: 'acc3', port: 5, coa: '10.0.3.200', subnet: 'net3' }, to: { switch: 'acc1', port: 3, coa: undefined, subnet: 'net1' } });
  assert.deepEqual(placementOf({ ...base, draining: drain, group: 9 }), { hoa: HOA, mac: MAC, home: net1, mode: 'optimized', at: { switch: 'acc1', port: 3, coa: undefined }, group: 9, leaving: { switch: 'acc3', port: 5, coa: '10.0.3.200' } });
  assert.deepEqual(placementOf({ ...base, binding: binding({ switch: 'acc4', port: 5, coa: '10.0.4.200' }), draining: { ...drain, to: { switch: 'acc4', port: 5, coa: '10.0.4.200', subnet: 'net4' } } })!.leaving, { switch: 'acc3', port: 5, coa: '10.0.3.200' });
  assert.equal('leaving' in placementOf({ ...base, binding: binding(), draining: record({ status: 'completed' }) })!, false, 'from home: nothing to leave');
});

test('VmParts: a part on the switches its placement needs, removed from those it no longer does, and the version to wait for on every switch touched', () => {
  const plans = new PlanStore();
  const dpidOf = new Map(topology.switches.map((s) => [s.name, s.dpid]));
  const parts = new VmParts(plans, fabricContext(topology), dpidOf);
  const graph = fabricGraph(topology, new Set());
  const dpid = (sw: string) => dpidOf.get(sw)!;
  const active = placementOf({ hoa: HOA, home: net1, pending: undefined, binding: binding({ mode: 'optimized' }), group: undefined, draining: undefined });
  const w1 = parts.set(HOA, active, graph);
  assert.deepEqual(w1.dpids.sort(), ['acc1', 'acc3', 'edge1'].map(dpid).sort());
  assert.equal(w1.version, plans.version);
  assert.ok(plans.plan(dpid('acc3')).read(`migration/${HOA}`));
  const w2 = parts.set(HOA, placementOf({ hoa: HOA, home: net1, pending: undefined, binding: binding({ mode: 'mobile-ip' }), group: undefined, draining: undefined }), graph);
  assert.deepEqual(w2.dpids.sort(), ['acc1', 'acc3', 'edge1'].map(dpid).sort(), 'the Edge is waited for: its part went');
  assert.ok(w2.version > w1.version);
  assert.equal(plans.plan(dpid('edge1')).read(`migration/${HOA}`), undefined);
  const w3 = parts.set(HOA, undefined, graph);
  assert.deepEqual(w3.dpids.sort(), ['acc1', 'acc3'].map(dpid).sort());
  assert.deepEqual(parts.set(HOA, undefined, graph).dpids, [], 'nothing held: nothing to wait for');
});
