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
  private view: { flights: Map<string, MigrationRecord>; groups: Map<string, number> } | undefined;

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
    this.view ??= {
      flights: new Map(this.d.bindings.inFlight().map((f) => [f.record.hoa, f.record])),
      groups: this.d.bindings.groupIds(),
    };
    return { pending: this.view.flights.get(hoa), group: this.view.groups.get(hoa) };
  }
}

