import type { HostInfo, SwitchRef } from './events.js';

export type HostChange =
  | { kind: 'added'; host: HostInfo }
  | { kind: 'moved'; host: HostInfo; from: SwitchRef }
  | { kind: 'removed'; host: HostInfo; reason: string };

/**
 * Where each host (by MAC) is attached. Pure state plus a detach timer: learning returns
 * what changed, and the service turns changes into events.
 */
export class HostTracker {
  private readonly hosts = new Map<string, HostInfo>();
  /** Which MAC holds each IP. */
  private readonly macByIp = new Map<string, string>();
  private readonly detached = new Map<string, NodeJS.Timeout>();
  private changes = 0;

  constructor(
    private readonly graceMs: number,
    private readonly onRemoved: (change: HostChange) => void,
  ) {}

  /** Seeds a host from the topology file: known before it sends anything. */
  declare(host: Omit<HostInfo, 'seen' | 'declared'>): void {
    this.changes++;
    this.hosts.set(host.mac, { ...host, declared: true, seen: false });
    if (host.ip !== undefined) this.macByIp.set(host.ip, host.mac);
  }

  /** Grows with every change to what is known: a cache of sightings is stale once it moved. */
  get version(): number {
    return this.changes;
  }

  all(): HostInfo[] {
    return [...this.hosts.values()].map((h) => ({ ...h }));
  }

  byMac(mac: string): HostInfo | undefined {
    const h = this.hosts.get(mac);
    return h && { ...h };
  }

  /** Traffic from `mac` (with `ip` when the packet tells it) arrived at `at`. */
  learn(mac: string, ip: string | undefined, at: SwitchRef): HostChange | undefined {
    this.cancelDetach(mac);
    if (ip !== undefined) this.claimIp(ip, mac);
    const known = this.hosts.get(mac);
    if (known?.switch === at.switch && known.port === at.port && known.seen && (ip === undefined || known.ip === ip)) return undefined;
    this.changes++;
    if (!known) {
      const host: HostInfo = { name: undefined, mac, ip, switch: at.switch, port: at.port, declared: false, seen: true };
      this.hosts.set(mac, host);
      return { kind: 'added', host: { ...host } };
    }
    if (ip !== undefined && known.ip !== ip) {
      if (known.ip !== undefined && this.macByIp.get(known.ip) === mac) this.macByIp.delete(known.ip);
      known.ip = ip;
    }
    if (known.switch === at.switch && known.port === at.port) {
      known.seen = true;
      return undefined;
    }
    const from = { switch: known.switch, port: known.port };
    Object.assign(known, { switch: at.switch, port: at.port, seen: true });
    return { kind: 'moved', host: { ...known }, from };
  }

  /**
   * The port of some hosts went away. They are removed after the grace period unless they
   * show up elsewhere first: a live migration detaches the VM here and attaches it there.
   */
  portGone(at: SwitchRef, reason: string): void {
    for (const h of this.hosts.values()) {
      if (h.switch !== at.switch || h.port !== at.port || this.detached.has(h.mac)) continue;
      const timer = setTimeout(() => {
        this.detached.delete(h.mac);
        this.changes++;
        if (this.hosts.get(h.mac) === h && h.switch === at.switch && h.port === at.port) {
          this.hosts.delete(h.mac);
          if (h.ip !== undefined && this.macByIp.get(h.ip) === h.mac) this.macByIp.delete(h.ip);
          this.onRemoved({ kind: 'removed', host: { ...h }, reason });
        }
      }, this.graceMs);
      timer.unref();
      this.detached.set(h.mac, timer);
      this.changes++;
    }
  }

  /** An address now used by another MAC (a VM re-created, a NIC replaced) leaves its old holder. */
  private claimIp(ip: string, mac: string): void {
    const holder = this.macByIp.get(ip);
    if (holder === mac) return;
    this.changes++;
    const old = holder === undefined ? undefined : this.hosts.get(holder);
    if (old) old.ip = undefined;
    this.macByIp.set(ip, mac);
  }

  stop(): void {
    for (const t of this.detached.values()) clearTimeout(t);
    this.detached.clear();
  }

  private cancelDetach(mac: string): void {
    const t = this.detached.get(mac);
    if (t === undefined) return;
    clearTimeout(t);
    this.detached.delete(mac);
    this.changes++;
  }
}
