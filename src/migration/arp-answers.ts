import type { PlanStore } from '../controller/flow-manager.js';
import type { FlowEntry, SwitchTables } from '../controller/flow-tables.js';
import { PIPELINE, TABLE } from '../controller/pipeline.js';
import { PortNo, act, inst } from '../openflow/index.js';
import { ARP_OP } from '../packet/arp.js';
import { ETH_TYPE } from '../packet/ethernet.js';
import type { HostInfo, TopologyEvent } from '../topology/events.js';
import { networkOf, networkOf6, prefixMatch, type Network } from '../topology/networks.js';
import { ip6ToBig } from '../topology/cidr6.js';
import { GATEWAY_LINK_LOCAL } from '../topology/model.js';
import { NA_FLAGS_ROUTER_SOLICITED_OVERRIDE, NA_FLAGS_SOLICITED_OVERRIDE, NEIGHBOR_SOLICITATION, ndAnsweredAs } from '../fabric/ipv6-fabric.js';
import type { Binding } from './binding-store.js';
import { answeredAs } from './migration-planner.js';

const SLOT = PIPELINE.migration;

/**
 * At most this many addresses of one Home Network are answered in a switch; a VM's request
 * for any other goes to the controller, as an unknown address's does. Bounds the table a
 * tenant can grow by making up hosts (each needs a port and a MAC the fabric admits, yet a
 * /16 has 65,534 addresses).
 */
export const MAX_ANSWERED_PER_NETWORK = 1024;

type Instructions = FlowEntry['instructions'];
const TO_CONTROLLER: Instructions = [inst.apply([act.output(PortNo.CONTROLLER)])];
const entry = (priority: number, match: FlowEntry['match'], instructions: Instructions): FlowEntry => ({ tableId: TABLE.arpAnswer, priority, cookie: SLOT.cookie, match, instructions });

/**
 * Table arpAnswer of a Foreign switch for one Home Network that has VMs there: a request from
 * inside that network (only a VM abroad's own request is sent here, by its arp entry in
 * forwarding) for its gateway or a known address of it becomes the reply "it is at the gateway
 * MAC"; arpReply then sends it back to the VM. A request for any other address goes to the
 * controller unchanged. In IPv6 (a dual-stack network) the same for the VM's neighbour
 * solicitations, each becoming the advertisement (with the Router flag for the gateway's
 * global and link-local addresses, or a host told otherwise drops its default route); one for
 * any other address is dropped (every IPv6 address the fabric routes is declared). Without
 * OpenFlow 1.3 field copies, each answered address is an entry: the first
 * `MAX_ANSWERED_PER_NETWORK` of each family, gateway first, in address order. Pure.
 */
export function planArpAnswers(network: Network, known: Iterable<string>): SwitchTables {
  const from = { eth_type: ETH_TYPE.ARP, arp_op: ARP_OP.REQUEST, arp_spa: prefixMatch(network) };
  const all = [...new Set(known)];
  const others = all.filter((a) => !a.includes(':') && a !== network.gateway).sort(byAddress);
  const answered = [network.gateway, ...others].slice(0, MAX_ANSWERED_PER_NETWORK);
  return {
    flows: [
      ...answered.map((a) => entry(SLOT.priority.arpAnswer, { ...from, arp_tpa: a }, answeredAs(a))),
      entry(SLOT.priority.arpUnknown, from, TO_CONTROLLER),
      ...(network.ipv6 ? ndAnswers(network.ipv6.gateway, all.filter((a) => a.includes(':'))) : []),
    ],
    groups: [],
  };
}

function ndAnswers(gateway6: string, known6: string[]): FlowEntry[] {
  const answer = (a: string, flags: number): FlowEntry => entry(SLOT.priority.arpAnswer, { ...NEIGHBOR_SOLICITATION, ipv6_nd_target: a }, ndAnsweredAs(a, flags, false));
  const others = known6.filter((a) => a !== gateway6).sort(byAddress6).slice(0, MAX_ANSWERED_PER_NETWORK - 1);
  return [answer(gateway6, NA_FLAGS_ROUTER_SOLICITED_OVERRIDE), answer(GATEWAY_LINK_LOCAL, NA_FLAGS_ROUTER_SOLICITED_OVERRIDE), ...others.map((a) => answer(a, NA_FLAGS_SOLICITED_OVERRIDE))];
}

const byAddress = (a: string, b: string): number => addressValue(a) - addressValue(b);
const addressValue = (ip: string): number => ip.split('.').reduce((v, o) => v * 256 + Number(o), 0);
const byAddress6 = (a: string, b: string): number => {
  const d = ip6ToBig(a)! - ip6ToBig(b)!;
  return d < 0n ? -1 : d > 0n ? 1 : 0;
};

/**
 * The arpAnswer parts `migration/arp/<network>`, on every switch where VMs of that network are
 * abroad, kept from the bindings (where each VM abroad is) and the topology's hosts (the
 * addresses each network has). Holds only addresses and counts; a network's part is re-planned
 * when one of its hosts comes, goes or changes address, and only on the switches that hold it.
 */
export class ArpAnswerParts {
  /** Known host addresses (IPv4 and IPv6) by network name, and each host's. */
  private readonly addresses = new Map<string, Set<string>>();
  private readonly hostAddresses = new Map<string, string[]>();
  /** Where each active binding puts its VM's network: HoA to network and switch. */
  private readonly abroad = new Map<string, { network: Network; switch: string }>();
  /** Per network, the switches with VMs of it and how many. */
  private readonly holders = new Map<string, Map<string, number>>();

  constructor(
    private readonly plans: PlanStore,
    private readonly networks: readonly Network[],
    private readonly dpidOf: ReadonlyMap<string, string>,
  ) {}

  /** A binding set or deleted (the store's changes). */
  binding(kind: 'set' | 'deleted', b: Binding): void {
    const before = this.abroad.get(b.hoa);
    const network = networkOf(this.networks, b.hoa);
    const after = kind === 'set' && b.state === 'active' && network ? { network, switch: b.switch } : undefined;
    if (before?.switch === after?.switch && before?.network === after?.network) return;
    if (before) this.count(before.network, before.switch, -1);
    if (after) {
      this.abroad.set(b.hoa, after);
      this.count(after.network, after.switch, +1);
    } else this.abroad.delete(b.hoa);
  }

  /** A topology event: hosts' addresses. */
  topology(e: TopologyEvent): void {
    if (e.kind === 'host-added' || e.kind === 'host-moved' || e.kind === 'host-updated') this.host(e.host.mac, e.host);
    else if (e.kind === 'host-removed') this.host(e.host.mac, undefined);
  }

  private host(mac: string, host: HostInfo | undefined): void {
    const before = this.hostAddresses.get(mac) ?? [];
    const after = host ? [host.ip, host.ip6].filter((a): a is string => a !== undefined) : [];
    if (before.join() === after.join()) return;
    const touched = new Set<Network>();
    this.hostAddresses.delete(mac);
    for (const a of before) {
      const n = this.networkOf(a);
      if (n && this.addresses.get(n.name)?.delete(a)) touched.add(n);
    }
    const kept: string[] = [];
    for (const a of after) {
      const n = this.networkOf(a);
      if (!n) continue;
      kept.push(a);
      const set = this.addresses.get(n.name) ?? new Set<string>();
      this.addresses.set(n.name, set.add(a));
      touched.add(n);
    }
    if (kept.length > 0) this.hostAddresses.set(mac, kept);
    for (const n of touched) this.replan(n);
  }

  private networkOf(address: string): Network | undefined {
    return address.includes(':') ? networkOf6(this.networks, address) : networkOf(this.networks, address);
  }

  private count(network: Network, sw: string, by: number): void {
    const at = this.holders.get(network.name) ?? new Map<string, number>();
    this.holders.set(network.name, at);
    const n = (at.get(sw) ?? 0) + by;
    const dpid = this.dpidOf.get(sw);
    if (n > 0) {
      at.set(sw, n);
      if (n === 1 && dpid) this.plans.set(dpid, partName(network), planArpAnswers(network, this.addresses.get(network.name) ?? []));
      return;
    }
    at.delete(sw);
    if (at.size === 0) this.holders.delete(network.name);
    if (dpid) this.plans.set(dpid, partName(network), undefined);
  }

  private replan(network: Network): void {
    const at = this.holders.get(network.name);
    if (!at) return;
    const tables = planArpAnswers(network, this.addresses.get(network.name) ?? []);
    for (const sw of at.keys()) {
      const dpid = this.dpidOf.get(sw);
      if (dpid) this.plans.set(dpid, partName(network), tables);
    }
  }
}

const partName = (n: Network): string => `migration/arp/${n.name}`;
