import type { Logger } from '../log/logger.js';
import { MultipartType, PortNo, TableId, type MultipartReplyBody } from '../openflow/index.js';
import { diffMessages, diffSize, diffTables, emptyTables, type SwitchTables } from './flow-tables.js';
import { COOKIE_PREFIX, COOKIE_PREFIX_MASK, GROUP_ID_BASE, GROUP_ID_LIMIT } from './pipeline.js';
import type { SwitchConnection } from './switch-connection.js';

interface Waiter {
  version: number;
  resolve: () => void;
  reject: (e: Error) => void;
}

/**
 * Brings one switch's tables to the desired state and keeps them there. On its first run it
 * reads what the switch holds (flows with svcswitch's cookie prefix, groups in its id range),
 * so a controller restart rewrites nothing that is already right. Then each change of the
 * desired state is diffed against the last confirmed state and sent in barrier-confirmed
 * batches. Runs are serialised; changes that arrive during a run are coalesced.
 */
export class SwitchReconciler {
  private desired: SwitchTables = emptyTables();
  private installed: SwitchTables | undefined;
  private version = 0;
  private running = false;
  private readonly waiters: Waiter[] = [];
  /** Messages sent by the last runs, for logs and benchmarks. */
  sentMessages = 0;

  constructor(
    private readonly conn: SwitchConnection,
    private readonly log: Logger,
  ) {}

  /** True when the switch holds the latest desired state, confirmed by barrier, and nothing is pending. */
  get inSync(): boolean {
    return !this.running && this.waiters.length === 0 && this.installed === this.desired;
  }

  /** Resolves once the switch holds `tables` (or a later desired state); rejects if that run failed. */
  setDesired(tables: SwitchTables): Promise<void> {
    this.desired = tables;
    this.version += 1;
    const done = new Promise<void>((resolve, reject) => this.waiters.push({ version: this.version, resolve, reject }));
    if (!this.running) void this.run();
    return done;
  }

  private async run(): Promise<void> {
    this.running = true;
    while (this.waiters.length > 0) {
      const version = this.version;
      const target = this.desired;
      try {
        await this.apply(target);
        this.settle(version);
      } catch (e) {
        this.installed = undefined; // unknown now: read it back next time
        // A switch that went away is routine (its next connection is reconciled afresh).
        this.log.log(this.conn.isClosed ? 'info' : 'error', 'reconcile failed', { dpid: this.conn.dpid, error: (e as Error).message });
        this.settle(version, e as Error);
        if (this.conn.isClosed) break;
      }
    }
    this.running = false;
  }

  private settle(version: number, error?: Error): void {
    for (let i = this.waiters.length - 1; i >= 0; i--) {
      const w = this.waiters[i]!;
      if (w.version > version) continue;
      this.waiters.splice(i, 1);
      if (error) w.reject(error);
      else w.resolve();
    }
  }

  private async apply(target: SwitchTables): Promise<void> {
    this.installed ??= await this.readSwitch();
    const diff = diffTables(target, this.installed);
    if (diffSize(diff) === 0) {
      this.installed = target; // equal in content; remember the latest for inSync
      return;
    }
    const { write, remove } = diffMessages(diff);
    if (write.length > 0) await this.conn.batch(write);
    if (remove.length > 0) await this.conn.batch(remove);
    this.installed = target;
    this.sentMessages += write.length + remove.length;
    this.log.debug('tables reconciled', {
      dpid: this.conn.dpid, flowsWritten: diff.flowsToWrite.length, flowsDeleted: diff.flowsToDelete.length,
      groupsWritten: diff.groupsToWrite.length, groupsDeleted: diff.groupsToDelete.length,
    });
  }

  /** What the switch holds of ours now. */
  private async readSwitch(): Promise<SwitchTables> {
    const [flowParts, groupParts] = await Promise.all([
      this.conn.multipart({ mpType: MultipartType.FLOW, tableId: TableId.ALL, outPort: PortNo.ANY, outGroup: 0xffffffff, cookie: COOKIE_PREFIX, cookieMask: COOKIE_PREFIX_MASK, match: {} }),
      this.conn.multipart({ mpType: MultipartType.GROUP_DESC }),
    ]);
    const flows = flowParts.flatMap((p: MultipartReplyBody) => (p.mpType === MultipartType.FLOW ? p.flows : []));
    const groups = groupParts.flatMap((p: MultipartReplyBody) => (p.mpType === MultipartType.GROUP_DESC ? p.groups : []));
    return {
      flows: flows.map((f) => ({ tableId: f.tableId, priority: f.priority, cookie: f.cookie, match: f.match, instructions: f.instructions })),
      groups: groups.filter((g) => g.groupId >= GROUP_ID_BASE && g.groupId <= GROUP_ID_LIMIT).map((g) => ({ groupId: g.groupId, groupType: g.groupType, buckets: g.buckets })),
    };
  }
}
