import type { SwitchRef } from '../topology/events.js';
import { GATEWAY_MAC } from '../topology/model.js';
import type { BindingStore, MigrationRecord } from './binding-store.js';

/** What a follower acts through: the store it reads, and the service's own ways of moving a VM and telling its Home Network. */
export interface FollowerDeps {
  bindings: BindingStore;
  /** The fabric delivers to the VM at `at` (roaming: abroad, with its HoA). */
  relocate(mac: string, hoa: string, at: SwitchRef, roaming: boolean): void;
  /** The Home Network hears that `hoa` is at `mac` (the gateway's while the VM is abroad). */
  announceAtHome(homeSubnet: string, hoa: string, mac: string): void;
  replan(hoa: string): void;
}

/**
 * A member that does not lead the migrations (a cluster, docs/cluster.md) still masters
 * switches: it plans every VM from the state the leader writes (the store's watch), moves the
 * fabric's host entries where a binding says the VM is, and repeats the leader's gratuitous
 * ARP to the Home Network (only the master's reaches the switch). It writes nothing.
 */
export class Follower {
  /** VMs this member has moved abroad, with their MAC and home subnet: what to undo when the binding goes. */
  private readonly abroad = new Map<string, { mac: string; homeSubnet: string; home: SwitchRef }>();
  /** The migrations in flight and bicast groups by HoA, as the store holds them (rebuilt after each change). */
  private view: { flights: Map<string, MigrationRecord>; byMac: Map<string, MigrationRecord>; groups: Map<string, number> } | undefined;
  /** Migrations whose arrival this member has told the leader of: once each. */
  private readonly reported = new Set<string>();

  constructor(private readonly d: FollowerDeps) {}

  /** Starts following: every VM the store knows is placed and planned. */
  begin(): void {
    this.view = undefined;
    const hoas = new Set([...this.d.bindings.all().map((b) => b.hoa), ...this.d.bindings.inFlight().map((f) => f.record.hoa), ...this.d.bindings.groupIds().keys()]);
    for (const hoa of hoas) this.changed(hoa, false);
  }

  /** Stops following (this member leads now): what it moved stays, the leader's restore takes it from there. */
  end(): void {
    this.abroad.clear();
    this.view = undefined;
  }

  /** The leader changed `hoa`'s state: the VM is placed where its binding says, and re-planned. */
  changed(hoa: string, announce = true): void {
    this.view = undefined;
    const b = this.d.bindings.get(hoa);
    const was = this.abroad.get(hoa);
    if (b?.state === 'active') {
      this.d.relocate(b.mac, hoa, { switch: b.switch, port: b.port }, true);
      this.abroad.set(hoa, { mac: b.mac, homeSubnet: b.homeSubnet, home: b.home });
      if (!was && announce) this.d.announceAtHome(b.homeSubnet, hoa, GATEWAY_MAC);
    } else if (was && b === undefined) {
      this.abroad.delete(hoa);
      this.d.relocate(was.mac, hoa, was.home, false);
      if (announce) this.d.announceAtHome(was.homeSubnet, hoa, was.mac);
    }
    this.d.replan(hoa);
  }

  /** The migration in flight for `hoa` and its bicast group, as the leader stored them. */
  stateOf(hoa: string): { pending: MigrationRecord | undefined; group: number | undefined } {
    const view = this.stored();
    return { pending: view.flights.get(hoa), group: view.groups.get(hoa) };
  }

  /** The migration in flight that awaits the VM of `mac` at its new port. */
  awaited(mac: string): MigrationRecord | undefined {
    return this.stored().byMac.get(mac);
  }

  /**
   * The VM of `record` sent its first frame at its new port, at a switch this member masters
   * (the frame reaches only the master): the leader is told, once, to switch it over.
   */
  arrived(record: MigrationRecord): void {
    if (this.reported.has(record.id)) return;
    this.reported.add(record.id);
    this.d.bindings.reportArrival?.(record.hoa, record.id);
  }

  private stored(): NonNullable<Follower['view']> {
    if (this.view) return this.view;
    const flights = new Map(this.d.bindings.inFlight().map((f) => [f.record.hoa, f.record]));
    // Ids of migrations no longer in flight are forgotten: the set stays as small as the flights.
    for (const id of this.reported) if (![...flights.values()].some((r) => r.id === id)) this.reported.delete(id);
    this.view = { flights, byMac: new Map([...flights.values()].map((r) => [r.mac, r])), groups: this.d.bindings.groupIds() };
    return this.view;
  }
}

