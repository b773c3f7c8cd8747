import type { FlowEntry } from '../controller/flow-tables.js';
import { PIPELINE, TABLE } from '../controller/pipeline.js';
import { PortNo, act, inst } from '../openflow/index.js';
import { ETH_TYPE } from '../packet/ethernet.js';
import { ICMPV6_TYPE, ND_OPTION } from '../packet/icmpv6.js';
import { NEXT_HEADER } from '../packet/ipv6.js';
import type { HostInfo } from '../topology/events.js';
import { GATEWAY_LINK_LOCAL, GATEWAY_MAC } from '../topology/model.js';
import { networkOf6, prefixMatch6, type Network } from '../topology/networks.js';
import { NO_LINK_LAYER_ADDRESS, admitHost6 } from './port-security.js';

/**
 * The fabric's IPv6 side (issue 25, docs/ipv6.md), beside the IPv4 entries of
 * fabric-planner.ts and with the same shape: a dual-stack host's gateway answers its
 * neighbour solicitations in the switch, solicitations for it reach it only, packets for it
 * are delivered (routed ones with the gateway's MAC and the hop limit decremented), and each
 * network's IPv6 prefix is routed as its IPv4 one is.
 */

const COOKIE = PIPELINE.fabric.cookie;
const PRIORITY = PIPELINE.fabric.priority;
/** What every ICMPv6 match starts with; a neighbour solicitation's, one definition for the fabric's and the migration's entries. */
const ICMPV6 = { eth_type: ETH_TYPE.IPV6, ip_proto: NEXT_HEADER.ICMPV6 } as const;
export const NEIGHBOR_SOLICITATION = { ...ICMPV6, icmpv6_type: ICMPV6_TYPE.NEIGHBOR_SOLICIT } as const;

/** An advertisement's flags word: Router, Solicited, Override (RFC 4861 4.4), the top three bits. */
export const NA_FLAGS_ROUTER_SOLICITED_OVERRIDE = 0xe0000000;
/** Solicited and Override: the gateway answering for a host's address (not a router's: a host told otherwise would drop its default route). */
export const NA_FLAGS_SOLICITED_OVERRIDE = 0x60000000;

type Actions = Parameters<typeof inst.apply>[0];
const entry = (tableId: number, priority: number, match: FlowEntry['match'], instructions: FlowEntry['instructions']): FlowEntry => ({ tableId, priority, cookie: COOKIE, match, instructions });

/**
 * A dual-stack host's entries on its switch (none for a host without an IPv6 address). The
 * gateway's answer is built in two stages, as ARP's is: here the solicitation becomes an
 * advertisement from the gateway address it asked for (global or link-local) to the host,
 * with the flags set and its option turned into a target link-layer address; `ndReply` then
 * writes the gateway's MAC into that option (Open vSwitch sets it only on a packet its match
 * calls an advertisement) and sends it back. A solicitation without the option (a unicast
 * reachability probe) is answered at once, without it.
 */
export function planHost6(networks: readonly Network[], h: HostInfo): FlowEntry[] {
  const ip6 = h.ip6;
  if (ip6 === undefined) return [];
  const flows: FlowEntry[] = [];
  const home = networkOf6(networks, ip6);
  for (const gateway of home?.ipv6 ? [home.ipv6.gateway, GATEWAY_LINK_LOCAL] : []) {
    const solicitation = { in_port: h.port, ...ICMPV6, icmpv6_type: ICMPV6_TYPE.NEIGHBOR_SOLICIT, ipv6_nd_target: gateway };
    const advertise: Actions = [
      act.setField('eth_dst', h.mac), act.setField('eth_src', GATEWAY_MAC), act.setField('ipv6_src', gateway), act.setField('ipv6_dst', ip6),
      act.setField('icmpv6_type', ICMPV6_TYPE.NEIGHBOR_ADVERT), act.setField('nd_reserved', NA_FLAGS_ROUTER_SOLICITED_OVERRIDE),
    ];
    flows.push(
      entry(TABLE.forwarding, PRIORITY.gatewayNd, { ...solicitation, ipv6_nd_sll: h.mac }, [inst.apply([...advertise, act.setField('nd_options_type', ND_OPTION.TARGET_LLA)]), inst.gotoTable(TABLE.ndReply)]),
      entry(TABLE.forwarding, PRIORITY.gatewayNd, { ...solicitation, ipv6_nd_sll: NO_LINK_LAYER_ADDRESS }, [inst.apply([...advertise, act.output(PortNo.IN_PORT)])]),
    );
  }
  flows.push(
    // An advertisement built for this host by an entry elsewhere (the migration's proxy ND): addressed to it, then finished by ndReply.
    entry(TABLE.arpReply, PRIORITY.arpReply, { in_port: h.port, eth_src: h.mac, ...ICMPV6, icmpv6_type: ICMPV6_TYPE.NEIGHBOR_ADVERT }, [
      inst.apply([act.setField('eth_dst', h.mac), act.setField('eth_src', GATEWAY_MAC), act.setField('ipv6_dst', ip6)]),
      inst.gotoTable(TABLE.ndReply),
    ]),
    entry(TABLE.forwarding, PRIORITY.ndToHost, { ...ICMPV6, icmpv6_type: ICMPV6_TYPE.NEIGHBOR_SOLICIT, ipv6_nd_target: ip6 }, [inst.apply([act.output(h.port)])]),
    entry(TABLE.forwarding, PRIORITY.hostRoute, { eth_type: ETH_TYPE.IPV6, ipv6_dst: ip6 }, [inst.apply([act.setField('eth_src', GATEWAY_MAC), act.setField('eth_dst', h.mac), act.decNwTtl(), act.output(h.port)])]),
    ...admitHost6(h),
  );
  return flows;
}

/**
 * A neighbour solicitation made the advertisement "`address` is at the gateway MAC", with
 * `flags`, from `address`; `arpReply` then addresses it to the host that asked (its entry
 * from planHost6) and `ndReply` finishes it. With `withOption`, the solicitation's source
 * link-layer option becomes the target's: only for a solicitation that has one (a unicast
 * probe has none, and Open vSwitch would write the option's type past its end).
 */
export const ndAnsweredAs = (address: string, flags: number, withOption: boolean): FlowEntry['instructions'] => [
  inst.apply([
    act.setField('ipv6_src', address), act.setField('icmpv6_type', ICMPV6_TYPE.NEIGHBOR_ADVERT), act.setField('nd_reserved', flags),
    ...(withOption ? [act.setField('nd_options_type', ND_OPTION.TARGET_LLA)] : []),
  ]),
  inst.gotoTable(TABLE.arpReply),
];

/** The one `ndReply` entry of every switch: an advertisement built for a host gets the gateway's MAC and goes back where its solicitation came from. */
export const ND_REPLY: FlowEntry = entry(TABLE.ndReply, PRIORITY.ndReply, { ...ICMPV6, icmpv6_type: ICMPV6_TYPE.NEIGHBOR_ADVERT }, [
  inst.apply([act.setField('ipv6_nd_tll', GATEWAY_MAC), act.output(PortNo.IN_PORT)]),
]);

/** Router solicitations go to the controller, which answers with the fabric's advertisement (router-adverts.ts): only a host's own reach here (port security). */
export const ROUTER_SOLICIT_TO_CONTROLLER: FlowEntry = entry(TABLE.forwarding, PRIORITY.routerSolicit, { ...ICMPV6, icmpv6_type: ICMPV6_TYPE.ROUTER_SOLICIT }, [inst.apply([act.output(PortNo.CONTROLLER)])]);

/** The route to a network's IPv6 prefix through the group of the switch that serves it, or none for an IPv4-only network. */
export function route6(net: Network, groupId: number): FlowEntry | undefined {
  if (!net.ipv6) return undefined;
  return entry(TABLE.routing, PRIORITY.subnetRoute, { eth_type: ETH_TYPE.IPV6, ipv6_dst: prefixMatch6(net.ipv6) }, [inst.apply([act.decNwTtl(), act.group(groupId)])]);
}
