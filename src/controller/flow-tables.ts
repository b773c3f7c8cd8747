import { FlowModCommand, GroupModCommand, MessageType, flowMod, type FlowMod, type GroupMod, type OfpMessage } from '../openflow/index.js';
import { flowOf, flowsOf, groupOf, groupsOf, type WireFlow, type WireGroup, type WireTables } from './wire-tables.js';

export { flowKey, type FlowEntry, type GroupEntry, type SwitchTables } from './wire-tables.js';

/**
 * The pure diff between two tables in wire form (see wire-tables.ts), and the messages that
 * apply it. The reconciler (imperative shell) sends them.
 */

export interface TablesDiff {
  /** Groups to add or modify: sent before the flows that may point at them. */
  groupsToWrite: Array<WireGroup & { exists: boolean }>;
  flowsToWrite: WireFlow[];
  flowsToDelete: WireFlow[];
  /** Removed after the flows that pointed at them. */
  groupsToDelete: WireGroup[];
}

/** The flows of `actual` by key: made once when one table is diffed against two (the audit: against what was installed, and against the plan). */
export function indexFlows(actual: WireTables): ReadonlyMap<string, string> {
  const index = new Map<string, string>();
  for (let i = 0; i < actual.flowKeys.length; i++) index.set(actual.flowKeys[i]!, actual.flowBodies[i]!);
  return index;
}

/** What turns `actual` into `desired`. Index-based: a switch may report 50,000 entries, and no object is made for an entry that stays. */
export function diffTables(desired: WireTables, actual: WireTables, actualFlows: ReadonlyMap<string, string> = indexFlows(actual)): TablesDiff {
  const flowsToWrite: WireFlow[] = [];
  for (let i = 0; i < desired.flowKeys.length; i++) {
    const key = desired.flowKeys[i]!;
    const body = desired.flowBodies[i]!;
    if (actualFlows.get(key) !== body) flowsToWrite.push({ key, body });
  }
  const desiredKeys = new Set(desired.flowKeys);
  const flowsToDelete: WireFlow[] = [];
  for (let i = 0; i < actual.flowKeys.length; i++) {
    const key = actual.flowKeys[i]!;
    if (!desiredKeys.has(key)) flowsToDelete.push({ key, body: actual.flowBodies[i]! });
  }
  const actualGroups = new Map(groupsOf(actual).map((g) => [g.id, g.body]));
  const desiredGroups = new Set(desired.groupIds);
  const groupsToWrite = groupsOf(desired)
    .filter((g) => actualGroups.get(g.id) !== g.body)
    .map((g) => ({ ...g, exists: actualGroups.has(g.id) }));
  const groupsToDelete = groupsOf(actual).filter((g) => !desiredGroups.has(g.id));
  return { groupsToWrite, flowsToWrite, flowsToDelete, groupsToDelete };
}

export const diffSize = (d: TablesDiff): number => d.groupsToWrite.length + d.flowsToWrite.length + d.flowsToDelete.length + d.groupsToDelete.length;

/**
 * The two barrier-confirmed phases that apply a diff without a moment where a flow points at
 * a missing group. Each message is decoded from wire form when it is taken, so a batch of a
 * million entries never holds a million messages (SwitchConnection.batch takes them as the
 * socket drains).
 */
export function diffMessages(d: TablesDiff): { write: Iterable<OfpMessage>; remove: Iterable<OfpMessage> } {
  const groupMod = (g: WireGroup, command: GroupModCommand): GroupMod => {
    const { groupType, buckets } = groupOf(g);
    return { type: MessageType.GROUP_MOD, xid: 0, command, groupType, groupId: g.id, buckets: command === GroupModCommand.DELETE ? [] : buckets };
  };
  const add = (w: WireFlow): FlowMod => {
    const f = flowOf(w);
    return flowMod({ cookie: f.cookie, tableId: f.tableId, priority: f.priority, match: f.match, instructions: f.instructions });
  };
  const del = (w: WireFlow): FlowMod => {
    const f = flowOf(w);
    return flowMod({ command: FlowModCommand.DELETE_STRICT, tableId: f.tableId, priority: f.priority, match: f.match });
  };
  return {
    write: (function* () {
      for (const g of d.groupsToWrite) yield groupMod(g, g.exists ? GroupModCommand.MODIFY : GroupModCommand.ADD);
      for (const f of d.flowsToWrite) yield add(f);
    })(),
    remove: (function* () {
      for (const f of d.flowsToDelete) yield del(f);
      for (const g of d.groupsToDelete) yield groupMod(g, GroupModCommand.DELETE);
    })(),
  };
}

/** What a switch holds of ours, by identity: flow key to body, group id to body. */
export interface TablesIndex {
  flows: Map<string, string>;
  groups: Map<number, string>;
}

export function indexTables(t: WireTables): TablesIndex {
  return { flows: new Map(flowsOf(t).map((f) => [f.key, f.body])), groups: new Map(groupsOf(t).map((g) => [g.id, g.body])) };
}

/**
 * The diff for some parts of a plan that changed (each from `before` to `after`), against
 * what the switch holds (`index`): its cost grows with the changed parts, not the table. A
 * flow that leaves one part and enters another in the same batch is written, not deleted.
 */
export function diffParts(changes: ReadonlyArray<{ before: WireTables | undefined; after: WireTables | undefined }>, index: TablesIndex): TablesDiff {
  const flowsToWrite = new Map<string, WireFlow>();
  const keptFlows = new Set<string>();
  const groupsToWrite = new Map<number, WireGroup & { exists: boolean }>();
  const keptGroups = new Set<number>();
  for (const { after } of changes) {
    if (after === undefined) continue;
    after.flowKeys.forEach((key, i) => {
      const body = after.flowBodies[i]!;
      keptFlows.add(key);
      if (index.flows.get(key) !== body) flowsToWrite.set(key, { key, body });
    });
    after.groupIds.forEach((id, i) => {
      const body = after.groupBodies[i]!;
      keptGroups.add(id);
      if (index.groups.get(id) !== body) groupsToWrite.set(id, { id, body, exists: index.groups.has(id) });
    });
  }
  const flowsToDelete = new Map<string, WireFlow>();
  const groupsToDelete = new Map<number, WireGroup>();
  for (const { before } of changes) {
    if (before === undefined) continue;
    before.flowKeys.forEach((key, i) => {
      if (!keptFlows.has(key) && index.flows.has(key)) flowsToDelete.set(key, { key, body: before.flowBodies[i]! });
    });
    before.groupIds.forEach((id, i) => {
      if (!keptGroups.has(id) && index.groups.has(id)) groupsToDelete.set(id, { id, body: before.groupBodies[i]! });
    });
  }
  return { groupsToWrite: [...groupsToWrite.values()], flowsToWrite: [...flowsToWrite.values()], flowsToDelete: [...flowsToDelete.values()], groupsToDelete: [...groupsToDelete.values()] };
}

/** The index after a diff was applied. */
export function applyToIndex(index: TablesIndex, d: TablesDiff): void {
  for (const f of d.flowsToWrite) index.flows.set(f.key, f.body);
  for (const f of d.flowsToDelete) index.flows.delete(f.key);
  for (const g of d.groupsToWrite) index.groups.set(g.id, g.body);
  for (const g of d.groupsToDelete) index.groups.delete(g.id);
}
