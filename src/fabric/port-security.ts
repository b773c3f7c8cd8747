import type { FlowEntry, SwitchTables } from '../controller/flow-tables.js';
import { PIPELINE, TABLE } from '../controller/pipeline.js';
import { PortNo, act, inst } from '../openflow/index.js';
import { ETH_TYPE } from '../packet/ethernet.js';
import { ICMPV6_TYPE } from '../packet/icmpv6.js';
import { ALL_NODES, LINK_LOCAL_PREFIX, NEXT_HEADER } from '../packet/ipv6.js';
import type { HostInfo } from '../topology/events.js';
import { hasIpv6, linkPortsOf, type Topology } from '../topology/model.js';

const SLOT = PIPELINE.portSecurity;
const PORT_SECURITY_COOKIE = SLOT.cookie;
const PRIORITY = SLOT.priority;

type Instructions = FlowEntry['instructions'];
/** Shared instruction lists: their wire form is made once for every entry that has them. */
const ON_TO_FORWARDING: Instructions = [inst.gotoTable(TABLE.forwarding)];
const TO_CONTROLLER: Instructions = [inst.apply([act.output(PortNo.CONTROLLER)])];
const DROP: Instructions = [];
const entry = (priority: number, match: FlowEntry['match'], instructions: Instructions): FlowEntry => ({ tableId: TABLE.ingress, priority, cookie: PORT_SECURITY_COOKIE, match, instructions });

/**
 * Table 0 of a declared switch, but for its hosts: frames from its switch-to-switch ports
 * and from the controller (packet-outs to OFPP_TABLE) go on to forwarding; a RARP from any
 * port goes on too (forwarding sends it to the controller: a hypervisor's announcement); any
 * other ARP goes to the controller only (host learning, the ARP proxy), never to another
 * host; everything else is dropped. A tenant thus cannot put a frame on the fabric with a
 * source it does not hold: not a forged ARP sender that would poison a neighbour's cache,
 * not an IPv4 source of another VM. Depends on the file only.
 */
export function planPortSecurity(topology: Topology, sw: string): SwitchTables {
  return {
    flows: [
      ...linkPortsOf(topology, sw).map((port) => entry(PRIORITY.trusted, { in_port: port }, ON_TO_FORWARDING)),
      entry(PRIORITY.trusted, { in_port: PortNo.CONTROLLER }, ON_TO_FORWARDING),
      entry(PRIORITY.announcement, { eth_type: ETH_TYPE.RARP }, ON_TO_FORWARDING),
      entry(PRIORITY.learn, { eth_type: ETH_TYPE.ARP }, TO_CONTROLLER),
      // RA guard, and no neighbour entry forged: only a host's own ND messages pass (admitHost6). (IPv4 only: everything IPv6 meets the drop below.)
      ...(hasIpv6(topology) ? GUARDED_ND.map((type) => entry(PRIORITY.ndGuard, { eth_type: ETH_TYPE.IPV6, ip_proto: NEXT_HEADER.ICMPV6, icmpv6_type: type }, DROP)) : []),
      // A dual-stack guest announces itself after a live migration with an unsolicited advertisement to all nodes: from a port not its own, to the controller only, as a RARP (host learning takes it only for the host's own address).
      ...(hasIpv6(topology) ? [entry(PRIORITY.ndAnnouncement, { eth_type: ETH_TYPE.IPV6, ip_proto: NEXT_HEADER.ICMPV6, icmpv6_type: ICMPV6_TYPE.NEIGHBOR_ADVERT, ipv6_dst: ALL_NODES }, TO_CONTROLLER)] : []),
      entry(PRIORITY.drop, {}, DROP),
    ],
    groups: [],
  };
}

/**
 * What one host may send, at its port: IPv4 from its own MAC and address, and ARP whose
 * frame source and sender are its own MAC and address (replies and gratuitous ARPs
 * included). None for a host whose address is not known yet: its ARPs reach the controller,
 * which learns it.
 */
export function admitHost(h: Pick<HostInfo, 'mac' | 'ip' | 'port'>, priority: number = PRIORITY.host, cookie: bigint = PORT_SECURITY_COOKIE): FlowEntry[] {
  if (h.ip === undefined) return [];
  const at = { in_port: h.port, eth_src: h.mac };
  return [
    { tableId: TABLE.ingress, priority, cookie, match: { ...at, eth_type: ETH_TYPE.IPV4, ipv4_src: h.ip }, instructions: ON_TO_FORWARDING },
    { tableId: TABLE.ingress, priority, cookie, match: { ...at, eth_type: ETH_TYPE.ARP, arp_sha: h.mac, arp_spa: h.ip }, instructions: ON_TO_FORWARDING },
  ];
}

/** The neighbour discovery messages a host port may send only as its own: router advertisements never. */
const GUARDED_ND = [ICMPV6_TYPE.ROUTER_ADVERT, ICMPV6_TYPE.NEIGHBOR_SOLICIT, ICMPV6_TYPE.NEIGHBOR_ADVERT] as const;

/**
 * What one dual-stack host may send in IPv6, at its port: packets from its MAC and its
 * address; and its own neighbour discovery, from its address or a link-local one (which the
 * fabric does not know: a host makes its own): router solicitations, neighbour solicitations
 * that name its MAC as the source link-layer address or none (unicast reachability probes),
 * and advertisements for its own address only. Anything else of ND from the port is
 * dropped by the ND guard below these (planPortSecurity). A host's duplicate address
 * detection (from ::) is dropped too: nothing in the fabric answers it, so the host keeps its
 * address. None for a host without an IPv6 address.
 */
export function admitHost6(h: Pick<HostInfo, 'mac' | 'ip6' | 'port'>, a: Admission6 = HOST_ADMISSION6): FlowEntry[] {
  if (h.ip6 === undefined) return [];
  const icmp = { in_port: h.port, eth_src: h.mac, eth_type: ETH_TYPE.IPV6, ip_proto: NEXT_HEADER.ICMPV6 } as const;
  const at = (priority: number, match: FlowEntry['match'], instructions: Instructions): FlowEntry => ({ tableId: TABLE.ingress, priority, cookie: a.cookie, match, instructions });
  const own = (match: FlowEntry['match']): FlowEntry => at(a.ndOwn, match, ON_TO_FORWARDING);
  const guard = a.ndGuard;
  return [
    at(a.host, { in_port: h.port, eth_src: h.mac, eth_type: ETH_TYPE.IPV6, ipv6_src: h.ip6 }, ON_TO_FORWARDING),
    ...[h.ip6, LINK_LOCAL_PREFIX].flatMap((source) => [
      own({ ...icmp, ipv6_src: source, icmpv6_type: ICMPV6_TYPE.ROUTER_SOLICIT }),
      own({ ...icmp, ipv6_src: source, icmpv6_type: ICMPV6_TYPE.NEIGHBOR_SOLICIT, ipv6_nd_sll: h.mac }),
      own({ ...icmp, ipv6_src: source, icmpv6_type: ICMPV6_TYPE.NEIGHBOR_SOLICIT, ipv6_nd_sll: NO_LINK_LAYER_ADDRESS }),
      own({ ...icmp, ipv6_src: source, icmpv6_type: ICMPV6_TYPE.NEIGHBOR_ADVERT, ipv6_nd_target: h.ip6 }),
    ]),
    ...(guard === undefined ? [] : GUARDED_ND.map((type) => at(guard, { ...icmp, icmpv6_type: type }, DROP))),
  ];
}

/** The priorities and cookie a host's IPv6 entries are given. */
export interface Admission6 {
  host: number;
  ndOwn: number;
  /**
   * With a priority: any other ND from the host's MAC is dropped at its port at this one, so
   * that entries of that port above port security's band (the migration's) never see it.
   */
  ndGuard?: number;
  cookie: bigint;
}
const HOST_ADMISSION6: Admission6 = { host: PRIORITY.host, ndOwn: PRIORITY.ndOwn, cookie: PORT_SECURITY_COOKIE };

/** How Open vSwitch shows an ND message without a link-layer address option: all zeros. */
export const NO_LINK_LAYER_ADDRESS = '00:00:00:00:00:00';
