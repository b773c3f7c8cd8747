import type { PlanStore } from '../controller/flow-manager.js';
import { fromWire, type SwitchTables } from '../controller/wire-tables.js';
import type { SimPacket } from '../controller/simulator.js';
import { planDiscovery } from '../topology/discovery-planner.js';
import type { HostInfo, SwitchRef } from '../topology/events.js';
import { fabricGraph } from '../topology/fabric-graph.js';
import { GATEWAY_MAC, linkPortsOf, portKey, type Topology } from '../topology/model.js';
import { ipToInt } from '../topology/cidr.js';
import { canonicalIp6 } from '../topology/cidr6.js';
import { networkOf, networkOf6, networksOf, type Network } from '../topology/networks.js';
import { ETH_TYPE } from '../packet/ethernet.js';
import { ICMPV6_TYPE } from '../packet/icmpv6.js';
import { NEXT_HEADER, ipv6MulticastMac, solicitedNodeAddress } from '../packet/ipv6.js';
import type { TopologyService } from '../topology/topology-service.js';
import { trace, type TraceNetwork, type TraceOptions, type TraceResult } from '../topology/trace.js';
import { planFabric } from './fabric-planner.js';

/** What `svcswitch trace` and `GET /api/trace` are asked. */
export interface TraceRequest {
  /** A host's name or address. */
  from: string;
  /** An IPv4 or IPv6 address. */
  to: string;
  /** `arp`: the host's ARP request for an IPv4 `to`; `nd`: its neighbour solicitation for an IPv6 one (who answers it, and where the reply goes). */
  proto?: TraceProto;
  dport?: number;
}

/** What a trace can send, by name. */
export const TRACE_PROTOS = ['icmp', 'tcp', 'udp', 'arp', 'nd'] as const;
export type TraceProto = (typeof TRACE_PROTOS)[number];
const PROTO = { icmp: 1, tcp: 6, udp: 17 } as const;

/**
 * The packet a host sends to `to`: to its gateway's MAC when `to` is in another network, to
 * the destination's MAC (as its ARP would have told it) when in its own; or its ARP request. Returns why not,
 * as a string, for an unknown source or a malformed destination.
 */
export function hostPacket(hosts: readonly HostInfo[], networks: readonly Network[], req: TraceRequest): { start: SwitchRef; packet: SimPacket } | string {
  const src = hosts.find((h) => h.name === req.from || h.ip === req.from || (h.ip6 !== undefined && h.ip6 === canonicalIp6(req.from)));
  if (!src || src.ip === undefined) return `no host named or addressed "${req.from}"`;
  const to6 = canonicalIp6(req.to);
  if (to6 !== undefined) return hostPacket6(hosts, networks, src, to6, req);
  if (ipToInt(req.to) === undefined) return `"${req.to}" is not an IPv4 or IPv6 address`;
  if (req.proto === 'nd') return `--proto nd is for an IPv6 destination; "${req.to}" is IPv4 (--proto arp)`;
  const dstNet = networkOf(networks, req.to);
  const srcNet = networkOf(networks, src.ip);
  const local = srcNet !== undefined && srcNet === dstNet;
  const dstMac = local ? (hosts.find((h) => h.ip === req.to)?.mac ?? 'ff:ff:ff:ff:ff:ff') : GATEWAY_MAC;
  const proto = req.proto ?? 'icmp';
  if (proto === 'arp') {
    const request: SimPacket = { eth_src: src.mac, eth_dst: 'ff:ff:ff:ff:ff:ff', eth_type: 0x0806, arp_op: 1, arp_sha: src.mac, arp_spa: src.ip, arp_tha: '00:00:00:00:00:00', arp_tpa: req.to };
    return { start: { switch: src.switch, port: src.port }, packet: request };
  }
  const packet: SimPacket = { eth_src: src.mac, eth_dst: dstMac, eth_type: 0x0800, ipv4_src: src.ip, ipv4_dst: req.to, ip_proto: PROTO[proto], ttl: 64 };
  if (proto === 'icmp') Object.assign(packet, { icmpv4_type: 8, icmpv4_code: 0 });
  else Object.assign(packet, { [`${proto}_src`]: 40000, [`${proto}_dst`]: req.dport ?? 80 });
  return { start: { switch: src.switch, port: src.port }, packet };
}

/** The same in IPv6, from the host's IPv6 address: an echo request, a TCP or UDP packet, or its neighbour solicitation for `to`. */
function hostPacket6(hosts: readonly HostInfo[], networks: readonly Network[], src: HostInfo, to: string, req: TraceRequest): { start: SwitchRef; packet: SimPacket } | string {
  if (src.ip6 === undefined) return `host ${src.name ?? src.mac} has no IPv6 address`;
  const proto = req.proto ?? 'icmp';
  if (proto === 'arp') return `--proto arp is for an IPv4 destination; "${req.to}" is IPv6 (--proto nd)`;
  const start = { switch: src.switch, port: src.port };
  const base = { eth_src: src.mac, eth_type: ETH_TYPE.IPV6, ipv6_src: src.ip6 };
  if (proto === 'nd') {
    const group = solicitedNodeAddress(to);
    return { start, packet: { ...base, eth_dst: ipv6MulticastMac(group), ipv6_dst: group, ip_proto: NEXT_HEADER.ICMPV6, icmpv6_type: ICMPV6_TYPE.NEIGHBOR_SOLICIT, icmpv6_code: 0, ipv6_nd_target: to, ipv6_nd_sll: src.mac, nd_reserved: 0, nd_options_type: 1, ttl: 255 } };
  }
  const dstNet = networkOf6(networks, to);
  const local = dstNet !== undefined && dstNet === networkOf6(networks, src.ip6);
  const dstMac = local ? (hosts.find((h) => h.ip6 === to)?.mac ?? ipv6MulticastMac(solicitedNodeAddress(to))) : GATEWAY_MAC;
  const packet: SimPacket = { ...base, eth_dst: dstMac, ipv6_dst: to, ip_proto: proto === 'icmp' ? NEXT_HEADER.ICMPV6 : PROTO[proto], ttl: 64 };
  if (proto === 'icmp') Object.assign(packet, { icmpv6_type: ICMPV6_TYPE.ECHO_REQUEST, icmpv6_code: 0 });
  else Object.assign(packet, { [`${proto}_src`]: 40000, [`${proto}_dst`]: req.dport ?? 80 });
  return { start, packet };
}

/** The network as the file declares it, every link up, with the tables planned from the file's hosts. */
export function offlineNetwork(topology: Topology): { net: TraceNetwork; hosts: HostInfo[]; tables: Map<string, SwitchTables> } {
  const hosts: HostInfo[] = topology.hosts.map((h) => ({ name: h.name, mac: h.mac, ip: h.ip, ...(h.ip6 === undefined ? {} : { ip6: h.ip6 }), switch: h.switch, port: h.port, declared: true, seen: false }));
  const fabric = planFabric({ topology, hosts, graph: fabricGraph(topology, new Set()) });
  const tables = new Map<string, SwitchTables>();
  for (const sw of topology.switches) {
    const d = planDiscovery(linkPortsOf(topology, sw.name));
    const f = fabric.get(sw.name) ?? { flows: [], groups: [] };
    tables.set(sw.name, { flows: [...d.flows, ...f.flows], groups: f.groups });
  }
  const peers = new Map<string, SwitchRef>();
  for (const l of topology.links) {
    peers.set(portKey(l.a), l.b);
    peers.set(portKey(l.b), l.a);
  }
  return { net: { tables: (sw) => tables.get(sw), peer: (at) => peers.get(portKey(at)), portLive: () => true }, hosts, tables };
}

/** Traces a request over a network: the packet built from the hosts, then followed hop by hop. */
export function traceRequest(net: TraceNetwork, hosts: readonly HostInfo[], topology: Topology, req: TraceRequest, options: TraceOptions = {}): TraceResult | string {
  const built = hostPacket(hosts, networksOf(topology), req);
  if (typeof built === 'string') return built;
  return trace(net, built.start, built.packet, options);
}

/** Traces over the live network: the plans the switches hold (or are being brought to) and the links that are up. */
export class TraceService {
  constructor(
    private readonly topology: TopologyService,
    private readonly plans: PlanStore,
  ) {}

  run(req: TraceRequest, options: TraceOptions = {}): TraceResult | string {
    const declared = this.topology.declared;
    if (!declared) return 'tracing needs a topology file (--topology)';
    const peers = new Map<string, SwitchRef>();
    for (const l of this.topology.linkList()) {
      if (!l.up) continue;
      peers.set(portKey(l.a), l.b);
      peers.set(portKey(l.b), l.a);
    }
    const dpids = new Map(declared.switches.map((s) => [s.name, s.dpid]));
    // Plans are kept in wire form: each switch the trace visits is decoded once per request.
    const decoded = new Map<string, SwitchTables | undefined>();
    const net: TraceNetwork = {
      tables: (sw) => {
        if (!decoded.has(sw)) {
          const dpid = dpids.get(sw);
          decoded.set(sw, dpid === undefined ? undefined : fromWire(this.plans.plan(dpid).all()));
        }
        return decoded.get(sw);
      },
      peer: (at) => peers.get(portKey(at)),
      portLive: (at) => this.topology.portLive(at),
    };
    return traceRequest(net, this.topology.hostList(), declared, req, options);
  }
}
