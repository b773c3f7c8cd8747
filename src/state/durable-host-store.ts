import type { Subscription } from 'rxjs';
import type { Logger } from '../log/logger.js';
import { RateLimitedLog } from '../log/rate-limited.js';
import { DelegatingHostStore, type HostChange, type HostStore } from '../topology/host-store.js';
import type { StateDatabase } from './database.js';

/**
 * Host learning as the in-memory store does it (the policy, the limits, the spoof checks
 * all stay there), with every host that traffic was seen from written to SQLite, so that a
 * restarted controller knows where hosts are before they speak again: its host entries are
 * the same as before, and no switch rewrites them. A failed write is logged (rate-limited)
 * and never stops learning: the network must not wait for the disk.
 */
export class DurableHostStore extends DelegatingHostStore {
  private readonly sql;
  private readonly subscription: Subscription;
  private readonly limitedLog: RateLimitedLog;

  constructor(inner: HostStore, db: StateDatabase, log: Logger) {
    super(inner);
    this.sql = {
      put: db.prepare('INSERT OR REPLACE INTO hosts VALUES (?, ?, ?, ?)'),
      delete: db.prepare('DELETE FROM hosts WHERE mac = ?'),
      all: db.prepare('SELECT mac, ip, switch, port FROM hosts'),
    };
    this.limitedLog = new RateLimitedLog(log);
    this.subscription = inner.changes$.subscribe((c) => this.write(c));
  }

  /**
   * Learns again every host stored, as if its traffic had just arrived where it was last
   * seen (after the topology file's declarations, which a learned place overrides). What the
   * policy refuses now (a file that changed) is dropped from the file. Returns how many came back.
   */
  restore(): number {
    let restored = 0;
    for (const r of this.sql.all.all() as Array<{ mac: string; ip: string | null; switch: string; port: number }>) {
      const got = this.inner.learn(r.mac, r.ip ?? undefined, { switch: r.switch, port: r.port });
      if (got?.kind === 'refused') this.sql.delete.run(r.mac);
      else restored++;
    }
    return restored;
  }

  override stop(): void {
    this.subscription.unsubscribe();
    this.inner.stop();
    this.limitedLog.flushAll();
  }

  private write(c: HostChange): void {
    try {
      if (c.kind === 'removed') this.sql.delete.run(c.host.mac);
      // Only where traffic was seen: a declared host nobody heard from is the file's to place.
      else if (c.host.seen) this.sql.put.run(c.host.mac, c.host.ip ?? null, c.host.switch, c.host.port);
    } catch (e) {
      this.limitedLog.write('error', 'host-not-saved', `host ${c.host.mac} not saved: ${(e as Error).message}`, { mac: c.host.mac });
    }
  }
}
