import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PlanClock, SwitchPlan } from '../../src/controller/switch-plan.js';
import { plannerCookie } from '../../src/controller/pipeline.js';
import {
  EMPTY_TABLES, concatWire, flowBody, flowKey, flowOf, fromWire, groupOf, sameWire, toWire, type FlowEntry, type GroupEntry, type SwitchTables,
} from '../../src/controller/wire-tables.js';
import { GroupType, PortNo, act, bucket, inst } from '../../src/openflow/index.js';

const cookie = plannerCookie(4);
const flow = (port: number, ip: string): FlowEntry => ({
  tableId: 0, priority: 1200, cookie, match: { in_port: port, eth_type: 0x0800, ipv4_dst: ip },
  instructions: [inst.apply([act.setField('ipv4_dst', '10.9.0.7'), act.decNwTtl(), act.output(PortNo.IN_PORT)])],
});
const group = (id: number): GroupEntry => ({ groupId: id, groupType: GroupType.ALL, buckets: [bucket([act.output(3)]), bucket([act.setField('eth_dst', '02:00:00:00:00:09'), act.output(4)])] });
const tables = (): SwitchTables => ({ flows: [flow(1, '10.1.0.5'), flow(2, '10.1.0.5')], groups: [group(0x53560010)] });

test('wire form: flows and groups decode back to what was planned', () => {
  const t = tables();
  assert.deepEqual(fromWire(toWire(t)), t);
  const w = toWire(t);
  assert.deepEqual(flowOf({ key: w.flowKeys[1]!, body: w.flowBodies[1]! }), t.flows[1]);
  assert.deepEqual(groupOf({ id: w.groupIds[0]!, body: w.groupBodies[0]! }), t.groups[0]);
});

test('wire form: the key is table, priority and match; the body cookie and instructions', () => {
  const a = flow(1, '10.1.0.5');
  assert.equal(flowKey(a), flowKey({ ...a, cookie: plannerCookie(5), instructions: [] }), 'same table, priority, match: same key');
  assert.notEqual(flowKey(a), flowKey({ ...a, priority: 1201 }));
  assert.notEqual(flowKey(a), flowKey({ ...a, tableId: 1 }));
  assert.notEqual(flowKey(a), flowKey(flow(1, '10.1.0.6')));
  assert.notEqual(flowBody(a), flowBody({ ...a, cookie: plannerCookie(5) }));
  // One byte a character: the key is table (1) + priority (2) + an OXM match padded to 8.
  assert.equal(flowKey(a).length % 8, 3);
  assert.equal(flowKey(a).charCodeAt(0), 0);
  assert.equal((flowKey(a).charCodeAt(1) << 8) | flowKey(a).charCodeAt(2), 1200);
});

test('wire form: nothing at all is the one shared empty table; concat keeps order and pairs', () => {
  assert.equal(toWire({ flows: [], groups: [] }), EMPTY_TABLES);
  const a = toWire({ flows: [flow(1, '10.1.0.5')], groups: [] });
  const b = toWire(tables());
  const both = concatWire([a, b]);
  assert.deepEqual(fromWire(both), { flows: [flow(1, '10.1.0.5'), ...tables().flows], groups: tables().groups });
  assert.ok(sameWire(toWire(tables()), b), 'new objects, same entries');
  assert.equal(sameWire(a, b), false);
  assert.equal(sameWire(b, toWire({ ...tables(), groups: [group(0x53560011)] })), false, 'a group id alone differs');
  assert.equal(sameWire(b, toWire({ flows: [...tables().flows].reverse(), groups: tables().groups })), false, 'order counts');
});

test('a plan part set again to the same entries (new objects) is no change: no version, nothing to reconcile', () => {
  const plan = new SwitchPlan(new PlanClock());
  const v1 = plan.set('p', tables());
  assert.equal(v1, 1);
  const cursor = plan.cursor;
  assert.equal(plan.set('p', tables()), v1);
  assert.deepEqual([...plan.changedSince(cursor)!], []);
  assert.equal(plan.set('p', { flows: [flow(3, '10.1.0.5')], groups: [] }), 2);
  assert.deepEqual(plan.read('p'), { flows: [flow(3, '10.1.0.5')], groups: [] });
  assert.equal(plan.set('p', undefined), 3);
  assert.equal(plan.set('p', undefined), 3, 'removing what is not there is no change');
  assert.equal(plan.get('p'), undefined);
});

test('the plan journal: what changed since a cursor, each part once; trimmed behind its reader; bounded when nobody reads', () => {
  const plan = new SwitchPlan(new PlanClock());
  const one = (port: number): SwitchTables => ({ flows: [flow(port, '10.1.0.5')], groups: [] });
  plan.set('a', one(1));
  plan.set('b', one(2));
  plan.set('a', one(3));
  assert.equal(plan.cursor, 3);
  assert.deepEqual([...plan.changedSince(0)!].sort(), ['a', 'b']);
  assert.deepEqual([...plan.changedSince(2)!], ['a']);
  plan.trim(0);
  assert.deepEqual([...plan.changedSince(0)!].sort(), ['a', 'b'], 'trimming to where it starts drops nothing');
  plan.trim(2);
  assert.equal(plan.changedSince(1), undefined, 'a reader left behind the trim must read the whole table');
  assert.deepEqual([...plan.changedSince(2)!], ['a']);
  assert.equal(plan.cursor, 3, 'the cursor counts every change, trimmed or not');
  plan.trim(3);
  assert.deepEqual([...plan.changedSince(3)!], []);
  plan.set('c', one(4));
  assert.deepEqual([...plan.changedSince(3)!], ['c']);
  // Nobody reads: past 65,536 entries the oldest half goes.
  const idle = new SwitchPlan(new PlanClock());
  for (let i = 0; i <= 65_536; i++) idle.set('p', one(i % 2));
  assert.equal(idle.cursor, 65_537);
  assert.equal(idle.changedSince(32_767), undefined);
  assert.deepEqual([...idle.changedSince(32_768)!], ['p']);
});
