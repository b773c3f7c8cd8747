import type { Observable } from 'rxjs';
import type { HostInfo, SwitchRef } from './events.js';

export type HostChange =
  | { kind: 'added'; host: HostInfo }
  | { kind: 'moved'; host: HostInfo; from: SwitchRef }
  /** Same place, another address (or an address for the first time, or none any more). */
  | { kind: 'updated'; host: HostInfo }
  | { kind: 'removed'; host: HostInfo; reason: string };

/** Which rule refused a sighting: each is counted (`/api/health`), so an operator sees which defence is being tried. */
export const REFUSAL_RULES = [
  'reserved-mac', 'spoofed-sender', 'address', 'address-taken', 'declared-elsewhere', 'new-address-elsewhere', 'roaming', 'churn', 'table-full',
] as const;
export type RefusalRule = (typeof REFUSAL_RULES)[number];

/** A sighting that was not learned, and why: spoofing, an address that is not the host's to claim, a full table. */
export interface HostRefusal {
  kind: 'refused';
  mac: string;
  ip: string | undefined;
  at: SwitchRef;
  rule: RefusalRule;
  reason: string;
  /**
   * Set when a known host, with its own address, shows up at a switch of another subnet: a
   * VM that migrated. The migration decides whether it may (a binding lets it roam there).
   */
  crossSubnet?: { from: SwitchRef; ip: string };
}

/** A host as a store keeps it: the public fields and when traffic from it last reached the controller. */
export interface HostRecord extends HostInfo {
  lastSeen: number;
}

/**
 * Where hosts are kept: the state that must later survive a restart (a SQLite class) and be
 * shared by a cluster (an etcd class). `HostTracker` is the in-memory implementation. Every
 * change is on `changes$`, whoever caused it (learning, a timer, another MAC taking an
 * address).
 */
/** Where a migrated VM may be seen with its Home Address (its binding's place), which the migration gives and takes back. */
export interface RoamingPermission {
  switch: string;
  port: number;
  ip: string;
}

export interface HostStore {
  readonly changes$: Observable<HostChange>;
  /** Grows with every change: a cache of sightings is stale once it moved. */
  readonly version: number;
  readonly size: number;
  declare(host: Omit<HostInfo, 'seen' | 'declared'>): void;
  /** Traffic from `mac` (with `ip` when the packet tells it) arrived at `at`: what changed, or why it was refused. */
  learn(mac: string, ip: string | undefined, at: SwitchRef): HostChange | HostRefusal | undefined;
  portGone(at: SwitchRef, reason: string): void;
  /**
   * Another member of a cluster saw this host go (its port gone, idle too long): a learned
   * host is removed, a declared one stays where the file puts it, unseen.
   */
  forget(mac: string, reason: string): void;
  /**
   * Lets `mac` hold `ip` at the switch `at.switch`, outside the subnets that switch serves (a
   * migrated VM keeps its Home Address), and nowhere else but by another call; undefined
   * takes the permission back.
   */
  roam(mac: string, at: RoamingPermission | undefined): void;
  all(): HostInfo[];
  page(offset: number, limit: number): HostInfo[];
  byIp(ip: string): HostInfo | undefined;
  byMac(mac: string): HostInfo | undefined;
  /** The live record of a host, whose `lastSeen` a cached sighting refreshes. */
  record(mac: string): HostRecord | undefined;
  stop(): void;
}

/**
 * A store that keeps hosts where `inner` does and adds a side effect to its changes (the
 * state file writes them to disk, a cluster member to etcd): every method is `inner`'s unless
 * the subclass says otherwise.
 */
export abstract class DelegatingHostStore implements HostStore {
  constructor(protected readonly inner: HostStore) {}

  get changes$(): Observable<HostChange> {
    return this.inner.changes$;
  }

  get version(): number {
    return this.inner.version;
  }

  get size(): number {
    return this.inner.size;
  }

  declare(host: Omit<HostInfo, 'seen' | 'declared'>): void {
    this.inner.declare(host);
  }

  learn(mac: string, ip: string | undefined, at: SwitchRef): HostChange | HostRefusal | undefined {
    return this.inner.learn(mac, ip, at);
  }

  portGone(at: SwitchRef, reason: string): void {
    this.inner.portGone(at, reason);
  }

  forget(mac: string, reason: string): void {
    this.inner.forget(mac, reason);
  }

  roam(mac: string, at: RoamingPermission | undefined): void {
    this.inner.roam(mac, at);
  }

  all(): HostInfo[] {
    return this.inner.all();
  }

  page(offset: number, limit: number): HostInfo[] {
    return this.inner.page(offset, limit);
  }

  byIp(ip: string): HostInfo | undefined {
    return this.inner.byIp(ip);
  }

  byMac(mac: string): HostInfo | undefined {
    return this.inner.byMac(mac);
  }

  record(mac: string): HostRecord | undefined {
    return this.inner.record(mac);
  }

  stop(): void {
    this.inner.stop();
  }
}
