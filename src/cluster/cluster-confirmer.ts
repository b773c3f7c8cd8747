import { filter, firstValueFrom, map, merge, of, timeout, type Subscription } from 'rxjs';
import type { FlowManager } from '../controller/flow-manager.js';
import type { Logger } from '../log/logger.js';
import type { PartConfirmer } from '../migration/part-confirmer.js';
import type { PartWait } from '../migration/vm-parts.js';
import type { EtcdBindingStore } from './etcd-binding-store.js';
import type { EtcdMastership } from './etcd-mastership.js';

/** How long the leader waits for another member to say its switches hold a write: past the API's confirmation deadline. */
const APPLIED_TIMEOUT_MS = 10_000;
/** A follower whose switches could not all be confirmed tries again after this long. */
const RETRY_MS = 500;

/**
 * Make-before-break across members. The migration leader writes a VM's state and plans every
 * switch, but it writes only to the switches it masters; each other member plans the same from
 * the store's watch and writes to its own. So a change is confirmed when the leader's switches
 * say so by barrier, and every other switch's master has said (`applied/<member>`, a key bound
 * to its lease) that all the switches it masters hold the state as of the change's etcd
 * revision or later: OVN's nb_cfg/hv_cfg sequence, with the revision as the number.
 */
export class ClusterConfirmer implements PartConfirmer {
  private subscription: Subscription | undefined;
  private scheduled = false;
  private retry: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly flows: FlowManager,
    private readonly store: EtcdBindingStore,
    private readonly mastership: EtcdMastership,
    private readonly log: Logger,
  ) {}

  /** Publishes, after each change the watch brings (and each switch this member comes to master), that its switches hold it. */
  start(): void {
    this.subscription = merge(this.store.remote$, this.mastership.grants$).subscribe(() => this.schedule());
    this.schedule();
  }

  stop(): void {
    this.stopped = true;
    this.subscription?.unsubscribe();
    clearTimeout(this.retry);
  }

  async confirmed(wait: PartWait): Promise<void> {
    await this.store.flush();
    const revision = this.store.committedRevision;
    const mine = wait.dpids.filter((d) => this.mastership.writes(d));
    const others = wait.dpids.filter((d) => !this.mastership.writes(d));
    await Promise.all([this.flows.confirmed(mine, wait.version), ...others.map((d) => this.appliedAt(d, revision))]);
  }

  unconfirmed(wait: PartWait): string[] {
    const revision = this.store.committedRevision;
    return wait.dpids.filter((d) => (this.mastership.writes(d) ? this.flows.unconfirmed([d], wait.version).length > 0 : !this.holds(d, revision)));
  }

  private holds(dpid: string, revision: bigint): boolean {
    const master = this.mastership.masterOf(dpid);
    return master !== undefined && this.mastership.appliedBy(master) >= revision;
  }

  /** Resolves when the member that masters `dpid` says its switches hold `revision`; rejects after APPLIED_TIMEOUT_MS. */
  private appliedAt(dpid: string, revision: bigint): Promise<void> {
    return firstValueFrom(
      merge(of(undefined), this.mastership.mirrored$).pipe(
        map(() => this.holds(dpid, revision)),
        filter(Boolean),
        map(() => undefined),
        timeout({ first: APPLIED_TIMEOUT_MS, with: () => Promise.reject(new Error(`no member said switch ${dpid} holds revision ${revision} within ${APPLIED_TIMEOUT_MS} ms (its master: ${this.mastership.masterOf(dpid) ?? 'none'})`)) }),
      ),
    );
  }

  private schedule(): void {
    if (this.scheduled || this.stopped) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.publish();
    });
  }

  /** Waits for every switch this member masters to hold its latest plan, then says which revision that is. */
  private async publish(): Promise<void> {
    if (this.store.leading) return; // the leader confirms its own switches by barrier
    const revision = this.store.heldRevision;
    try {
      await this.flows.confirmed(this.flows.writable());
      await this.mastership.publishApplied(revision);
    } catch (e) {
      this.log.debug('switches not confirmed; trying again', { error: (e as Error).message });
      clearTimeout(this.retry);
      this.retry = setTimeout(() => this.schedule(), RETRY_MS);
    }
  }
}
