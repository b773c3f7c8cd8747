import { randomBytes } from 'node:crypto';
import { ConsecutiveBreaker, circuitBreaker, handleWhen, retry } from 'cockatiel';
import { Etcd3, EtcdLeaseInvalidError, isRecoverableError, type IKeyValue, type Lease, type Watcher } from 'etcd3';
import { BehaviorSubject, Subject, defer, distinctUntilChanged, from, merge, type Observable } from 'rxjs';
import type { Dpid } from '../controller/dpid.js';
import type { Mastership, RoleGrant } from '../controller/mastership.js';
import type { Logger } from '../log/logger.js';
import type { WriterTerm } from './etcd-binding-store.js';
import { ClusterMirror, MIGRATION_DUTY, sameSet, type Holder } from './cluster-mirror.js';

export interface ClusterOptions {
  /** etcd's client URLs, http://HOST:PORT. */
  endpoints: readonly string[];
  /** This member's name: unique in the cluster, the same across its restarts. */
  memberId: string;
  /** Where the cluster's keys live (several clusters may share one etcd). */
  prefix: string;
  /** The lease that holds this member's keys: killed, its switches move after at most this (etcd's minimum is 2 s). */
  leaseTtlS: number;
  /** A member steps down on its own when its last acknowledged keep-alive is older than the TTL minus this. */
  stepDownMarginMs: number;
  /** Keep-alive period. */
  keepAliveMs: number;
  /** Every etcd call's deadline (the client's default let a put hang 7 s when the etcd leader died). */
  callTimeoutMs: number;
}

export const DEFAULT_CLUSTER_OPTIONS: Omit<ClusterOptions, 'endpoints' | 'memberId'> = {
  prefix: '/svcswitch/',
  leaseTtlS: 2,
  stepDownMarginMs: 250,
  keepAliveMs: 250,
  callTimeoutMs: 1000,
};

/**
 * A client for the cluster's etcd: a deadline on every call (the client's default let a put
 * hang 7 s when the etcd leader died), and a host skipped after three failures in a row for a
 * keep-alive period only (the default, 5 s, skipped every host after an etcd leader election:
 * each fails a few calls meanwhile).
 */
export function etcdClient(options: Pick<ClusterOptions, 'endpoints' | 'callTimeoutMs' | 'keepAliveMs'>): Etcd3 {
  return new Etcd3({
    hosts: [...options.endpoints],
    dialTimeout: options.callTimeoutMs,
    defaultCallOptions: (ctx) => (ctx.isStream ? {} : { deadline: Date.now() + options.callTimeoutMs }),
    faultHandling: {
      host: () => circuitBreaker(handleWhen(isRecoverableError), { halfOpenAfter: options.keepAliveMs, breaker: new ConsecutiveBreaker(3) }),
      global: retry(handleWhen(isRecoverableError), { maxAttempts: 3 }),
    },
  });
}


/** This member's part in the migration leadership, as it changes. */
export interface Leadership {
  leading: boolean;
  /** The leadership key's mod revision while this member holds it. */
  term: bigint;
  /** Standing down because its lease is in doubt, not known lost. */
  quiet?: boolean;
}

/** The cluster as one member sees it (GET /api/cluster). */
export interface ClusterView {
  member: string;
  /** Whether it holds a live lease (false: it has stood down and is joining again). */
  joined: boolean;
  members: string[];
  masters: Array<{ dpid: Dpid; member: string; generation: string }>;
  /** The member that writes the migration state, and its term; undefined while none holds it. */
  migrationLeader: { member: string; term: string } | undefined;
  /** Claims, releases and stand-downs this member made since it started. */
  changes: number;
  /** The longest etcd stall it saw: the most time between two acknowledged keep-alives. */
  longestAckGapMs: number;
}


/**
 * The election of a master for every switch, on etcd. Keys (under the prefix), each bound to
 * its member's lease, so that a member that dies loses them all at once:
 * - `members/<id>`: the member is alive;
 * - `channels/<dpid>/<id>`: it holds a channel to the switch (only those can master it);
 * - `masters/<dpid>`: the switch's master; the key's mod revision is the generation id sent in
 *   ROLE_REQUEST, strictly rising across the cluster's life.
 * Every member mirrors the keys (one watch) and computes the same wanted master for each switch
 * (rendezvous.ts: balanced over the live members that have a channel to it). A switch without a
 * master is claimed by its wanted member (a transaction: only if the key does not exist); a
 * master that is no longer the wanted one (a member joined) releases it (only if it still holds
 * it) and the wanted one claims it. A member steps down from every switch on its own when its
 * last acknowledged keep-alive is older than the lease's TTL minus a margin: by then etcd may
 * have given its switches to others; it writes nothing to etcd until it has joined again with a
 * new lease.
 */
export class EtcdMastership implements Mastership {
  readonly clustered = true;
  private readonly client: Etcd3;
  private readonly grantsSubject = new Subject<RoleGrant>();
  private readonly granted = new Map<Dpid, RoleGrant>();
  readonly grants$: Observable<RoleGrant> = defer(() => merge(from([...this.granted.values()].filter((g) => g.dpid !== MIGRATION_DUTY)), this.grantsSubject));
  private readonly leadershipSubject = new Subject<Leadership>();
  /** The migration leadership as it changes, the current state first. */
  readonly leadership$: Observable<Leadership> = defer(() => {
    const now = this.granted.get(MIGRATION_DUTY);
    return merge(from(now ? [leadershipOf(now)] : []), this.leadershipSubject);
  });

  private lease: Lease | undefined;
  private watcher: Watcher | undefined;
  private leaseId = '';
  /** When the last keep-alive that etcd acknowledged was sent. */
  private lastAck = 0;
  private joined = false;
  /** Its lease is in doubt (no keep-alive acknowledged in time): it writes nothing, and is master nowhere in its own eyes. */
  private suspended = false;
  private stopped = false;
  private timers: NodeJS.Timeout[] = [];
  private decideScheduled = false;

  private readonly cluster = new ClusterMirror();
  /** This member's REST API, once it listens. */
  private api: string | undefined;
  private readonly mirrorSubject = new Subject<void>();
  /** After every batch of keys the watch brings: what waits on another member's word looks again. */
  readonly mirrored$: Observable<void> = this.mirrorSubject.asObservable();
  private readonly elsewhereSubject = new BehaviorSubject<ReadonlySet<Dpid>>(new Set());
  /**
   * The switches another live member holds a channel to, as that set changes (the current one
   * first): the topology keeps their links up while this member has no channel of its own to
   * them (topology-service.ts, `endLive`).
   */
  readonly reachedElsewhere$: Observable<ReadonlySet<Dpid>> = this.elsewhereSubject.pipe(distinctUntilChanged(sameSet));
  /** Switches with a channel to this member. */
  private readonly local = new Set<Dpid>();
  /** Claims and releases in flight, by switch: one at a time. */
  private readonly busy = new Set<Dpid>();
  /** Mastership changes this member made (claims, releases, stand-downs), for GET /api/cluster. */
  private changes = 0;
  /** The longest time between two acknowledged keep-alives (by when they were sent): how long etcd stalled, as this member saw it. */
  longestAckGapMs = 0;

  constructor(
    private readonly options: ClusterOptions,
    private readonly log: Logger,
  ) {
    this.client = etcdClient(options);
  }

  private key(...parts: string[]): string {
    return this.options.prefix + parts.join('/');
  }

  /** Joins (a lease, its member key), mirrors the keys and watches them. Rejects when etcd cannot be reached. */
  async start(): Promise<void> {
    // Every member is a candidate for the migration leadership: as if it held a channel to it.
    this.local.add(MIGRATION_DUTY);
    await this.join();
    const snapshot = await this.client.getAll().prefix(this.options.prefix).exec();
    for (const kv of snapshot.kvs) this.mirror('Put', kv);
    this.elsewhereSubject.next(this.cluster.reachedByOthers(this.options.memberId));
    const watcher = await this.client.watch().prefix(this.options.prefix).startRevision(String(BigInt(snapshot.header.revision) + 1n)).create();
    this.watcher = watcher;
    watcher.on('data', (res) => {
      for (const e of res.events) this.mirror(e.type, e.kv);
      this.elsewhereSubject.next(this.cluster.reachedByOthers(this.options.memberId));
      this.scheduleDecide();
      this.mirrorSubject.next();
    });
    watcher.on('error', (e) => this.log.warn('etcd watch failed', { error: e.message }));
    this.timers.push(setInterval(() => void this.beat(), this.options.keepAliveMs), setInterval(() => this.checkLease(), 50));
    this.scheduleDecide();
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    // Leaving on purpose: the lease revoked, every switch of ours is free at once.
    await this.lease?.revoke().catch(() => undefined);
    // Cancelled before the client closes, or its manager keeps reconnecting a watch nobody reads.
    await this.watcher?.cancel().catch(() => undefined);
    this.client.close();
  }

  /**
   * A secret every member shares (`secrets/<name>`, 32 random bytes): the first member to ask
   * creates it, in a transaction that succeeds only if it does not exist; the others read it.
   */
  async sharedSecret(name: string): Promise<Buffer> {
    const key = this.key('secrets', name);
    const fresh = randomBytes(32).toString('base64');
    await this.client.if(key, 'Create', '==', 0).then(this.client.put(key).value(fresh)).commit();
    const stored = await this.client.get(key).string();
    if (stored === null) throw new Error(`etcd lost ${key} just after it was written`);
    return Buffer.from(stored, 'base64');
  }

  connected(dpid: Dpid): void {
    this.local.add(dpid);
    if (this.joined) void this.put(this.key('channels', dpid, this.options.memberId));
  }

  disconnected(dpid: Dpid): void {
    this.local.delete(dpid);
    if (this.joined) void this.client.delete().key(this.key('channels', dpid, this.options.memberId)).exec().catch(() => undefined);
    this.scheduleDecide();
  }

  refused(dpid: Dpid, why: string): void {
    const mine = this.granted.get(dpid);
    if (mine?.role === 'master') this.grant({ ...mine, role: 'slave' });
    this.log.info('a switch refused this member as master', { dpid, why });
    this.scheduleDecide();
  }

  /** What this member knows of the cluster: the live members, and each switch's master and generation. */
  view(): ClusterView {
    const leader = this.cluster.masters.get(MIGRATION_DUTY);
    return {
      member: this.options.memberId,
      joined: this.joined,
      members: [...this.cluster.members].sort(),
      masters: [...this.cluster.masters].filter(([dpid]) => dpid !== MIGRATION_DUTY).map(([dpid, h]) => ({ dpid, member: h.member, generation: String(h.generation) })).sort((a, b) => a.dpid.localeCompare(b.dpid)),
      migrationLeader: leader && { member: leader.member, term: String(leader.generation) },
      changes: this.changes,
      longestAckGapMs: this.longestAckGapMs,
    };
  }

  private async join(): Promise<void> {
    const lease = this.client.lease(this.options.leaseTtlS, { autoKeepAlive: false });
    lease.on('lost', () => undefined); // checkLease decides, from the last acknowledged keep-alive
    const sentAt = Date.now();
    this.leaseId = await lease.grant();
    this.lease = lease;
    this.lastAck = sentAt;
    await lease.put(this.key('members', this.options.memberId)).value(this.memberValue()).exec();
    this.joined = true;
    for (const dpid of this.local) await this.put(this.key('channels', dpid, this.options.memberId));
    this.log.info('joined the cluster', { member: this.options.memberId, lease: this.leaseId });
  }

  private memberValue(): string {
    return JSON.stringify({ since: new Date().toISOString(), ...(this.api ? { api: this.api } : {}) });
  }

  /** Says where this member's REST API is (its members/ key), for the others to forward to when it leads the migrations. */
  async advertise(api: string): Promise<void> {
    this.api = api;
    if (this.healthy()) await this.client.put(this.key('members', this.options.memberId)).value(this.memberValue()).lease(this.leaseId).exec();
  }

  /** The REST API `member` advertised, if it is alive and did. */
  apiOf(member: string): string | undefined {
    return this.cluster.apiOf(member);
  }

  private async put(key: string): Promise<void> {
    if (!this.healthy()) return;
    await this.client.put(key).value('').lease(this.leaseId).exec().catch((e: Error) => this.log.debug('etcd put failed', { key, error: e.message }));
  }

  private healthy(): boolean {
    return this.joined && Date.now() - this.lastAck < this.options.leaseTtlS * 1000 - this.options.stepDownMarginMs;
  }

  private async beat(): Promise<void> {
    const lease = this.lease;
    if (!lease || !this.joined || this.stopped) return;
    const sentAt = Date.now();
    let ttl: number;
    try {
      ttl = Number((await lease.keepaliveOnce({ deadline: sentAt + this.options.callTimeoutMs })).TTL);
    } catch (e) {
      if (e instanceof EtcdLeaseInvalidError && lease === this.lease) this.expired();
      return; // not acknowledged: checkLease stands down in time
    }
    if (lease !== this.lease) return;
    if (ttl <= 0) return this.expired();
    if (sentAt <= this.lastAck) return;
    this.longestAckGapMs = Math.max(this.longestAckGapMs, sentAt - this.lastAck);
    this.lastAck = sentAt;
    if (this.suspended) {
      this.suspended = false;
      this.log.info('etcd acknowledges the lease again: resuming as master where it still is', { member: this.options.memberId });
      this.scheduleDecide();
    }
  }

  /**
   * No keep-alive acknowledged for TTL minus the margin: etcd may have given this member's
   * switches to others by now. It stops writing to every switch at once (quiet: it may still be
   * their master) and to etcd, and keeps asking etcd about the same lease: if etcd acknowledges
   * it again (a slow leader election: etcd extends leases over one), it resumes where it is
   * still master, and nothing changed for the switches; if etcd says the lease is gone, it
   * joins again with a new one.
   */
  private checkLease(): void {
    if (!this.joined || this.suspended || this.healthy() || this.stopped) return;
    this.suspended = true;
    this.changes++;
    this.log.warn('standing down: no keep-alive acknowledged within the lease; writes stop until etcd answers', { member: this.options.memberId, sinceAckMs: Date.now() - this.lastAck });
    for (const g of this.granted.values()) if (g.role === 'master') this.grant({ ...g, role: 'slave', quiet: true });
  }

  /** etcd says the lease is gone: its keys are too. Joins again with a new lease. */
  private expired(): void {
    if (!this.joined) return;
    this.joined = false;
    this.suspended = false;
    this.lease = undefined;
    this.changes++;
    this.log.warn('the cluster lease expired: joining again with a new one', { member: this.options.memberId });
    for (const g of this.granted.values()) if (g.role === 'master') this.grant({ ...g, role: 'slave', quiet: true });
    const retry = (): void => {
      if (this.stopped) return;
      this.join().then(() => this.scheduleDecide(), () => setTimeout(retry, 500));
    };
    retry();
  }

  private mirror(type: 'Put' | 'Delete', kv: IKeyValue): void {
    this.cluster.apply(type, kv.key.toString().slice(this.options.prefix.length), kv);
  }

  private scheduleDecide(): void {
    if (this.decideScheduled) return;
    this.decideScheduled = true;
    setImmediate(() => {
      this.decideScheduled = false;
      this.decide();
    });
  }

  private decide(): void {
    if (this.stopped) return;
    const me = this.options.memberId;
    const placed = this.cluster.placement();
    for (const dpid of new Set([...this.local, ...this.granted.keys()])) {
      const holder = this.cluster.masters.get(dpid);
      if (holder === undefined) {
        // No master: a grant of ours from before is void; the wanted member claims it.
        const mine = this.granted.get(dpid);
        if (mine?.role === 'master') this.grant({ ...mine, role: 'slave' });
        if (this.local.has(dpid) && placed.get(dpid) === me) void this.claim(dpid);
        continue;
      }
      if (holder.member !== me) {
        if (this.local.has(dpid)) this.grant({ dpid, role: 'slave', generation: holder.generation });
        continue;
      }
      if (!this.healthy()) {
        // Ours in etcd, but the lease is in doubt: no writes, nothing said to the switch.
        const mine = this.granted.get(dpid);
        if (mine?.role === 'master') this.grant({ ...mine, role: 'slave', quiet: true });
        continue;
      }
      const wanted = placed.get(dpid);
      if (!this.local.has(dpid) || (wanted !== undefined && wanted !== me) || holder.lease !== this.leaseId) void this.release(dpid, holder);
      else this.grant({ dpid, role: 'master', generation: holder.generation });
    }
  }

  private async claim(dpid: Dpid): Promise<void> {
    if (this.busy.has(dpid) || !this.healthy()) return;
    this.busy.add(dpid);
    try {
      const key = this.key('masters', dpid);
      const res = await this.client.if(key, 'Create', '==', 0).then(this.client.put(key).value(this.options.memberId).lease(this.leaseId)).commit();
      if (res.succeeded) {
        this.changes++;
        const generation = BigInt(res.header.revision);
        this.cluster.masters.set(dpid, { member: this.options.memberId, generation, lease: this.leaseId });
        this.log.info('claimed a switch', { dpid, generation: String(generation) });
      }
    } catch (e) {
      this.log.debug('claim failed', { dpid, error: (e as Error).message });
    } finally {
      this.busy.delete(dpid);
      this.scheduleDecide();
    }
  }

  private async release(dpid: Dpid, holder: Holder): Promise<void> {
    if (this.busy.has(dpid) || !this.healthy()) return;
    this.busy.add(dpid);
    // Our writes stop before the key goes: the next master never finds us still writing.
    this.grant({ dpid, role: 'slave', generation: holder.generation });
    try {
      const key = this.key('masters', dpid);
      const res = await this.client.if(key, 'Value', '==', this.options.memberId).and(key, 'Mod', '==', String(holder.generation)).then(this.client.delete().key(key)).commit();
      if (res.succeeded) {
        this.changes++;
        this.log.info('released a switch to the member the placement wants', { dpid });
      }
    } catch (e) {
      this.log.debug('release failed', { dpid, error: (e as Error).message });
    } finally {
      this.busy.delete(dpid);
      this.scheduleDecide();
    }
  }

  /** The member that masters `dpid`, as etcd says. */
  masterOf(dpid: Dpid): string | undefined {
    return this.cluster.masters.get(dpid)?.member;
  }

  /** Whether this member writes to `dpid` now (its master, confirmed by the switch). */
  writes(dpid: Dpid): boolean {
    return this.granted.get(dpid)?.role === 'master';
  }

  /** The state revision every switch `member` masters is known to hold (0n: none said). */
  appliedBy(member: string): bigint {
    return this.cluster.appliedBy(member);
  }

  /** Says that every switch this member masters holds the state as of `revision` (a key bound to its lease; nothing while the lease is in doubt). */
  async publishApplied(revision: bigint): Promise<void> {
    if (!this.healthy()) return;
    await this.client.put(this.key('applied', this.options.memberId)).value(String(revision)).lease(this.leaseId).exec();
  }

  /** The key, value and term that guard the migration leader's writes. */
  leaderGuard(term: bigint): WriterTerm {
    return { key: this.key('masters', MIGRATION_DUTY), member: this.options.memberId, term };
  }

  /** The key, value and term that guard what this member writes as `dpid`'s master (its hosts); undefined when it is not, as the switch confirmed. */
  masterGuard(dpid: Dpid): WriterTerm | undefined {
    const g = this.granted.get(dpid);
    return g?.role === 'master' ? { key: this.key('masters', dpid), member: this.options.memberId, term: g.generation } : undefined;
  }

  private grant(g: RoleGrant): void {
    const before = this.granted.get(g.dpid);
    if (before?.role === g.role && before.generation === g.generation && before.quiet === g.quiet) return;
    this.granted.set(g.dpid, g);
    if (g.dpid === MIGRATION_DUTY) this.leadershipSubject.next(leadershipOf(g));
    else this.grantsSubject.next(g);
  }
}

const leadershipOf = (g: RoleGrant): Leadership => ({ leading: g.role === 'master', term: g.generation, ...(g.quiet ? { quiet: true } : {}) });
