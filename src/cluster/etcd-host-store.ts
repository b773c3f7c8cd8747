import type { Etcd3, IKeyValue, Watcher } from 'etcd3';
import { EMPTY, type Observable, type Subscription } from 'rxjs';
import type { Logger } from '../log/logger.js';
import { RateLimitedLog } from '../log/rate-limited.js';
import type { HostInfo } from '../topology/events.js';
import { DelegatingHostStore, type HostChange, type HostStore } from '../topology/host-store.js';
import { commitGuarded, type WriterTerm } from './etcd-binding-store.js';

/** Who may write what is known of a host seen at a switch: that switch's master, in the term it masters it (undefined: not this member). */
export type SwitchGuard = (switchName: string) => WriterTerm | undefined;

/** A host as etcd holds it (`<prefix>hosts/<mac>`). */
interface StoredHost {
  ip?: string;
  switch: string;
  port: number;
  /** When traffic from it last reached its switch's master: the other members age it out from this. */
  lastSeen: number;
  /** The member that wrote it: its own writes coming back by watch are not news to it. */
  by: string;
}

/**
 * Hosts waiting to be written, at most (one entry per MAC: a later change replaces an earlier
 * one). Past it (etcd far slower than hosts move) a change is dropped and logged; the host's
 * next refresh writes it again.
 */
export const MAX_PENDING_HOSTS = 20_000;
/** etcd refuses a transaction of more than 128 operations. */
const MAX_OPS_PER_COMMIT = 120;

/**
 * Learned hosts shared by a cluster's members through etcd (docs/cluster.md). Only a switch's
 * master sees its hosts' traffic (packet-ins go to it alone), so it is the one that writes what
 * it learns there, in a transaction guarded by its mastership of that switch: a member that
 * lost the switch writes nothing more about its hosts. Every member follows the keys by watch
 * and learns each host as if it had seen it, so every member plans the same host entries, and
 * a member that takes a switch over keeps the entries of hosts it never heard from. Learning,
 * its policy and its limits stay the inner store's; this class only carries its changes.
 *
 * The master writes a host again when it was seen `refreshMs` after its last write, so that the
 * other members, which age hosts out from the time written, keep a host that is still talking.
 */
export class EtcdHostStore extends DelegatingHostStore {
  private readonly subscription: Subscription;
  private readonly limitedLog: RateLimitedLog;
  /** Writes waiting, by MAC (undefined: delete), each with the mastership that allows it. */
  private readonly pending = new Map<string, { value: StoredHost | undefined; guard: WriterTerm }>();
  /** When each host was last written as seen (for the refresh); bounded by the hosts known. */
  private readonly written = new Map<string, number>();
  /** Inside the application of another member's write: its changes are not written back. */
  private applying = false;
  private flushing: Promise<void> | undefined;
  private watcher: Watcher | undefined;
  private refresher: NodeJS.Timeout | undefined;
  private mastering: Subscription | undefined;
  /** Writes that did not land (the mastership lost in between, etcd unreachable). */
  failedWrites = 0;

  constructor(
    inner: HostStore,
    private readonly client: Etcd3,
    private readonly prefix: string,
    private readonly memberId: string,
    private readonly guard: SwitchGuard,
    log: Logger,
    private readonly refreshMs: number,
    /** The switches (by name) this member becomes master of, as it does: it writes the hosts it knows there (see `publishAt`). */
    private readonly mastered$: Observable<string> = EMPTY,
    private readonly now: () => number = Date.now,
  ) {
    super(inner);
    this.limitedLog = new RateLimitedLog(log);
    this.subscription = inner.changes$.subscribe((c) => this.changed(c));
  }

  private get root(): string {
    return `${this.prefix}hosts/`;
  }

  /** Learns every host etcd holds, then follows them. Rejects when etcd cannot be reached. */
  async start(): Promise<void> {
    const snapshot = await this.client.getAll().prefix(this.root).exec();
    for (const kv of snapshot.kvs) this.observe(kv, true);
    const watcher = await this.client.watch().prefix(this.root).startRevision(String(BigInt(snapshot.header.revision) + 1n)).create();
    this.watcher = watcher;
    watcher.on('put', (kv) => this.observe(kv, false));
    watcher.on('delete', (kv) => this.observeDelete(kv));
    watcher.on('error', (e) => this.limitedLog.write('warn', 'host-watch', 'etcd watch of the hosts failed', { error: e.message }));
    this.refresher = setInterval(() => this.refresh(), Math.max(50, this.refreshMs / 2));
    this.refresher.unref();
    this.mastering = this.mastered$.subscribe((name) => this.publishAt(name));
  }

  /**
   * This member became `name`'s master: every host it knows there is written. A host learned
   * before any member mastered the switch (a new channel is taken as EQUAL, and every member
   * hears its packet-ins until the roles are set) was written by nobody; a member started
   * later would never know it, and would delete its entries on taking the switch over.
   */
  private publishAt(name: string): void {
    const guard = this.guard(name);
    if (guard === undefined) return;
    for (const h of this.inner.all()) {
      if (h.switch !== name || !h.seen) continue;
      this.queue(h.mac, this.stored(h, this.inner.record(h.mac)?.lastSeen ?? this.now()), guard);
    }
  }

  override stop(): void {
    clearInterval(this.refresher);
    this.mastering?.unsubscribe();
    this.subscription.unsubscribe();
    // Cancelled before the client closes, or its manager keeps reconnecting a watch nobody reads.
    void (this.watcher?.cancel() ?? Promise.resolve()).catch(() => undefined).finally(() => this.client.close());
    this.inner.stop();
    this.limitedLog.flushAll();
  }

  /** Resolves once every write queued so far was tried. */
  async flush(): Promise<void> {
    while (this.flushing) await this.flushing;
  }

  /** A change of the inner store, made here: written if this member masters the host's switch. */
  private changed(c: HostChange): void {
    if (c.kind === 'removed') this.written.delete(c.host.mac);
    if (this.applying) return;
    const guard = this.guard(c.host.switch);
    if (guard === undefined) return;
    // Only where traffic was seen: a declared host nobody heard from is the file's to place.
    const seen = c.kind !== 'removed' && c.host.seen;
    this.queue(c.host.mac, seen ? this.stored(c.host, this.inner.record(c.host.mac)?.lastSeen ?? this.now()) : undefined, guard);
  }

  /** Hosts this member's switches still hear from, written again so the other members keep them. */
  private refresh(): void {
    for (const h of this.inner.all()) {
      if (h.declared || !h.seen) continue;
      const lastSeen = this.inner.record(h.mac)?.lastSeen ?? 0;
      if (lastSeen - (this.written.get(h.mac) ?? 0) < this.refreshMs) continue;
      const guard = this.guard(h.switch);
      if (guard) this.queue(h.mac, this.stored(h, lastSeen), guard);
    }
  }

  /** What this member writes of `h`. */
  private stored(h: HostInfo, lastSeen: number): StoredHost {
    return { ...(h.ip !== undefined ? { ip: h.ip } : {}), switch: h.switch, port: h.port, lastSeen, by: this.memberId };
  }

  private queue(mac: string, value: StoredHost | undefined, guard: WriterTerm): void {
    if (!this.pending.has(mac) && this.pending.size >= MAX_PENDING_HOSTS) {
      this.limitedLog.write('error', 'host-queue-full', `${MAX_PENDING_HOSTS} hosts already wait for etcd: a host change is dropped`, { mac });
      return;
    }
    this.pending.set(mac, { value, guard });
    if (value !== undefined) this.written.set(mac, value.lastSeen);
    this.flushing ??= this.commitAll().finally(() => (this.flushing = undefined));
  }

  private async commitAll(): Promise<void> {
    // Let the changes of one event-loop turn (a port gone with its hosts) go together.
    await new Promise((r) => setImmediate(r));
    while (this.pending.size > 0) {
      const batch = [...this.pending].slice(0, MAX_OPS_PER_COMMIT);
      const guard = batch[0]![1].guard;
      const ops = batch.filter(([, w]) => w.guard.key === guard.key && w.guard.term === guard.term);
      for (const [mac] of ops) this.pending.delete(mac);
      try {
        const res = await commitGuarded(this.client, guard, new Map(ops.map(([mac, w]) => [this.root + mac, w.value && JSON.stringify(w.value)])));
        // Lost the switch in between: its new master writes what it learns there from now on.
        if (!res.succeeded) this.failedWrites += ops.length;
      } catch (e) {
        this.failedWrites += ops.length;
        this.limitedLog.write('warn', 'host-write', 'hosts could not be written to etcd', { hosts: ops.length, error: (e as Error).message });
      }
    }
  }

  /** Another member's write (or, at start, anyone's): the host is learned here as if seen. */
  private observe(kv: IKeyValue, atStart: boolean): void {
    const mac = kv.key.toString().slice(this.root.length);
    const stored = parseStoredHost(kv.value.toString());
    if (stored === undefined) {
      this.limitedLog.write('warn', 'host-unreadable', 'a host in etcd could not be read: ignored', { key: kv.key.toString() });
      return;
    }
    if (!atStart && stored.by === this.memberId) return;
    this.apply(() => {
      const got = this.inner.learn(mac, stored.ip, { switch: stored.switch, port: stored.port });
      // Refused here (a migrated VM whose binding has not arrived yet): the binding moves it when it does.
      if (got?.kind === 'refused') return;
      const record = this.inner.record(mac);
      if (record) record.lastSeen = Math.max(record.lastSeen, stored.lastSeen);
      this.written.set(mac, stored.lastSeen);
    });
  }

  private observeDelete(kv: IKeyValue): void {
    const mac = kv.key.toString().slice(this.root.length);
    // Where this member masters the host's switch, it decides (its own delete coming back may be older than a sighting since).
    const here = this.inner.byMac(mac);
    if (here && this.guard(here.switch)) return;
    this.apply(() => this.inner.forget(mac, 'gone, as its switch\'s master says'));
  }

  private apply(change: () => void): void {
    this.applying = true;
    try {
      change();
    } finally {
      this.applying = false;
    }
  }
}

/** A stored host's text, checked field by field (etcd is trusted, but a bad row must not crash a member). */
function parseStoredHost(text: string): StoredHost | undefined {
  try {
    const v = JSON.parse(text) as Record<string, unknown>;
    const ok = typeof v.switch === 'string' && Number.isInteger(v.port) && typeof v.lastSeen === 'number' && typeof v.by === 'string' && (v.ip === undefined || typeof v.ip === 'string');
    return ok ? (v as unknown as StoredHost) : undefined;
  } catch {
    return undefined;
  }
}
