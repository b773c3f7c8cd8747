import type { Tier } from './model.js';

/** The public event stream of the topology: what controller applications subscribe to. */

export interface SwitchRef {
  /** The name from the topology file, or the datapath id of a switch the file does not declare. */
  switch: string;
  port: number;
}

export interface SwitchInfo {
  name: string;
  dpid: string;
  tier: Tier | undefined;
  connected: boolean;
}

export interface LinkInfo {
  a: SwitchRef;
  b: SwitchRef;
  /** Listed in the topology file. */
  declared: boolean;
  /** LLDP probes crossed it recently. */
  confirmed: boolean;
  /** Usable for traffic: declared, both ends connected, both ports live, not miswired. */
  up: boolean;
}

export interface HostInfo {
  name: string | undefined;
  mac: string;
  ip: string | undefined;
  /** Its IPv6 address, for a declared host that has one (docs/ipv6.md). */
  ip6?: string;
  switch: string;
  port: number;
  /** From the topology file (true) or learned from traffic only (false). */
  declared: boolean;
  /** Traffic from the host was seen at this location. */
  seen: boolean;
}

export type DiscrepancyKind = 'missing' | 'extra' | 'miswired' | 'unknown-switch';

export type TopologyEvent =
  | { kind: 'switch-up'; switch: SwitchInfo }
  | { kind: 'switch-down'; switch: SwitchInfo; reason: string }
  | { kind: 'link-up'; link: LinkInfo }
  | { kind: 'link-down'; link: LinkInfo; reason: string }
  | { kind: 'host-added'; host: HostInfo }
  | { kind: 'host-moved'; host: HostInfo; from: SwitchRef }
  /** A host's address changed where it stands (learned, replaced, or taken by another MAC). */
  | { kind: 'host-updated'; host: HostInfo }
  | { kind: 'host-removed'; host: HostInfo; reason: string }
  /** A sighting that was not learned: a spoofed address, an address outside the port's subnets, a full table. */
  | { kind: 'host-refused'; mac: string; ip: string | undefined; at: SwitchRef; reason: string }
  /**
   * A known host, with its own address, seen where host learning does not move it by itself:
   * at a switch of another subnet, or (a migrated VM) away from where it is bound. Not a
   * refusal: a move for whoever decides moves to judge (the migration subscribes: a prepared
   * migration's switchover, or a transparent one). Host learning knows nothing of migrations.
   */
  | { kind: 'host-seen-elsewhere'; mac: string; ip: string; at: SwitchRef; from: SwitchRef; why: string }
  | { kind: 'discrepancy'; discrepancy: DiscrepancyKind; detail: string; a?: SwitchRef; b?: SwitchRef };
