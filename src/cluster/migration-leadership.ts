import type { Subscription } from 'rxjs';
import type { Logger } from '../log/logger.js';
import type { MigrationService } from '../migration/migration-service.js';
import type { EtcdBindingStore } from './etcd-binding-store.js';
import type { EtcdMastership, Leadership } from './etcd-mastership.js';

const RETRY_MS = 500;

/**
 * Puts the migration service and its store in the role the election gives this member: the
 * leader writes (after the store has read everything the leaders before wrote, it takes up
 * their migrations in flight), a follower plans from what the leader writes. One change at a
 * time, in the order the election made them. A write that did not reach etcd makes the leader
 * a follower at once; if the election still names it, it leads again from what etcd holds.
 */
export class MigrationLeadership {
  private subscription: Subscription | undefined;
  private chain: Promise<void> = Promise.resolve();
  private latest: Leadership = { leading: false, term: 0n };

  constructor(
    private readonly mastership: EtcdMastership,
    private readonly store: EtcdBindingStore,
    private readonly migration: MigrationService,
    private readonly log: Logger,
  ) {}

  start(): void {
    this.subscription = this.mastership.leadership$.subscribe((l) => {
      this.latest = l;
      this.enqueue(() => this.apply(l));
    });
    this.subscription.add(
      this.store.failed$.subscribe(() => {
        this.migration.follow();
        // Still ours in the election: lead again, from what etcd holds.
        this.enqueue(() => this.apply(this.latest));
      }),
    );
  }

  stop(): void {
    this.subscription?.unsubscribe();
  }

  private enqueue(step: () => Promise<void>): void {
    this.chain = this.chain.then(step).catch((e: Error) => {
      this.log.error('the migration leadership could not be taken up', { error: e.message });
    });
  }

  private async apply(l: Leadership): Promise<void> {
    if (l !== this.latest) return; // a newer change is queued
    if (!l.leading) {
      this.store.follow();
      this.migration.follow();
      return;
    }
    if (this.store.leading && this.migration.isLeader) return;
    try {
      await this.store.lead(this.mastership.leaderGuard(l.term));
    } catch (e) {
      this.log.warn('the migration state could not be read from etcd to lead; trying again', { error: (e as Error).message });
      setTimeout(() => this.enqueue(() => this.apply(this.latest)), RETRY_MS);
      return;
    }
    if (l !== this.latest) return;
    this.migration.lead();
    this.log.info('migration leader', { term: String(l.term) });
  }
}
