import assert from 'node:assert/strict';
import { test } from 'node:test';
import { migrationRig, RIG_TOPOLOGY, type Rig } from '../../lab/migration-rig.js';
import { until } from '../../lab/wait.js';
import { MigrationError } from '../../src/migration/migration-error.js';
import { MODES_BY_COST, modeWithinBudget } from '../../src/migration/table-budget.js';
import { bindingCosts, capacityOf } from '../../src/migration/capacity.js';
import { planMigration } from '../../src/migration/migration-planner.js';
import { fabricContext } from '../../src/fabric/fabric-planner.js';
import { fabricGraph } from '../../src/topology/fabric-graph.js';
import { loadTopology } from '../../src/topology/loader.js';
import { linkPortsOf, type Topology } from '../../src/topology/model.js';
import { networksOf } from '../../src/topology/networks.js';

/** Issue 26, item 2: a switch's table budget, held against every migration before anything is allocated or sent. */

const refusal = (f: () => unknown): { status: number; message: string } => {
  try {
    f();
  } catch (e) {
    assert.ok(e instanceof MigrationError, String(e));
    return { status: e.status, message: e.message };
  }
  assert.fail('not refused');
};

test('the mode within budget: the one asked for if it fits; else the next cheaper (first-hop, optimized, mobile-ip); a mode the request named, or a chained move\'s, never changes; a 409 names the switch', () => {
  assert.deepEqual(MODES_BY_COST, ['first-hop', 'optimized', 'mobile-ip']);
  const over = (full: string[]) => (mode: string) => (full.includes(mode) ? { switch: 'acc2', budget: 100, entries: 110 } : undefined);
  assert.equal(modeWithinBudget('10.0.1.10', 'first-hop', false, over([])), 'first-hop');
  assert.equal(modeWithinBudget('10.0.1.10', 'first-hop', false, over(['first-hop'])), 'optimized');
  assert.equal(modeWithinBudget('10.0.1.10', 'first-hop', false, over(['first-hop', 'optimized'])), 'mobile-ip');
  assert.equal(modeWithinBudget('10.0.1.10', 'optimized', false, over(['first-hop'])), 'optimized', 'never a costlier mode than asked');
  assert.deepEqual(refusal(() => modeWithinBudget('10.0.1.10', 'first-hop', true, over(['first-hop']))), { status: 409, message: '10.0.1.10 in first-hop mode would put 110 entries on acc2, past its table budget of 100' });
  assert.deepEqual(refusal(() => modeWithinBudget('10.0.1.10', 'first-hop', false, over(['first-hop', 'optimized', 'mobile-ip']))), { status: 409, message: '10.0.1.10 in mobile-ip mode would put 110 entries on acc2, past its table budget of 100 (first-hop and optimized would too)' });
});

test('what one more binding costs a switch that is neither its Home nor its Foreign: first-hop a redirect and a restore per link port at every first hop, optimized a redirect at the Edge, mobile-ip nothing; twice for a dual-stack VM; the same as the planner plans for h11', () => {
  const topology = loadTopology('topologies/dc-small.yaml');
  const ctx = fabricContext(topology);
  const graph = fabricGraph(topology, new Set());
  const ports = (sw: string) => linkPortsOf(topology, sw).length;
  const cost = (sw: string, mode: 'first-hop' | 'optimized' | 'mobile-ip') => bindingCosts(ctx, graph, mode).get(sw);
  for (const sw of ['acc1', 'acc2', 'acc3', 'acc4', 'edge1']) assert.equal(cost(sw, 'first-hop'), 2 * (1 + 2 * ports(sw)), `${sw}: every first hop, the Home and Foreign of the first VM measured by the second`);
  assert.equal(cost('edge1', 'optimized'), 2 * (1 + ports('edge1')));
  assert.equal(cost('acc2', 'optimized'), 0);
  assert.equal(cost('acc2', 'mobile-ip'), 0);
  assert.equal(cost('agg1', 'first-hop'), 0, 'never on aggregation or core');
  assert.equal(bindingCosts(ctx, graph, 'first-hop'), bindingCosts(ctx, graph, 'first-hop'), 'kept for the graph');
  const net1 = networksOf(topology).find((n) => n.name === 'net1')!;
  const h11 = planMigration(ctx, graph, { hoa: '10.0.1.10', mac: '02:00:0a:00:01:0a', home: net1, mode: 'first-hop', at: { switch: 'acc3', port: 5, coa: '10.0.3.200' }, group: undefined }).get('acc2')!;
  assert.equal(h11.flows.length + h11.groups.length, cost('acc2', 'first-hop'));
  const cap = capacityOf(ctx, graph, new Map([['acc2', 200], ['edge1', 100]]), (sw) => (sw === 'acc2' ? 150 : 95));
  assert.deepEqual(cap, [
    { switch: 'acc2', budget: 200, entries: 150, fits: { 'mobile-ip': null, optimized: null, 'first-hop': Math.floor(50 / (2 * (1 + 2 * ports('acc2')))) } },
    { switch: 'edge1', budget: 100, entries: 95, fits: { 'mobile-ip': null, optimized: Math.floor(5 / (2 * (1 + ports('edge1')))), 'first-hop': Math.floor(5 / (2 * (1 + 2 * ports('edge1')))) } },
  ]);
});

/** RIG_TOPOLOGY with table budgets on some switches. */
const withBudgets = (budgets: Record<string, number>): Topology => ({ ...RIG_TOPOLOGY, switches: RIG_TOPOLOGY.switches.map((s) => (budgets[s.name] === undefined ? s : { ...s, tableBudget: budgets[s.name]! })) });
/** What acc2 holds once the controller settled, with no migration. */
async function acc2Entries(): Promise<number> {
  const r = await migrationRig(60_000);
  try {
    await r.app.settled();
    const t = r.tables.get('acc2')!;
    return t.flows.size + t.groups.size;
  } finally {
    await r.close();
  }
}

test('a migration whose mode would pass a switch\'s table budget: the default mode gives way to a cheaper one that fits (logged, never a warn); a mode the request names is refused with 409 naming the switch, and nothing is taken or sent', async () => {
  const held = await acc2Entries();
  // first-hop would put entries at acc2 (for dual-stack h11, in IPv4 and IPv6); optimized does not touch it.
  const r: Rig = await migrationRig(60_000, { migration: { mode: 'first-hop' }, topology: withBudgets({ acc2: held + 2 }) });
  try {
    await r.app.settled();
    const before = r.tables.get('acc2')!.flows.size;
    const capacity = await r.call('GET', '/api/capacity');
    assert.deepEqual(capacity.body, [{ switch: 'acc2', budget: held + 2, entries: held, fits: { 'mobile-ip': null, optimized: null, 'first-hop': 0 } }], 'acc2 fits no first-hop binding, and the other modes put nothing there');
    const named = await r.call('POST', '/api/migrations', { hoa: '10.0.1.10', switch: 'acc3', port: 5, mode: 'first-hop' });
    assert.equal(named.status, 409);
    // What first-hop would add at acc2, counted by the planner (in this rig acc2's uplinks are down: no redirect onward, the restores only).
    const refused = /^10\.0\.1\.10 in first-hop mode would put (\d+) entries on acc2, past its table budget of (\d+)$/.exec(String(named.body.error));
    assert.ok(refused, String(named.body.error));
    assert.ok(Number(refused[1]) > held + 2 && Number(refused[2]) === held + 2);
    assert.deepEqual([r.app.migration.migrations(), r.app.migration.coaFree('net3'), r.app.migration.bicastGroupsInUse], [[], 2, 0], 'nothing taken');
    const m = await r.app.migration.migrate({ hoa: '10.0.1.10', switch: 'acc3', port: 5 });
    assert.equal(m.mode, 'optimized', 'the default first-hop gave way to optimized');
    r.app.migration.complete(m.id);
    await until(() => r.app.migration.bindings.get('10.0.1.10')?.state === 'active', 'bound');
    assert.equal(r.app.migration.bindings.get('10.0.1.10')?.mode, 'optimized');
    await r.app.settled();
    assert.equal(r.tables.get('acc2')!.flows.size, before, 'acc2 holds nothing of the migration');
    assert.ok(r.lines.some((l) => l.message === 'migration takes a cheaper mode within the table budgets' && l.level === 'info' && l.mode === 'optimized'));
  } finally {
    await r.close();
  }
});
