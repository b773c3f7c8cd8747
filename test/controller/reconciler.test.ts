import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BatchRejectedError, ConnectionClosedError } from '../../src/controller/errors.js';
import { FlowManager, PlanStore, type FlowManagerOptions } from '../../src/controller/flow-manager.js';
import { MAX_UNKNOWN_DELETED_PER_PASS } from '../../src/controller/reconciler.js';
import { flowKey, type FlowEntry, type GroupEntry, type SwitchTables } from '../../src/controller/flow-tables.js';
import { GROUP_ID_BASE, GROUP_ID_LIMIT, PIPELINE } from '../../src/controller/pipeline.js';
import { ErrorType, FlowModFailedCode, GroupType, MessageType, MultipartType, act, bucket, inst } from '../../src/openflow/index.js';
import type { Logger } from '../../src/log/logger.js';
import { startController } from '../../lab/controller.js';
import { memoryLogger } from '../../lab/memory-logger.js';
import { ScriptedSwitch, holdBarriers } from '../../lab/scripted-switch.js';
import { ScriptedTables } from '../../lab/scripted-tables.js';
import { next, until } from '../../lab/wait.js';

/** The reconciler and flow manager against a scripted switch that keeps a real table, over TCP. */

const cookie = PIPELINE.fabric.cookie;
const G = PIPELINE.fabric.groups.min;
const f = (priority: number, inPort: number, out: number, c = cookie): FlowEntry => ({ tableId: 0, priority, cookie: c, match: { in_port: inPort }, instructions: [inst.apply([act.output(out)])] });
const g = (id: number, ports: number[]): GroupEntry => ({ groupId: id, groupType: GroupType.SELECT, buckets: ports.map((p) => bucket([act.output(p)], { weight: 1, watchPort: p })) });
const t = (flows: FlowEntry[], groups: GroupEntry[] = []): SwitchTables => ({ flows, groups });
const DPID = '00000000000000a1';

/** A flow manager and one scripted switch with a real table; `confirm: false` does not wait for the first run (a test that expects it to fail). */
async function rig(
  preload: (tables: ScriptedTables) => void = () => {},
  parts: Record<string, SwitchTables> = {},
  { logger = memoryLogger().logger, options = {}, confirm = true }: { logger?: Logger; options?: FlowManagerOptions; confirm?: boolean } = {},
) {
  const { server, port } = await startController();
  const plans = new PlanStore();
  for (const [name, tables] of Object.entries(parts)) plans.set(DPID, name, tables);
  const manager = new FlowManager(server, plans, logger, options);
  manager.start();
  const tables = new ScriptedTables(3);
  preload(tables);
  const up = next(server.switchUp$, 'switch up');
  const sw = await ScriptedSwitch.connect(port, 0xa1n, [4], (s) => tables.install(s));
  await up;
  if (confirm) await manager.confirmed([DPID]);
  const stop = async (): Promise<void> => {
    manager.stop();
    sw.destroy();
    await server.close();
  };
  return { server, plans, manager, tables, sw, stop };
}

const delta = (tables: ScriptedTables, from: number): string[] => tables.log.slice(from);
/** `n` flows with our cookie that no plan has, put in the switch's table behind the controller's back. */
function fillUnknown(tables: ScriptedTables, n: number): void {
  for (let i = 0; i < n; i++) {
    const intruder = f(200 + (i % 50), 1000 + Math.floor(i / 50), 1);
    tables.flows.set(flowKey(intruder), intruder);
  }
}
const addLine = (e: FlowEntry): string => `add flow ${e.priority} ${JSON.stringify(e.match)}`;
const delLine = (e: FlowEntry): string => `del flow ${e.priority} ${JSON.stringify(e.match)}`;

test('first run: reads the switch (a reply in several parts) and sends only the difference; foreign flows and groups stay', async () => {
  const keep = [1, 2, 3, 4, 5, 6].map((p) => f(100, p, p + 10));
  const stale = f(100, 7, 17);
  const foreign = f(100, 8, 18, 0x1234n);
  const foreignGroup = g(7, [1]);
  const staleGroup = g(G + 5, [2]);
  const keptGroup = g(G + 6, [3]);
  const fresh = f(200, 9, 19);
  const r = await rig(
    (tables) => {
      for (const e of [...keep, stale, foreign]) tables.flows.set(flowKey(e), e);
      for (const x of [foreignGroup, staleGroup, keptGroup]) tables.groups.set(x.groupId, x);
    },
    { a: t(keep.slice(0, 3), [keptGroup]), b: t([...keep.slice(3), fresh]) },
  );
  try {
    assert.deepEqual(r.tables.log, [addLine(fresh), 'barrier', delLine(stale), `delete group ${staleGroup.groupId.toString(16)}`, 'barrier']);
    assert.equal(r.manager.sentMessages, 3, 'one add, one flow delete, one group delete');
    assert.ok(r.tables.flows.has(flowKey(foreign)), 'a flow without the SV cookie is not ours');
    assert.ok(r.tables.groups.has(7), 'a group outside the SV range is not ours');
    assert.equal(r.manager.inSync, true);
  } finally {
    await r.stop();
  }
});

test('an identical plan sends nothing; a changed part sends only its change', async () => {
  const host = t([f(700, 1, 2), f(800, 1, 3)]);
  const r = await rig(() => {}, { routes: t([f(500, 9, 9)], [g(G, [1, 2])]), 'host/1': host });
  try {
    const mark = r.tables.log.length;
    r.plans.set(DPID, 'host/1', t([f(700, 1, 2), f(800, 1, 3)])); // same content, new object
    await r.manager.confirmed([DPID]);
    assert.deepEqual(delta(r.tables, mark), []);
    const moved = t([f(700, 1, 4), f(800, 1, 3)]);
    r.plans.set(DPID, 'host/1', moved);
    await r.manager.confirmed([DPID]);
    assert.deepEqual(delta(r.tables, mark), [addLine(moved.flows[0]!), 'barrier']);
    assert.equal(r.tables.flows.size, 3);
  } finally {
    await r.stop();
  }
});

test('removals come after the additions of the same run are confirmed; a group goes after the flows that used it', async () => {
  const oldRoute = f(500, 9, 9);
  const r = await rig(() => {}, { old: t([oldRoute], [g(G + 1, [1])]) });
  try {
    const mark = r.tables.log.length;
    const newRoute = f(500, 10, 10);
    // The switch holds its barrier reply: nothing of the removals may go out before the additions are confirmed (make-before-break rests on it).
    const release = holdBarriers(r.sw);
    r.plans.set(DPID, 'old', undefined);
    r.plans.set(DPID, 'new', t([newRoute], [g(G + 2, [2])]));
    const done = r.manager.confirmed([DPID]);
    await until(() => delta(r.tables, mark).includes(addLine(newRoute)), 'the additions sent');
    await new Promise((res) => setTimeout(res, 50));
    assert.deepEqual(delta(r.tables, mark), [`add group ${(G + 2).toString(16)}`, addLine(newRoute)], 'no removal while the additions wait for their barrier');
    release();
    await done;
    assert.deepEqual(delta(r.tables, mark), [`add group ${(G + 2).toString(16)}`, addLine(newRoute), delLine(oldRoute), `delete group ${(G + 1).toString(16)}`, 'barrier']);
  } finally {
    await r.stop();
  }
});

test('a flow that moves from one part to another in one run is written, never deleted', async () => {
  const shared = f(300, 5, 6);
  const r = await rig(() => {}, { a: t([shared]) });
  try {
    const mark = r.tables.log.length;
    r.plans.set(DPID, 'a', undefined);
    r.plans.set(DPID, 'b', t([shared]));
    await r.manager.confirmed([DPID]);
    assert.deepEqual(delta(r.tables, mark), []);
    assert.ok(r.tables.flows.has(flowKey(shared)));
  } finally {
    await r.stop();
  }
});

test('changes made before a run starts are coalesced: only the newest content is sent', async () => {
  const r = await rig(() => {}, {});
  try {
    const mark = r.tables.log.length;
    for (let out = 1; out <= 5; out++) r.plans.set(DPID, 'host', t([f(700, 1, out)]));
    const v = r.plans.version;
    await r.manager.confirmed([DPID], v);
    assert.deepEqual(delta(r.tables, mark), [addLine(f(700, 1, 5)), 'barrier']);
    assert.equal(r.manager.sentMessages, 1);
  } finally {
    await r.stop();
  }
});

test('confirmed() rejects with the switch\'s error by name, and the next run reads the switch back and retries', async () => {
  const r = await rig(() => {}, {});
  try {
    r.tables.fail = (m) => (m.type === MessageType.FLOW_MOD && m.priority === 666 ? { errType: ErrorType.FLOW_MOD_FAILED, code: FlowModFailedCode.TABLE_FULL } : undefined);
    const v = r.plans.set(DPID, 'bad', t([f(666, 1, 1)]));
    await assert.rejects(r.manager.confirmed([DPID], v), (e: unknown) => e instanceof BatchRejectedError && /FLOW_MOD_FAILED\/TABLE_FULL/.test(e.message));
    r.tables.fail = undefined;
    // What the switch holds is unknown after a refused batch (some of it may have been applied): the next run reads it back.
    const reads = (): number => r.sw.received.filter((m) => m.type === MessageType.MULTIPART_REQUEST && m.body.mpType === MultipartType.FLOW).length;
    const readsBefore = reads();
    const v2 = r.plans.set(DPID, 'bad', t([f(667, 1, 1)]));
    const mark = r.tables.log.length;
    await r.manager.confirmed([DPID], v2);
    assert.deepEqual(delta(r.tables, mark), [addLine(f(667, 1, 1)), 'barrier']);
    assert.equal(reads(), readsBefore + 1, 'the tables read back once');
  } finally {
    await r.stop();
  }
});

test('a switch that leaves mid-run rejects the waiters; confirmed() for a switch not connected rejects at once', async () => {
  const r = await rig(() => {}, {});
  try {
    r.sw.answering = false; // the barrier is never answered
    const v = r.plans.set(DPID, 'x', t([f(100, 1, 2)]));
    const waiting = r.manager.confirmed([DPID], v);
    await until(() => r.tables.log.length > 0 || r.sw.received.some((m) => m.type === MessageType.FLOW_MOD), 'the flow sent');
    r.sw.destroy();
    await assert.rejects(waiting, ConnectionClosedError);
    await assert.rejects(r.manager.confirmed(['00000000000000ff']), /is not connected/);
  } finally {
    await r.stop();
  }
});

test('a plan whose switch is away keeps a bounded journal; on reconnection the whole table is reconciled', async () => {
  const plans = new PlanStore();
  const p = plans.plan(DPID);
  for (let i = 0; i < 70_000; i++) plans.set(DPID, `h${i % 10}`, t([f(100 + (i % 10), 1, i % 50)]));
  assert.equal(p.changedSince(0), undefined, 'the start of the journal is gone');
  assert.deepEqual(p.changedSince(p.cursor - 1000)?.size, 10, 'the recent changes are still there');
  assert.equal([...p.partNames()].length, 10);
});

test('more changes than the journal holds while connected: the next run diffs the whole plan against what it applied, without reading the switch again', async () => {
  const r = await rig(() => {}, { base: t([f(50, 2, 3)]) });
  try {
    const reads = (): number => r.sw.received.filter((m) => m.type === MessageType.MULTIPART_REQUEST).length;
    const [readsBefore, logBefore] = [reads(), r.tables.log.length];
    // Synchronously, before the reconciler's next run: the journal overflows.
    for (let i = 0; i < 70_000; i++) r.plans.set(DPID, `h${i % 10}`, t([f(100 + (i % 10), 1, i % 50)]));
    r.plans.set(DPID, 'base', undefined);
    assert.equal(r.manager.inSync, false, 'behind its plan');
    await r.manager.confirmed([DPID]);
    assert.equal(r.manager.inSync, true);
    assert.equal(reads(), readsBefore, 'no read of the switch');
    const sent = delta(r.tables, logBefore);
    assert.deepEqual(sent.filter((l) => l.startsWith('add')).sort(), Array.from({ length: 10 }, (_, k) => addLine(f(100 + k, 1, 0))).sort());
    assert.deepEqual(sent.filter((l) => l.startsWith('del')), [delLine(f(50, 2, 3))]);
    assert.deepEqual([...r.tables.flows.values()].map((e) => e.priority).sort(), Array.from({ length: 10 }, (_, k) => 100 + k));
    const out = (k: number): unknown => (r.tables.flows.get(flowKey(f(100 + k, 1, 0)))!.instructions[0] as { actions: Array<{ port: number }> }).actions[0]!.port;
    assert.deepEqual([out(0), out(9)], [40, 49], 'the newest content of each part');
  } finally {
    await r.stop();
  }
});

test('audit: an entry of ours deleted, one modified, one added with our cookie and a group deleted behind our back are put right and counted; a flow with another cookie is never touched; a pending plan change is not drift', async () => {
  const a = f(100, 1, 11);
  const b = f(100, 2, 12);
  const group = g(G, [1, 2]);
  const { logger, lines } = memoryLogger();
  const { plans, manager, tables, stop } = await rig(() => {}, { routes: t([a, b], [group]) }, { logger });
  try {
    assert.equal(await manager.audit(), 0, 'nothing drifted yet');
    const mark = tables.log.length;
    assert.deepEqual(delta(tables, mark), [], 'and an audit with nothing to repair sends nothing');
    // Behind the controller's back (ovs-ofctl del-flows, mod-flows, add-flow, del-groups):
    tables.flows.delete(flowKey(a));
    tables.flows.set(flowKey(b), f(100, 2, 99));
    const intruder = f(100, 3, 13);
    const foreign = f(100, 4, 14, 0x1234n);
    tables.flows.set(flowKey(intruder), intruder);
    tables.flows.set(flowKey(foreign), foreign);
    tables.groups.delete(G);
    // And a plan change not yet sent: installed, but not counted as drift.
    const fresh = f(300, 5, 15);
    plans.set(DPID, 'extra', t([fresh]));
    assert.equal(await manager.audit(), 4, 'a missing, a changed, an unknown flow and a missing group');
    await manager.confirmed([DPID]);
    assert.deepEqual(tables.flows.get(flowKey(a)), a, 'the deleted flow is back');
    assert.deepEqual(tables.flows.get(flowKey(b)), b, 'the modified one is as planned again');
    assert.equal(tables.flows.has(flowKey(intruder)), false, 'the one added with our cookie is gone');
    assert.deepEqual(tables.flows.get(flowKey(foreign)), foreign, 'another cookie is left alone');
    assert.deepEqual(tables.groups.get(G), group, 'the group is back');
    assert.deepEqual(tables.flows.get(flowKey(fresh)), fresh, 'the plan change went out too');
    assert.equal(manager.driftRepaired, 4);
    const warn = lines.find((l) => l.message === 'drift repaired');
    assert.deepEqual([warn?.level, warn?.flowsMissingOrChanged, warn?.flowsUnknown, warn?.groupsMissingOrChanged, warn?.groupsUnknown], ['warn', 2, 1, 1, 0]);
    const after = tables.log.length;
    assert.equal(await manager.audit(), 0, 'repaired for good');
    assert.deepEqual(delta(tables, after), []);
  } finally {
    await stop();
  }
});

test('audit of a switch that reports 10,000 unknown flows of ours: each pass deletes at most its bound and says how many are left; later passes finish; planned entries are never touched', async () => {
  const a = f(100, 1, 11);
  const { logger, lines } = memoryLogger();
  const { manager, tables, stop } = await rig(() => {}, { routes: t([a]) }, { logger });
  try {
    fillUnknown(tables, 10_000);
    const deletes = (from: number): number => delta(tables, from).filter((l) => l.startsWith('del')).length;
    const mark = tables.log.length;
    await manager.audit();
    assert.equal(deletes(mark), MAX_UNKNOWN_DELETED_PER_PASS, 'one pass deletes its bound, no more');
    const warn = lines.filter((l) => l.message === 'drift repaired').at(-1);
    assert.deepEqual([warn?.unknownDeletedThisPass, warn?.unknownLeftForNextAudit], [MAX_UNKNOWN_DELETED_PER_PASS, 10_000 - MAX_UNKNOWN_DELETED_PER_PASS]);
    const read = warn?.flowsUnknown as number;
    assert.equal(read + (warn?.unreadPastTheBound as number), 10_000, 'what was decoded and what was only counted make the whole');
    assert.ok(read >= MAX_UNKNOWN_DELETED_PER_PASS && read < MAX_UNKNOWN_DELETED_PER_PASS + 1000, `decoded up to the planned entries and one pass's deletions, no more (${read})`);
    await manager.audit();
    await manager.audit();
    assert.equal(tables.flows.size, 1, 'three passes delete them all');
    assert.deepEqual(tables.flows.get(flowKey(a)), a, 'the planned flow stays');
    assert.equal(manager.driftRepaired, 10_000);
  } finally {
    await stop();
  }
});

test('a switch that refills its tables with unknown entries after every audit: its audits are skipped, 1 then 2 in a row (and a warn says so), until it stops', async () => {
  const a = f(100, 1, 11);
  const { logger, lines } = memoryLogger();
  const { manager, tables, stop } = await rig(() => {}, { routes: t([a]) }, { logger });
  const refill = (): void => fillUnknown(tables, 10_000);
  try {
    const deletesPerAudit: number[] = [];
    for (let round = 0; round < 9; round++) {
      if (round < 4) refill();
      const mark = tables.log.length;
      await manager.audit();
      deletesPerAudit.push(delta(tables, mark).filter((l) => l.startsWith('del')).length);
    }
    const B = MAX_UNKNOWN_DELETED_PER_PASS;
    // Refilled before each of the first four: the second finds more than the first left (skip 1), the fourth too (skip 2); then the rest go in two passes.
    assert.deepEqual(deletesPerAudit, [B, B, 0, B, 0, 0, B, 10_000 - 2 * B, 0]);
    const warns = lines.filter((l) => l.message === 'switch refills its tables with unknown entries: its next audits are skipped');
    assert.deepEqual(warns.map((w) => [w.level, w.auditsSkipped]), [['warn', 1], ['warn', 2]]);
  } finally {
    await stop();
  }
});

test('audits run by themselves every auditIntervalMs', async () => {
  const a = f(100, 1, 11);
  const { manager, tables, stop } = await rig(() => {}, { routes: t([a]) }, { options: { auditIntervalMs: 100 } });
  try {
    tables.flows.delete(flowKey(a));
    // The switch holds the flow again before its barrier confirms the repair, and the repair is counted then: wait for the count.
    await until(() => manager.driftRepaired === 1, 'the audit to put the flow back, confirmed', 5000);
    assert.ok(tables.flows.has(flowKey(a)));
  } finally {
    await stop();
  }
});

test('inSync only when the latest plan is confirmed and no run is going; a run in flight is never joined by a second one', async () => {
  const r = await rig(() => {}, { a: t([f(100, 1, 11)]) });
  try {
    assert.equal(r.manager.inSync, true);
    const release = holdBarriers(r.sw);
    const mark = r.tables.log.length;
    r.plans.set(DPID, 'a', t([f(100, 1, 12)]));
    assert.equal(r.manager.inSync, false, 'the plan moved on');
    await until(() => r.tables.log.length > mark, 'the run sent its mods');
    r.plans.set(DPID, 'b', t([f(200, 2, 22)]));
    await new Promise((res) => setTimeout(res, 30));
    assert.deepEqual(delta(r.tables, mark), [addLine(f(100, 1, 12))], 'the second change waits for the first run to be confirmed');
    assert.equal(r.manager.inSync, false, 'not while a run waits for its barrier');
    release();
    await r.manager.confirmed([DPID]);
    // (The held barrier is answered by the release, not logged by the table.)
    assert.deepEqual(delta(r.tables, mark), [addLine(f(100, 1, 12)), addLine(f(200, 2, 22)), 'barrier']);
    assert.equal(r.manager.inSync, true);
  } finally {
    await r.stop();
  }
});

test('waitFor: a version already held resolves without a run; a version past the plan\'s resolves once the latest is held', async () => {
  const r = await rig(() => {}, { a: t([f(100, 1, 11)]) });
  try {
    const mark = r.tables.log.length;
    await r.manager.confirmed([DPID], r.plans.version);
    assert.deepEqual(delta(r.tables, mark), [], 'nothing sent, not even a barrier');
    await r.manager.confirmed([DPID], r.plans.version + 1000);
    assert.deepEqual(delta(r.tables, mark), [], 'a later version than the plan has is held once the plan is');
  } finally {
    await r.stop();
  }
});

test('a part removed and then put back as it was is installed again; a run that only removes sends no empty batch before its removals', async () => {
  const a = f(100, 1, 11);
  const r = await rig(() => {}, { keep: t([f(50, 9, 9)]), a: t([a]) });
  try {
    const mark = r.tables.log.length;
    r.plans.set(DPID, 'a', undefined);
    await r.manager.confirmed([DPID]);
    assert.deepEqual(delta(r.tables, mark), [delLine(a), 'barrier'], 'removals only: one batch');
    r.plans.set(DPID, 'a', t([a]));
    await r.manager.confirmed([DPID]);
    assert.deepEqual(delta(r.tables, mark), [delLine(a), 'barrier', addLine(a), 'barrier'], 'the same content again is sent again');
    assert.deepEqual(r.tables.flows.get(flowKey(a)), a);
  } finally {
    await r.stop();
  }
});

test('the group id range is ours from its first id to its last, inclusive: stale ones at both ends are deleted, their neighbours outside are not', async () => {
  const inside = [g(GROUP_ID_BASE, [1]), g(GROUP_ID_LIMIT, [2])];
  const outside = [g(GROUP_ID_BASE - 1, [1]), g(GROUP_ID_LIMIT + 1, [2])];
  const r = await rig((tables) => {
    for (const x of [...inside, ...outside]) tables.groups.set(x.groupId, x);
  });
  try {
    assert.deepEqual([...r.tables.groups.keys()].sort((x, y) => x - y), outside.map((x) => x.groupId), 'only the two outside the range are left');
  } finally {
    await r.stop();
  }
});

test('a batch the switch refuses is logged at error with the switch and the reason; a run cut by the switch leaving only at info', async () => {
  const { logger, lines } = memoryLogger();
  const refuse = (tables: ScriptedTables): void => {
    tables.fail = (m) => (m.type === MessageType.FLOW_MOD ? { errType: ErrorType.FLOW_MOD_FAILED, code: FlowModFailedCode.TABLE_FULL } : undefined);
  };
  const { plans, manager, tables, sw, stop } = await rig(refuse, { a: t([f(100, 1, 11)]) }, { logger, confirm: false });
  try {
    await assert.rejects(manager.confirmed([DPID]));
    const failed = lines.find((l) => l.message === 'reconcile failed');
    assert.deepEqual([failed?.level, failed?.dpid], ['error', DPID]);
    assert.match(String(failed?.error), /TABLE_FULL/);
    const release = holdBarriers(sw);
    tables.fail = undefined;
    plans.set(DPID, 'a', t([f(100, 1, 12)]));
    const waiting = manager.confirmed([DPID]);
    await until(() => tables.log.some((l) => l.includes('"in_port":1')), 'the retry sent');
    sw.destroy();
    await assert.rejects(waiting, (e: Error) => e instanceof ConnectionClosedError && /left before its tables were confirmed/.test(e.message));
    release();
    await until(() => lines.filter((l) => l.message === 'reconcile failed').length >= 2 || lines.some((l) => l.message === 'switch disconnected'), 'the cut run');
    const cut = lines.filter((l) => l.message === 'reconcile failed').slice(1);
    assert.ok(cut.every((l) => l.level === 'info'), 'a switch that went away is routine');
  } finally {
    await stop();
  }
});
