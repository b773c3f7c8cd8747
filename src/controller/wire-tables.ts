import {
  Reader, Writer, readBuckets, readInstructions, readMatch, writeBuckets, writeInstructions, writeMatch,
  type Bucket, type GroupType, type Instruction, type Match,
} from '../openflow/index.js';

/**
 * The flow and group tables a switch should hold, in two forms. Planners compute them as
 * objects (SwitchTables: readable, what `svcswitch trace` walks). Plans and reconcilers keep
 * them in wire form (WireTables): each flow as two strings, its key (table, priority, match)
 * and its body (cookie, instructions), in OpenFlow's canonical encoding. With 100k bindings
 * a controller holds millions of entries: as a tree of objects each costs about 900 bytes,
 * as two strings about 150 (docs/benchmarks-history.md, bench-scale, "After the wire form").
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

/** One flow in wire form: two flows are the same flow in OpenFlow when their keys are equal. */
export interface WireFlow {
  key: string;
  body: string;
}

export interface WireGroup {
  id: number;
  body: string;
}

/** Tables in wire form, as parallel arrays (an array slot is 4 bytes; an object per entry would be 20 more). */
export interface WireTables {
  readonly flowKeys: readonly string[];
  readonly flowBodies: readonly string[];
  readonly groupIds: readonly number[];
  readonly groupBodies: readonly string[];
}

const NONE: readonly never[] = Object.freeze([]);
export const EMPTY_TABLES: WireTables = Object.freeze({ flowKeys: NONE, flowBodies: NONE, groupIds: NONE, groupBodies: NONE });

/** One writer for every entry: its bytes are copied into a string at once, so no Buffer is made per entry. */
const scratch = new Writer(1024);

/**
 * Wire bytes as a string, one character a byte (latin1: half the size of hex), flat (one
 * piece, not a chain of concatenations).
 */
const wire = (write: (w: Writer) => void): string => {
  scratch.rewind(0);
  write(scratch);
  const s = scratch.finish().toString('latin1');
  scratch.rewind(0);
  return s;
};

/**
 * Wire strings are computed once per object and shared: planners share one entry among the
 * switches that hold it (a route is the same on 2,000 switches), and one instruction list
 * among the entries that do the same (a VM's redirect from each fabric port, every "to the
 * controller"), so the strings are made once and held once. Planned entries are values:
 * nothing may change one, or its instructions, after planning.
 */
const keys = new WeakMap<FlowEntry, string>();
const bodies = new WeakMap<readonly Instruction[], { cookie: bigint; body: string }>();
const groupBodies = new WeakMap<GroupEntry, string>();

/** A flow's identity in OpenFlow: table, priority and match (in canonical wire form). */
export function flowKey(f: FlowEntry): string {
  let key = keys.get(f);
  if (key === undefined) {
    key = wire((w) => writeMatch(w.u8(f.tableId).u16(f.priority), f.match));
    keys.set(f, key);
  }
  return key;
}

/** What a flow does: cookie and instructions, in canonical wire form. */
export function flowBody(f: FlowEntry): string {
  const hit = bodies.get(f.instructions);
  if (hit !== undefined && hit.cookie === f.cookie) return hit.body;
  const body = wire((w) => writeInstructions(w.u64(f.cookie), f.instructions));
  bodies.set(f.instructions, { cookie: f.cookie, body });
  return body;
}

/** What a group does: type and buckets, in canonical wire form. */
function groupBody(g: GroupEntry): string {
  let body = groupBodies.get(g);
  if (body === undefined) {
    body = wire((w) => writeBuckets(w.u8(g.groupType), g.buckets));
    groupBodies.set(g, body);
  }
  return body;
}

export function toWire(t: SwitchTables): WireTables {
  if (t.flows.length === 0 && t.groups.length === 0) return EMPTY_TABLES;
  return {
    flowKeys: t.flows.map(flowKey),
    flowBodies: t.flows.map(flowBody),
    groupIds: t.groups.length === 0 ? NONE : t.groups.map((g) => g.groupId),
    groupBodies: t.groups.length === 0 ? NONE : t.groups.map(groupBody),
  };
}

const reader = (s: string): Reader => new Reader(Buffer.from(s, 'latin1'));

/** The flow a key and a body encode (they were written by flowKey and flowBody). */
export function flowOf({ key, body }: WireFlow): FlowEntry {
  const k = reader(key);
  const tableId = k.u8();
  const priority = k.u16();
  const match = readMatch(k);
  const b = reader(body);
  const cookie = b.u64();
  return { tableId, priority, cookie, match, instructions: readInstructions(b) };
}

export function groupOf({ id, body }: WireGroup): GroupEntry {
  const r = reader(body);
  const groupType = r.u8() as GroupType;
  return { groupId: id, groupType, buckets: readBuckets(r) };
}

export const flowsOf = (t: WireTables): WireFlow[] => t.flowKeys.map((key, i) => ({ key, body: t.flowBodies[i]! }));
export const groupsOf = (t: WireTables): WireGroup[] => t.groupIds.map((id, i) => ({ id, body: t.groupBodies[i]! }));

/** The tables as objects again: for tracing and for people, not for the hot path. */
export const fromWire = (t: WireTables): SwitchTables => ({ flows: flowsOf(t).map(flowOf), groups: groupsOf(t).map(groupOf) });

/** Several tables as one (a plan's parts). */
export function concatWire(parts: Iterable<WireTables>): WireTables {
  const flowKeys: string[] = [];
  const flowBodies: string[] = [];
  const groupIds: number[] = [];
  const groupBodies: string[] = [];
  for (const t of parts) {
    for (let i = 0; i < t.flowKeys.length; i++) {
      flowKeys.push(t.flowKeys[i]!);
      flowBodies.push(t.flowBodies[i]!);
    }
    for (let i = 0; i < t.groupIds.length; i++) {
      groupIds.push(t.groupIds[i]!);
      groupBodies.push(t.groupBodies[i]!);
    }
  }
  return { flowKeys, flowBodies, groupIds, groupBodies };
}

const sameStrings = (a: readonly unknown[], b: readonly unknown[]): boolean => a.length === b.length && a.every((x, i) => x === b[i]);

/** The same entries in the same order. */
export const sameWire = (a: WireTables, b: WireTables): boolean =>
  sameStrings(a.flowKeys, b.flowKeys) && sameStrings(a.flowBodies, b.flowBodies) && sameStrings(a.groupIds, b.groupIds) && sameStrings(a.groupBodies, b.groupBodies);
