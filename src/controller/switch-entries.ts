import { MultipartType, PortNo, TableId } from '../openflow/index.js';
import { describeInstructions, describeMatch } from './flow-text.js';
import { COOKIE_PREFIX, COOKIE_PREFIX_MASK, plannerOf, plannerOfGroup } from './pipeline.js';
import type { SwitchConnection } from './switch-connection.js';
import type { SwitchPlan } from './switch-plan.js';
import { flowKey, flowOf, flowsOf, groupOf, groupsOf } from './wire-tables.js';

/**
 * One switch's planned entries, by planner (its cookie) as the pipeline names them, each with
 * the switch's packet and byte counters when it is connected: what the operator's view shows
 * and what `ovs-ofctl dump-flows` would, in the controller's words.
 */

interface EntryView {
  table: number;
  priority: number;
  match: string;
  actions: string;
  /** From the switch's flow statistics; null while it is not connected or does not hold the entry. */
  packets: number | null;
  bytes: number | null;
}

export interface SwitchEntriesView {
  planners: Array<{ planner: string; cookie: string; entries: EntryView[]; groups: Array<{ id: string; type: number; buckets: number }> }>;
  /** Whether the counters were read from the switch, or why not. */
  counters: string;
}

/** Reads the switch's counters for our entries, decoding at most as many as are planned (and a part more). */
async function countersOf(conn: SwitchConnection, planned: number): Promise<Map<string, { packets: number; bytes: number }>> {
  const reply = await conn.multipartUpTo({ mpType: MultipartType.FLOW, tableId: TableId.ALL, outPort: PortNo.ANY, outGroup: 0xffffffff, cookie: COOKIE_PREFIX, cookieMask: COOKIE_PREFIX_MASK, match: {} }, planned);
  const counters = new Map<string, { packets: number; bytes: number }>();
  for (const part of reply.parts) {
    if (part.mpType !== MultipartType.FLOW) continue;
    for (const f of part.flows) counters.set(flowKey(f), { packets: Number(f.packetCount), bytes: Number(f.byteCount) });
  }
  return counters;
}

export async function switchEntries(plan: SwitchPlan, conn: SwitchConnection | undefined): Promise<SwitchEntriesView> {
  const all = plan.all();
  let counters = new Map<string, { packets: number; bytes: number }>();
  let said = 'not connected';
  if (conn !== undefined) {
    try {
      counters = await countersOf(conn, all.flowKeys.length);
      said = 'read from the switch';
    } catch (e) {
      said = `not read: ${(e as Error).message}`;
    }
  }
  const byPlanner = new Map<string, SwitchEntriesView['planners'][number]>();
  const bucket = (planner: string, cookie: bigint | undefined) => {
    let b = byPlanner.get(planner);
    if (b === undefined) {
      b = { planner, cookie: cookie === undefined ? '' : `0x${cookie.toString(16)}`, entries: [], groups: [] };
      byPlanner.set(planner, b);
    }
    return b;
  };
  for (const w of flowsOf(all)) {
    const f = flowOf(w);
    const c = counters.get(w.key);
    bucket(plannerOf(f.cookie) ?? 'unknown', f.cookie).entries.push({ table: f.tableId, priority: f.priority, match: describeMatch(f.match), actions: describeInstructions(f.instructions), packets: c?.packets ?? null, bytes: c?.bytes ?? null });
  }
  for (const w of groupsOf(all)) {
    const g = groupOf(w);
    bucket(plannerOfGroup(g.groupId) ?? 'unknown', undefined).groups.push({ id: `0x${g.groupId.toString(16)}`, type: g.groupType, buckets: g.buckets.length });
  }
  for (const b of byPlanner.values()) b.entries.sort((x, y) => x.table - y.table || y.priority - x.priority);
  return { planners: [...byPlanner.values()], counters: said };
}
