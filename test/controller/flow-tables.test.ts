import assert from 'node:assert/strict';
import { test } from 'node:test';
import { diffMessages, diffParts, diffTables as diffWire, indexTables, type FlowEntry, type GroupEntry, type SwitchTables } from '../../src/controller/flow-tables.js';
import { EMPTY_TABLES, flowOf, groupOf, toWire } from '../../src/controller/wire-tables.js';
import { plannerCookie } from '../../src/controller/pipeline.js';
import { FlowModCommand, GroupModCommand, GroupType, MessageType, act, bucket, inst, type GroupMod } from '../../src/openflow/index.js';

const cookie = plannerCookie(2);
const f = (priority: number, port: number, out: number): FlowEntry => ({ tableId: 0, priority, cookie, match: { in_port: port }, instructions: [inst.apply([act.output(out)])] });
const diffTables = (desired: SwitchTables, actual: SwitchTables) => diffWire(toWire(desired), toWire(actual));
const g = (id: number, ports: number[]): GroupEntry => ({ groupId: id, groupType: GroupType.SELECT, buckets: ports.map((p) => bucket([act.output(p)], { weight: 1, watchPort: p })) });

test('nothing to do when desired equals actual (compared in canonical wire form)', () => {
  const t = { flows: [f(10, 1, 2), f(10, 2, 1)], groups: [g(0x53560001, [1, 2])] };
  const copy = structuredClone(t);
  const d = diffTables(t, copy);
  assert.deepEqual([d.flowsToWrite, d.flowsToDelete, d.groupsToWrite, d.groupsToDelete], [[], [], [], []]);
});

test('new, changed and stale flows and groups', () => {
  const actual = { flows: [f(10, 1, 2), f(10, 2, 1), f(5, 9, 9)], groups: [g(0x53560001, [1, 2]), g(0x53560002, [3])] };
  const desired = { flows: [f(10, 1, 2), f(10, 2, 3), f(20, 4, 4)], groups: [g(0x53560001, [1]), g(0x53560003, [4])] };
  const d = diffTables(desired, actual);
  assert.deepEqual(d.flowsToWrite.map((x) => flowOf(x).match.in_port), [2, 4]);
  assert.deepEqual(d.flowsToDelete.map((x) => flowOf(x).match.in_port), [9]);
  assert.deepEqual(d.groupsToWrite.map((x) => [groupOf(x).groupId, x.exists]), [[0x53560001, true], [0x53560003, false]]);
  assert.deepEqual(d.groupsToDelete.map((x) => x.id), [0x53560002]);
  const write = [...diffMessages(d).write];
  const remove = [...diffMessages(d).remove];
  // Groups are written before the flows that may use them, and deleted after them.
  assert.deepEqual(write.map((m) => m.type), [MessageType.GROUP_MOD, MessageType.GROUP_MOD, MessageType.FLOW_MOD, MessageType.FLOW_MOD]);
  assert.deepEqual(write.slice(0, 2).map((m) => m.type === MessageType.GROUP_MOD && m.command), [GroupModCommand.MODIFY, GroupModCommand.ADD]);
  assert.deepEqual(remove.map((m) => (m.type === MessageType.FLOW_MOD ? `flow ${m.command === FlowModCommand.DELETE_STRICT}` : 'group')), ['flow true', 'group']);
});

test('a different cookie alone is a change (another planner owns it now)', () => {
  const other = { ...f(10, 1, 2), cookie: plannerCookie(3) };
  assert.equal(diffTables({ flows: [other], groups: [] }, { flows: [f(10, 1, 2)], groups: [] }).flowsToWrite.length, 1);
});

test('changed parts: only what differs from the switch is written; a group moved between parts, or one the switch does not hold, is not deleted', () => {
  const shared = g(0x53560001, [1, 2]);
  const before = toWire({ flows: [f(10, 1, 2)], groups: [shared, g(0x53560002, [3])] });
  const index = indexTables(before);
  // The part keeps its group as it was and changes a flow: the group is not sent again.
  const after = toWire({ flows: [f(10, 1, 3)], groups: [shared] });
  const d = diffParts([{ before, after }], index);
  assert.deepEqual(d.groupsToWrite, [], 'an unchanged group is not rewritten');
  assert.deepEqual(d.groupsToDelete.map((x) => x.id), [0x53560002]);
  // The group leaves one part for another in the same batch: written where it is now, never deleted.
  const moved = diffParts([{ before, after: EMPTY_TABLES }, { before: undefined, after: toWire({ flows: [], groups: [shared, g(0x53560002, [3])] }) }], index);
  assert.deepEqual(moved.groupsToDelete, []);
  assert.deepEqual(moved.flowsToDelete.map((x) => flowOf(x).match.in_port), [1]);
  // A part that names a group the switch does not hold (deleted behind our back) deletes nothing.
  const partial = indexTables(toWire({ flows: [f(10, 1, 2)], groups: [] }));
  assert.deepEqual(diffParts([{ before, after: EMPTY_TABLES }], partial).groupsToDelete, []);
});

test('a group deleted is sent without buckets', () => {
  const d = diffTables({ flows: [], groups: [] }, { flows: [], groups: [g(0x53560002, [3])] });
  const [del] = [...diffMessages(d).remove];
  assert.ok(del?.type === MessageType.GROUP_MOD);
  assert.equal(del.command, GroupModCommand.DELETE);
  assert.deepEqual(del.buckets, []);
});

test('a group whose buckets changed is rewritten whole, as a MODIFY (the switch holds it), in the write batch; one the switch lacks is an ADD', () => {
  const held = g(0x53560001, [1, 2]);
  const changed = g(0x53560001, [1, 3]);
  for (const d of [
    diffTables({ flows: [], groups: [changed] }, { flows: [], groups: [held] }),
    diffParts([{ before: toWire({ flows: [], groups: [held] }), after: toWire({ flows: [], groups: [changed] }) }], indexTables(toWire({ flows: [], groups: [held] }))),
  ]) {
    const { write, remove } = diffMessages(d);
    const mods = [...write] as GroupMod[];
    assert.deepEqual(mods.map((m) => [m.command, m.groupId, m.buckets]), [[GroupModCommand.MODIFY, 0x53560001, changed.buckets]]);
    assert.deepEqual([...remove], []);
  }
  const add = [...diffMessages(diffTables({ flows: [], groups: [changed] }, { flows: [], groups: [] })).write] as GroupMod[];
  assert.deepEqual(add.map((m) => m.command), [GroupModCommand.ADD]);
});
