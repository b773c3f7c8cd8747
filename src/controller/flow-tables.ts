import {
  FlowModCommand, GroupModCommand, MessageType, Writer, flowMod, writeBuckets, writeInstructions, writeMatch,
  type Bucket, type FlowMod, type GroupMod, type GroupType, type Instruction, type Match, type OfpMessage,
} from '../openflow/index.js';

/**
 * The flow and group tables a switch should hold, as planners compute them, and the pure
 * diff between two such tables. The reconciler (imperative shell) sends the difference.
 */

export interface FlowEntry {
  tableId: number;
  priority: number;
  cookie: bigint;
  match: Match;
  instructions: Instruction[];
}

export interface GroupEntry {
  groupId: number;
  groupType: GroupType;
  buckets: Bucket[];
}

export interface SwitchTables {
  flows: FlowEntry[];
  groups: GroupEntry[];
}


/**
 * Wire bytes as a string, one character a byte (latin1: half the size of hex), built from one
 * buffer so that it is one flat string, not a chain of pieces. The reconciler keeps a key and
 * a body for every entry it installed: millions with 100k bindings.
 */
const wire = (write: (w: Writer) => void): string => {
  const w = new Writer(128);
  write(w);
  return w.finish().toString('latin1');
};

/**
 * Each entry's wire strings, computed once per entry object: planned entries are values, and
 * planners share one object among the switches that hold the same entry (a route is the same
 * on 2,000 switches), so its key is made once, not once per switch and per diff.
 */
const keys = new WeakMap<FlowEntry, string>();
const bodies = new WeakMap<FlowEntry | GroupEntry, string>();
const cached = <E extends object>(cache: WeakMap<E, string>, e: E, make: (e: E) => string): string => {
  let s = cache.get(e);
  if (s === undefined) {
    s = make(e);
    cache.set(e, s);
  }
  return s;
};

/** A flow's identity in OpenFlow: table, priority and match (in canonical wire form). */
export const flowKey = (f: FlowEntry): string => cached(keys, f, () => wire((w) => writeMatch(w.u8(f.tableId).u16(f.priority), f.match)));
/** What a flow does: cookie and instructions, in canonical wire form. */
const flowBody = (f: FlowEntry): string => cached(bodies, f, () => wire((w) => writeInstructions(w.u64(f.cookie), f.instructions)));
const groupBody = (g: GroupEntry): string => cached(bodies, g, () => wire((w) => writeBuckets(w.u8(g.groupType), g.buckets)));

export interface TablesDiff {
  /** Groups to add or modify: sent before the flows that may point at them. */
  groupsToWrite: Array<{ group: GroupEntry; exists: boolean }>;
  flowsToWrite: FlowEntry[];
  flowsToDelete: FlowEntry[];
  /** Removed after the flows that pointed at them. */
  groupsToDelete: GroupEntry[];
}

export function diffTables(desired: SwitchTables, actual: SwitchTables): TablesDiff {
  const actualFlows = new Map(actual.flows.map((f) => [flowKey(f), f]));
  const desiredKeys = new Set<string>();
  const flowsToWrite: FlowEntry[] = [];
  for (const f of desired.flows) {
    const key = flowKey(f);
    desiredKeys.add(key);
    const now = actualFlows.get(key);
    if (!now || flowBody(now) !== flowBody(f)) flowsToWrite.push(f);
  }
  const flowsToDelete = actual.flows.filter((f) => !desiredKeys.has(flowKey(f)));
  const actualGroups = new Map(actual.groups.map((g) => [g.groupId, g]));
  const desiredGroups = new Set(desired.groups.map((g) => g.groupId));
  const groupsToWrite = desired.groups
    .filter((g) => !actualGroups.has(g.groupId) || groupBody(actualGroups.get(g.groupId)!) !== groupBody(g))
    .map((group) => ({ group, exists: actualGroups.has(group.groupId) }));
  const groupsToDelete = actual.groups.filter((g) => !desiredGroups.has(g.groupId));
  return { groupsToWrite, flowsToWrite, flowsToDelete, groupsToDelete };
}

export const diffSize = (d: TablesDiff): number => d.groupsToWrite.length + d.flowsToWrite.length + d.flowsToDelete.length + d.groupsToDelete.length;

/** The two barrier-confirmed phases that apply a diff without a moment where a flow points at a missing group. */
export function diffMessages(d: TablesDiff): { write: OfpMessage[]; remove: OfpMessage[] } {
  const groupMod = (g: GroupEntry, command: GroupModCommand): GroupMod => ({
    type: MessageType.GROUP_MOD, xid: 0, command, groupType: g.groupType, groupId: g.groupId, buckets: command === GroupModCommand.DELETE ? [] : g.buckets,
  });
  const add = (f: FlowEntry): FlowMod => flowMod({ cookie: f.cookie, tableId: f.tableId, priority: f.priority, match: f.match, instructions: f.instructions });
  const del = (f: FlowEntry): FlowMod => flowMod({ command: FlowModCommand.DELETE_STRICT, tableId: f.tableId, priority: f.priority, match: f.match });
  return {
    write: [...d.groupsToWrite.map(({ group, exists }) => groupMod(group, exists ? GroupModCommand.MODIFY : GroupModCommand.ADD)), ...d.flowsToWrite.map(add)],
    remove: [...d.flowsToDelete.map(del), ...d.groupsToDelete.map((g) => groupMod(g, GroupModCommand.DELETE))],
  };
}

/** What a switch holds of ours, by identity: flow key to body, group id to body. */
export interface TablesIndex {
  flows: Map<string, string>;
  groups: Map<number, string>;
}

export function indexTables(t: SwitchTables): TablesIndex {
  return { flows: new Map(t.flows.map((f) => [flowKey(f), flowBody(f)])), groups: new Map(t.groups.map((g) => [g.groupId, groupBody(g)])) };
}

/**
 * The diff for some parts of a plan that changed (each from `before` to `after`), against
 * what the switch holds (`index`): its cost grows with the changed parts, not the table. A
 * flow that leaves one part and enters another in the same batch is written, not deleted.
 */
export function diffParts(changes: ReadonlyArray<{ before: SwitchTables | undefined; after: SwitchTables | undefined }>, index: TablesIndex): TablesDiff {
  const flowsToWrite = new Map<string, FlowEntry>();
  const keptFlows = new Set<string>();
  const groupsToWrite = new Map<number, { group: GroupEntry; exists: boolean }>();
  const keptGroups = new Set<number>();
  for (const { after } of changes) {
    for (const f of after?.flows ?? []) {
      const key = flowKey(f);
      keptFlows.add(key);
      if (index.flows.get(key) !== flowBody(f)) flowsToWrite.set(key, f);
    }
    for (const g of after?.groups ?? []) {
      keptGroups.add(g.groupId);
      if (index.groups.get(g.groupId) !== groupBody(g)) groupsToWrite.set(g.groupId, { group: g, exists: index.groups.has(g.groupId) });
    }
  }
  const flowsToDelete = new Map<string, FlowEntry>();
  const groupsToDelete = new Map<number, GroupEntry>();
  for (const { before } of changes) {
    for (const f of before?.flows ?? []) {
      const key = flowKey(f);
      if (!keptFlows.has(key) && index.flows.has(key)) flowsToDelete.set(key, f);
    }
    for (const g of before?.groups ?? []) if (!keptGroups.has(g.groupId) && index.groups.has(g.groupId)) groupsToDelete.set(g.groupId, g);
  }
  return { groupsToWrite: [...groupsToWrite.values()], flowsToWrite: [...flowsToWrite.values()], flowsToDelete: [...flowsToDelete.values()], groupsToDelete: [...groupsToDelete.values()] };
}

/** The index after a diff was applied. */
export function applyToIndex(index: TablesIndex, d: TablesDiff): void {
  for (const f of d.flowsToWrite) index.flows.set(flowKey(f), flowBody(f));
  for (const f of d.flowsToDelete) index.flows.delete(flowKey(f));
  for (const { group } of d.groupsToWrite) index.groups.set(group.groupId, groupBody(group));
  for (const g of d.groupsToDelete) index.groups.delete(g.groupId);
}
