import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PlanStore } from '../../src/controller/flow-manager.js';
import type { SwitchTables } from '../../src/controller/flow-tables.js';
import { GroupType, act, inst } from '../../src/openflow/index.js';

const flowTo = (port: number): SwitchTables['flows'][number] => ({ tableId: 1, priority: 100, cookie: 0n, match: { in_port: port }, instructions: [inst.apply([act.output(1)])] });
const group = (id: number): SwitchTables['groups'][number] => ({ groupId: id, groupType: GroupType.ALL, buckets: [] });

test('a switch plan counts its entries (flows and groups over all parts) as parts are set, replaced and removed: what a table budget is held against', () => {
  const plan = new PlanStore().plan('0000000000000001');
  assert.equal(plan.entries, 0);
  plan.set('a', { flows: [flowTo(1), flowTo(2)], groups: [group(1)] });
  plan.set('b', { flows: [flowTo(3)], groups: [] });
  assert.equal(plan.entries, 4);
  plan.set('a', { flows: [flowTo(1)], groups: [] });
  assert.equal(plan.entries, 2, 'a part replaced counts its new entries only');
  plan.set('a', { flows: [flowTo(1)], groups: [] });
  assert.equal(plan.entries, 2, 'the same part again changes nothing');
  plan.set('b', undefined);
  plan.set('nothing', undefined);
  assert.equal(plan.entries, 1);
});
