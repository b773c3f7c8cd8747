import type { Logger } from '../log/logger.js';
import { MultipartType, PortNo, TableId, type MultipartReplyBody } from '../openflow/index.js';
import { ConnectionClosedError } from './errors.js';
import { applyToIndex, diffMessages, diffParts, diffSize, diffTables, indexFlows, indexTables, type TablesDiff, type TablesIndex } from './flow-tables.js';
import { COOKIE_PREFIX, COOKIE_PREFIX_MASK, GROUP_ID_BASE, GROUP_ID_LIMIT } from './pipeline.js';
import type { SwitchConnection } from './switch-connection.js';
import type { SwitchPlan } from './switch-plan.js';
import { concatWire, toWire, type WireTables } from './wire-tables.js';

/**
 * Unknown entries (ours by cookie or group id, but never planned) one pass deletes at most. A
 * switch may report any number of them, each pass: deleting 200,000 in one go stalls the
 * event loop for seconds. Past the bound the rest wait for the next audit, and the log says so.
 */
export const MAX_UNKNOWN_DELETED_PER_PASS = 4096;

/**
 * A switch that puts unknown entries back faster than the audit deletes them (more than one
 * pass's bound, and more than the last pass left) is hostile or broken: reading its tables
 * back at every audit costs the controller what the switch chooses. Its audits are skipped:
 * 1, then 2, 4 ... up to this many in a row, until an audit finds it within the bound.
 */
const MAX_AUDITS_SKIPPED = 32;

interface Waiter {
  version: number;
  resolve: () => void;
  reject: (e: Error) => void;
}

/**
 * Brings one switch's tables to its plan and keeps them there. On its first run it reads
 * what the switch holds (flows with svcswitch's cookie prefix, groups in its id range) and
 * sends only the difference, so a controller restart rewrites nothing that is already right.
 * After that, each run diffs only the plan's parts that changed since the last confirmed
 * run. A run sends two barrier-confirmed phases: groups and flows to write, then flows and
 * groups to remove, so no flow ever points at a missing group and removals come after the
 * additions that replace them. Runs are serialised; changes during a run are coalesced
 * into the next one.
 */
export class SwitchReconciler {
  /** What the switch holds of ours; undefined: unknown, read it back on the next run. */
  private index: TablesIndex | undefined;
  /** Each part as last confirmed on the switch. */
  private readonly applied = new Map<string, WireTables>();
  /** How far into the plan's journal the confirmed state goes. */
  private cursor = 0;
  private running = false;
  private again = false;
  /** The next run reads the switch back and repairs what differs (the audit). */
  private auditNext = false;
  private readonly auditWaiters: Array<(repaired: number) => void> = [];
  /** Unknown entries the last audit left on the switch (found minus deleted). */
  private unknownLeft: number | undefined;
  /** Audits still to skip, and how many the last back-off skipped. */
  private auditsToSkip = 0;
  private auditBackoff = 0;
  /** Audits the current run answers. */
  private auditors: Array<(repaired: number) => void> = [];
  private readonly waiters: Waiter[] = [];
  /** The plan version the switch holds, confirmed by barrier. */
  confirmedVersion = 0;
  /** Flow-mod and group-mod messages sent so far, for logs and benchmarks. */
  sentMessages = 0;
  /** Entries and groups found different from what was installed (deleted, changed or added behind our back) and put right. */
  driftRepaired = 0;

  constructor(
    private readonly conn: SwitchConnection,
    private readonly plan: SwitchPlan,
    private readonly log: Logger,
    /** Nothing is read or sent before this resolves (the hold-down: the topology around the switch has settled). */
    private readonly ready: Promise<void> = Promise.resolve(),
    /** Told of each run: how long it took and whether the switch confirmed it. */
    private readonly ran: (run: { ms: number; ok: boolean; audit: boolean }) => void = () => undefined,
  ) {}

  /** True when the switch holds the plan's latest version, confirmed by barrier, and nothing is pending. */
  get inSync(): boolean {
    return !this.running && this.index !== undefined && this.confirmedVersion >= this.plan.version;
  }

  /** The plan changed: a run follows (one for however many changes arrive before it starts). */
  poke(): void {
    this.again = true;
    if (this.running) return;
    this.running = true;
    setImmediate(() => void this.run());
  }

  /**
   * Resolves once the switch holds `version` of the plan, or a later one; a plan that has
   * not changed since `version` counts as held once its latest version is. Rejects with
   * the switch's error (BatchRejectedError) when the run that should have installed it
   * fails, or ConnectionClosedError when the switch leaves.
   */
  waitFor(version: number): Promise<void> {
    if (this.holds(version)) return Promise.resolve();
    if (this.conn.isClosed) return Promise.reject(new ConnectionClosedError(`switch ${this.conn.dpid} is disconnected`));
    const done = new Promise<void>((resolve, reject) => this.waiters.push({ version, resolve, reject }));
    this.poke();
    return done;
  }

  /**
   * Reads what the switch holds and puts right whatever differs from what this reconciler
   * installed: an entry of ours deleted, modified, or one added with our cookie (another
   * cookie is never read, so never touched). Resolves with how many entries and groups
   * differed (0 when the switch leaves first).
   */
  audit(): Promise<number> {
    if (this.conn.isClosed) return Promise.resolve(0);
    if (this.auditsToSkip > 0) {
      this.auditsToSkip--;
      return Promise.resolve(0);
    }
    this.auditNext = true;
    const done = new Promise<number>((resolve) => this.auditWaiters.push(resolve));
    this.poke();
    return done;
  }

  /** The switch left: every waiter is told. */
  abort(reason: string): void {
    const e = new ConnectionClosedError(`switch ${this.conn.dpid} left before its tables were confirmed: ${reason}`);
    for (const w of this.waiters.splice(0)) w.reject(e);
    for (const w of this.auditWaiters.splice(0)) w(0);
  }

  /** Whether the switch holds `version` of its plan (or the latest, if the plan has not changed since), confirmed by barrier. */
  holds(version: number): boolean {
    return this.index !== undefined && this.confirmedVersion >= Math.min(version, this.plan.version);
  }

  private async run(): Promise<void> {
    await this.ready;
    while (this.again && !this.conn.isClosed) {
      this.again = false;
      const version = this.plan.version;
      const started = performance.now();
      const audit = this.auditNext;
      try {
        await this.sync();
        this.confirmedVersion = version;
        this.settle();
        this.ran({ ms: performance.now() - started, ok: true, audit });
      } catch (e) {
        this.ran({ ms: performance.now() - started, ok: false, audit });
        this.index = undefined; // unknown now: read it back next time
        // A switch that went away is routine (its next connection is reconciled afresh).
        this.log.log(this.conn.isClosed ? 'info' : 'error', 'reconcile failed', { dpid: this.conn.dpid, error: (e as Error).message });
        for (const w of this.waiters.splice(0)) w.reject(e as Error);
        for (const w of this.auditors.splice(0)) w(0);
      }
    }
    this.running = false;
    if (this.conn.isClosed) this.abort('connection closed');
  }

  private settle(): void {
    for (let i = this.waiters.length - 1; i >= 0; i--) {
      const w = this.waiters[i]!;
      if (!this.holds(w.version)) continue;
      this.waiters.splice(i, 1);
      w.resolve();
    }
  }

  /** One run: the whole table the first time (against what the switch holds), the changed parts after that. */
  private async sync(): Promise<void> {
    const auditing = this.auditNext && this.index !== undefined;
    this.auditors = this.auditWaiters.splice(0);
    this.auditNext = false;
    if (auditing) this.index = undefined;
    const cursor = this.plan.cursor;
    const changedSet = this.index === undefined ? undefined : this.plan.changedSince(this.cursor);
    if (this.index === undefined || changedSet === undefined) {
      const parts = new Map([...this.plan.partNames()].map((p) => [p, this.plan.get(p)!]));
      const target = this.plan.all();
      const read = this.index === undefined ? await this.readSwitch(target) : { tables: concatWire(this.applied.values()), unread: 0 };
      const actual = read.tables;
      // A table a switch may have filled with tens of thousands of entries is indexed once and diffed twice: other switches get a turn between the steps.
      const turn = (): Promise<unknown> | undefined => (auditing ? new Promise((r) => setImmediate(r)) : undefined);
      const actualFlows = indexFlows(actual);
      await turn();
      // Drift: what the switch holds against what we installed (not against the plan, whose changes since are not drift).
      const drift = auditing ? diffTables(concatWire(this.applied.values()), actual, actualFlows) : undefined;
      await turn();
      const diff = diffTables(target, actual, actualFlows);
      // Entries past the read bound are unknown too: the bound leaves room for every planned one.
      const unknown = diff.flowsToDelete.length + diff.groupsToDelete.length + read.unread;
      const bounded = boundDeletes(diff, MAX_UNKNOWN_DELETED_PER_PASS);
      await this.send(bounded);
      if (drift && diffSize(drift) + read.unread > 0) {
        this.driftRepaired += diffSize(drift) + read.unread - (unknown - bounded.flowsToDelete.length - bounded.groupsToDelete.length);
        this.log.warn('drift repaired', {
          dpid: this.conn.dpid, flowsMissingOrChanged: drift.flowsToWrite.length, flowsUnknown: drift.flowsToDelete.length,
          groupsMissingOrChanged: drift.groupsToWrite.length, groupsUnknown: drift.groupsToDelete.length,
          ...(read.unread > 0 ? { unreadPastTheBound: read.unread } : {}),
          ...(bounded !== diff ? { unknownDeletedThisPass: bounded.flowsToDelete.length + bounded.groupsToDelete.length, unknownLeftForNextAudit: unknown - bounded.flowsToDelete.length - bounded.groupsToDelete.length } : {}),
        });
      }
      if (drift) this.backOffIfRefilled(drift.flowsToDelete.length + drift.groupsToDelete.length + read.unread, bounded.flowsToDelete.length + bounded.groupsToDelete.length);
      for (const w of this.auditors.splice(0)) w(drift ? diffSize(drift) + read.unread : 0);
      this.index = indexTables(target);
      this.applied.clear();
      for (const [name, t] of parts) this.applied.set(name, t);
    } else {
      const changed = [...changedSet];
      const after = changed.map((p) => this.plan.get(p));
      const diff = diffParts(changed.map((p, i) => ({ before: this.applied.get(p), after: after[i] })), this.index);
      await this.send(diff);
      applyToIndex(this.index, diff);
      for (const [i, p] of changed.entries()) {
        const now = after[i];
        if (now === undefined) this.applied.delete(p);
        else this.applied.set(p, now);
      }
    }
    this.cursor = cursor;
    this.plan.trim(cursor);
  }

  /** After an audit that found `unknown` entries and deleted `deleted` of them: see MAX_AUDITS_SKIPPED. */
  private backOffIfRefilled(unknown: number, deleted: number): void {
    const left = this.unknownLeft;
    const refilled = unknown > MAX_UNKNOWN_DELETED_PER_PASS && left !== undefined && unknown > left;
    this.unknownLeft = Math.max(0, unknown - deleted);
    if (!refilled) {
      if (unknown <= MAX_UNKNOWN_DELETED_PER_PASS) this.auditBackoff = 0;
      return;
    }
    this.auditBackoff = Math.min(MAX_AUDITS_SKIPPED, Math.max(1, this.auditBackoff * 2));
    this.auditsToSkip = this.auditBackoff;
    this.log.warn('switch refills its tables with unknown entries: its next audits are skipped', { dpid: this.conn.dpid, unknownFound: unknown, leftByTheLastAudit: left, auditsSkipped: this.auditBackoff });
  }

  private async send(diff: TablesDiff): Promise<void> {
    if (diffSize(diff) === 0) return;
    const { write, remove } = diffMessages(diff);
    const writes = diff.groupsToWrite.length + diff.flowsToWrite.length;
    if (writes > 0) await this.conn.batch(write);
    if (diffSize(diff) > writes) await this.conn.batch(remove);
    this.sentMessages += diffSize(diff);
    this.log.debug('tables reconciled', {
      dpid: this.conn.dpid, flowsWritten: diff.flowsToWrite.length, flowsDeleted: diff.flowsToDelete.length,
      groupsWritten: diff.groupsToWrite.length, groupsDeleted: diff.groupsToDelete.length,
    });
  }

  /** What the switch holds of ours now. */
  /**
   * What the switch holds of ours, read up to the planned entries and one pass's deletions
   * more: what lies past that is counted (`unread`), not decoded, since a pass could not
   * delete it anyway.
   */
  private async readSwitch(target: WireTables): Promise<{ tables: WireTables; unread: number }> {
    const [flowReply, groupReply] = await Promise.all([
      this.conn.multipartUpTo({ mpType: MultipartType.FLOW, tableId: TableId.ALL, outPort: PortNo.ANY, outGroup: 0xffffffff, cookie: COOKIE_PREFIX, cookieMask: COOKIE_PREFIX_MASK, match: {} }, target.flowKeys.length + MAX_UNKNOWN_DELETED_PER_PASS),
      this.conn.multipartUpTo({ mpType: MultipartType.GROUP_DESC }, target.groupIds.length + MAX_UNKNOWN_DELETED_PER_PASS),
    ]);
    const flowParts = flowReply.parts.filter((p) => p.mpType === MultipartType.FLOW);
    const groups = groupReply.parts.flatMap((p: MultipartReplyBody) => (p.mpType === MultipartType.GROUP_DESC ? p.groups : []));
    const unread = flowReply.records - flowParts.reduce((n, p) => n + p.flows.length, 0) + groupReply.records - groups.length;
    const wire = [toWire({ flows: [], groups: groups.filter((g) => g.groupId >= GROUP_ID_BASE && g.groupId <= GROUP_ID_LIMIT).map((g) => ({ groupId: g.groupId, groupType: g.groupType, buckets: g.buckets })) })];
    // Part by part, yielding between them: a switch may report tens of thousands of entries (50,000 take 100 ms to put in wire form), and other switches wait meanwhile.
    for (const part of flowParts) {
      wire.push(toWire({ flows: part.flows.map((f) => ({ tableId: f.tableId, priority: f.priority, cookie: f.cookie, match: f.match, instructions: f.instructions })), groups: [] }));
      if (part.flows.length > 0) await new Promise((r) => setImmediate(r));
    }
    return { tables: concatWire(wire), unread };
  }
}

/** The diff with at most `max` deletions (flows first, then groups): the rest are left for a later pass. */
function boundDeletes(diff: TablesDiff, max: number): TablesDiff {
  if (diff.flowsToDelete.length + diff.groupsToDelete.length <= max) return diff;
  const flowsToDelete = diff.flowsToDelete.slice(0, max);
  return { ...diff, flowsToDelete, groupsToDelete: diff.groupsToDelete.slice(0, max - flowsToDelete.length) };
}
