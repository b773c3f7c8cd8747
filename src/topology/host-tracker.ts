import { Subject, type Observable } from 'rxjs';
import type { HostInfo, SwitchRef } from './events.js';
import type { HostChange, HostRecord, HostRefusal, HostStore, RoamingPermission } from './host-store.js';
import type { HostPolicy } from './host-policy.js';
import { portKey, reservedMac } from './model.js';

type Refusal = Pick<HostRefusal, 'rule' | 'reason' | 'crossSubnet'>;

export interface HostLimits {
  /** Hosts learned at one port; more is a VM inventing MACs (a hypervisor port holds a handful). */
  perPort: number;
  /** Hosts known in all. */
  total: number;
  /** A learned (undeclared) host not seen this long is forgotten; it is learned again from its next ARP. */
  idleMs: number;
  /** How long a host whose port went away is kept, waiting to reappear elsewhere. */
  graceMs: number;
}

export const DEFAULT_HOST_LIMITS: HostLimits = { perPort: 64, total: 16_384, idleMs: 30 * 60_000, graceMs: 5000 };

const publicHost = ({ lastSeen: _l, ...h }: HostRecord): HostInfo => h;

/**
 * Where each host (by MAC) is attached. Pure state plus timers (detach grace, idle ageing):
 * learning returns what changed, or why it refused, and the service turns that into events.
 * Every table here is bounded: hosts per port, hosts in all, and learned hosts age out.
 */
export class HostTracker implements HostStore {
  private readonly hosts = new Map<string, HostRecord>();
  /** Which MAC holds each IP. */
  private readonly macByIp = new Map<string, string>();
  private readonly perPort = new Map<string, number>();
  private readonly detached = new Map<string, NodeJS.Timeout>();
  /** Migrated VMs: the switch (of another subnet) where each may hold its Home Address. Bounded by the bindings. */
  private readonly roaming = new Map<string, RoamingPermission>();
  /** Where the file puts each declared host: the one place it may be learned at without a migration. */
  private readonly declaredAt = new Map<string, SwitchRef>();
  private readonly sweeper: NodeJS.Timeout;
  private changes = 0;
  private readonly changesSubject = new Subject<HostChange>();
  /** Every change, whoever caused it: learning (also returned by `learn`), a timer, an address taken. */
  readonly changes$: Observable<HostChange> = this.changesSubject.asObservable();

  constructor(
    private readonly policy: HostPolicy,
    private readonly limits: HostLimits,
    private readonly now: () => number = Date.now,
  ) {
    this.sweeper = setInterval(() => this.sweep(), Math.min(60_000, Math.max(10, limits.idleMs / 4)));
    this.sweeper.unref();
  }

  /** Seeds a host from the topology file: known before it sends anything, and never aged out. */
  declare(host: Omit<HostInfo, 'seen' | 'declared'>): void {
    this.changes++;
    // Field by field, in one literal: a spread with properties after it gives every record a hidden class of its own in V8 (300 bytes a host).
    this.put(host.ip6 === undefined
      ? { name: host.name, mac: host.mac, ip: host.ip, switch: host.switch, port: host.port, declared: true, seen: false, lastSeen: this.now() }
      : { name: host.name, mac: host.mac, ip: host.ip, ip6: host.ip6, switch: host.switch, port: host.port, declared: true, seen: false, lastSeen: this.now() });
    if (host.ip !== undefined) this.macByIp.set(host.ip, host.mac);
    this.declaredAt.set(host.mac, { switch: host.switch, port: host.port });
  }

  /** Grows with every change to what is known: a cache of sightings is stale once it moved. */
  get version(): number {
    return this.changes;
  }

  get size(): number {
    return this.hosts.size;
  }

  all(): HostInfo[] {
    return [...this.hosts.values()].map(publicHost);
  }

  /** `limit` hosts from the `offset`-th, in the order they became known. */
  page(offset: number, limit: number): HostInfo[] {
    const out: HostInfo[] = [];
    let i = 0;
    for (const h of this.hosts.values()) {
      if (i++ < offset) continue;
      if (out.length >= limit) break;
      out.push(publicHost(h));
    }
    return out;
  }

  byIp(ip: string): HostInfo | undefined {
    const mac = this.macByIp.get(ip);
    const h = mac === undefined ? undefined : this.hosts.get(mac);
    return h && publicHost(h);
  }

  byMac(mac: string): HostInfo | undefined {
    const h = this.hosts.get(mac);
    return h && publicHost(h);
  }

  roam(mac: string, at: RoamingPermission | undefined): void {
    // Unchanged is no change: every migration calls this, and a new version voids every cached sighting.
    const now = this.roaming.get(mac);
    if (at === undefined ? now === undefined : now?.switch === at.switch && now.port === at.port && now.ip === at.ip) return;
    this.changes++;
    if (at === undefined) this.roaming.delete(mac);
    else this.roaming.set(mac, { ...at });
  }

  /** The live record of a host, for the sighting cache to refresh `lastSeen` without a lookup. */
  record(mac: string): HostRecord | undefined {
    return this.hosts.get(mac);
  }

  /** Traffic from `mac` (with `ip` when the packet tells it) arrived at `at`. */
  learn(mac: string, ip: string | undefined, at: SwitchRef): HostChange | HostRefusal | undefined {
    const known = this.hosts.get(mac);
    const refused = this.refusal(mac, ip, at, known);
    if (refused !== undefined) return { kind: 'refused', mac, ip, at, rule: refused.rule, reason: refused.reason, ...(refused.crossSubnet ? { crossSubnet: refused.crossSubnet } : {}) };
    this.cancelDetach(mac);
    if (ip !== undefined) this.claimIp(ip, mac);
    if (known) known.lastSeen = this.now();
    if (known?.switch === at.switch && known.port === at.port && known.seen && (ip === undefined || known.ip === ip)) return undefined;
    this.changes++;
    if (!known) {
      const host: HostRecord = { name: undefined, mac, ip, switch: at.switch, port: at.port, declared: false, seen: true, lastSeen: this.now() };
      this.put(host);
      return this.emit({ kind: 'added', host: publicHost(host) });
    }
    const newIp = ip !== undefined && known.ip !== ip;
    if (newIp) {
      if (known.ip !== undefined && this.macByIp.get(known.ip) === mac) this.macByIp.delete(known.ip);
      known.ip = ip;
    }
    if (known.switch === at.switch && known.port === at.port) {
      known.seen = true;
      return newIp ? this.emit({ kind: 'updated', host: publicHost(known) }) : undefined;
    }
    const from = { switch: known.switch, port: known.port };
    this.count(known, -1);
    Object.assign(known, { switch: at.switch, port: at.port, seen: true });
    this.count(known, +1);
    return this.emit({ kind: 'moved', host: publicHost(known), from });
  }

  /**
   * The port of some hosts went away. A learned host is removed after the grace period
   * unless it shows up elsewhere first (a live migration detaches the VM here and attaches it
   * there). A declared host is never removed: it keeps its address and its place, marked
   * unseen, until it speaks again or a migration moves it (a reboot must not free its address
   * for a neighbour to take).
   */
  portGone(at: SwitchRef, reason: string): void {
    for (const h of this.hosts.values()) {
      if (h.switch !== at.switch || h.port !== at.port || this.detached.has(h.mac)) continue;
      const timer = setTimeout(() => {
        this.detached.delete(h.mac);
        this.changes++;
        if (this.hosts.get(h.mac) !== h || h.switch !== at.switch || h.port !== at.port) return;
        this.drop(h, reason);
      }, this.limits.graceMs);
      timer.unref();
      this.detached.set(h.mac, timer);
      this.changes++;
    }
  }

  forget(mac: string, reason: string): void {
    const h = this.hosts.get(mac);
    // A declared host already unseen: nothing changes.
    if (h === undefined || (h.declared && !h.seen)) return;
    this.changes++;
    this.drop(h, reason);
  }

  /** A host gone: a learned one is removed; a declared one keeps its place and address, unseen. */
  private drop(h: HostRecord, reason: string): void {
    if (!h.declared) return this.remove(h, reason);
    if (!h.seen) return;
    h.seen = false;
    this.changesSubject.next({ kind: 'updated', host: publicHost(h) });
  }

  /** Forgets learned hosts idle for longer than the limit (declared hosts stay). */
  sweep(): void {
    const oldest = this.now() - this.limits.idleMs;
    for (const h of this.hosts.values()) {
      if (!h.declared && h.lastSeen < oldest) {
        this.changes++;
        this.remove(h, `idle for more than ${this.limits.idleMs} ms`);
      }
    }
  }

  stop(): void {
    clearInterval(this.sweeper);
    this.changesSubject.complete();
    for (const t of this.detached.values()) clearTimeout(t);
    this.detached.clear();
  }

  private emit<C extends HostChange>(c: C): C {
    this.changesSubject.next(c);
    return c;
  }

  private refusal(mac: string, ip: string | undefined, at: SwitchRef, known: HostRecord | undefined): Refusal | undefined {
    const reserved = reservedMac(mac);
    if (reserved !== undefined) return { rule: 'reserved-mac', reason: `${reserved}: never learned` };
    if (ip !== undefined) {
      const why = this.addressRefusal(mac, ip, at, known);
      if (why !== undefined) return why;
      const holder = this.macByIp.get(ip);
      const holderHost = holder === undefined || holder === mac ? undefined : this.hosts.get(holder);
      if (holderHost?.declared) return { rule: 'address-taken', reason: `${ip} is declared for ${holderHost.name ?? holderHost.mac} (${holderHost.mac})` };
      if (known?.declared && known.ip !== undefined && known.ip !== ip) return { rule: 'address-taken', reason: `${known.name ?? mac} is declared with ${known.ip}, not ${ip}` };
    }
    const roaming = this.roaming.get(mac);
    if (roaming !== undefined && (roaming.switch !== at.switch || roaming.port !== at.port)) {
      // A migrated VM seen elsewhere (home again, further on, or at another port of its Foreign switch) moves only by migration.
      const from = known ? { switch: known.switch, port: known.port } : { switch: roaming.switch, port: roaming.port };
      return { rule: 'roaming', reason: `${mac} is a migrated VM bound at ${roaming.switch}:${roaming.port}; a move elsewhere is a migration`, crossSubnet: { from, ip: roaming.ip } };
    }
    if (known !== undefined) {
      // A move without an address in the frame (a RARP) keeps the host's address: it must fit the new place too.
      if (ip === undefined && known.ip !== undefined && known.switch !== at.switch) {
        const why = this.addressRefusal(mac, known.ip, at, known);
        if (why !== undefined) return { ...why, reason: `${mac} holds ${known.ip}: ${why.reason}; a move to another subnet is a migration` };
      }
      if (known.switch === at.switch && known.port === at.port) return undefined;
      // The file says where a declared host is: only a migration (which lets it roam there) moves it.
      const home = this.declaredAt.get(mac);
      if (home !== undefined && roaming?.switch !== at.switch && (home.switch !== at.switch || home.port !== at.port)) {
        return { rule: 'declared-elsewhere', reason: `${known.name ?? mac} is declared at ${portKey(home)}; it moves only by a migration` };
      }
      // A host that moves keeps its address: a frame with its MAC and another address elsewhere is someone else's.
      if (ip !== undefined && known.ip !== undefined && known.ip !== ip) {
        return { rule: 'new-address-elsewhere', reason: `${mac} holds ${known.ip} at ${portKey(known)}; seen with ${ip} at ${portKey(at)}` };
      }
    } else if (this.hosts.size >= this.limits.total) {
      return { rule: 'table-full', reason: `host table full (${this.limits.total} hosts)` };
    }
    if ((this.perPort.get(portKey(at)) ?? 0) >= this.limits.perPort) return { rule: 'table-full', reason: `port ${portKey(at)} already has ${this.limits.perPort} hosts` };
    return undefined;
  }

  /** Why `ip` may not be `mac`'s at `at`: the policy's answer, unless a migration lets the host roam there with its own address. */
  private addressRefusal(mac: string, ip: string, at: SwitchRef, known: HostRecord | undefined): Refusal | undefined {
    const roaming = this.roaming.get(mac);
    if (roaming?.switch === at.switch && roaming.ip === ip) return undefined;
    const ownAddress = known !== undefined && known.ip === ip;
    const reason = this.policy.refuseAddress(ip, at);
    if (reason === undefined) return undefined;
    const migrated = ownAddress && known.switch !== at.switch && this.policy.servesSomeSubnet(at.switch);
    return migrated ? { rule: 'address', reason, crossSubnet: { from: { switch: known.switch, port: known.port }, ip } } : { rule: 'address', reason };
  }

  private put(h: HostRecord): void {
    const old = this.hosts.get(h.mac);
    if (old) this.count(old, -1);
    this.hosts.set(h.mac, h);
    this.count(h, +1);
  }

  private remove(h: HostRecord, reason: string): void {
    this.hosts.delete(h.mac);
    this.count(h, -1);
    this.cancelDetach(h.mac);
    if (h.ip !== undefined && this.macByIp.get(h.ip) === h.mac) this.macByIp.delete(h.ip);
    this.changesSubject.next({ kind: 'removed', host: publicHost(h), reason });
  }

  private count(h: SwitchRef, delta: number): void {
    const key = portKey(h);
    const n = (this.perPort.get(key) ?? 0) + delta;
    if (n <= 0) this.perPort.delete(key);
    else this.perPort.set(key, n);
  }

  /** An address now used by another learned MAC (a VM re-created, a NIC replaced) leaves its old holder. */
  private claimIp(ip: string, mac: string): void {
    const holder = this.macByIp.get(ip);
    if (holder === mac) return;
    this.changes++;
    const old = holder === undefined ? undefined : this.hosts.get(holder);
    this.macByIp.set(ip, mac);
    if (old) {
      old.ip = undefined;
      this.changesSubject.next({ kind: 'updated', host: publicHost(old) });
    }
  }

  private cancelDetach(mac: string): void {
    const t = this.detached.get(mac);
    if (t === undefined) return;
    clearTimeout(t);
    this.detached.delete(mac);
    this.changes++;
  }
}
