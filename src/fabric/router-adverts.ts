import type { OpenFlowServer } from '../controller/openflow-server.js';
import { PROCESSOR_PRIORITY } from '../controller/pipeline.js';
import type { Logger } from '../log/logger.js';
import { MessageType, PortNo, act, type PacketIn } from '../openflow/index.js';
import { ETH_TYPE, parseEthernet } from '../packet/ethernet.js';
import { PacketParseError } from '../packet/errors.js';
import { icmpv6Frame, parseIcmpv6, type Icmpv6Message } from '../packet/icmpv6.js';
import { ALL_NODES, NEXT_HEADER, ipv6MulticastMac, parseIpv6 } from '../packet/ipv6.js';
import type { HostInfo } from '../topology/events.js';
import { GATEWAY_LINK_LOCAL, GATEWAY_MAC } from '../topology/model.js';
import { networkOf6, networksOf, type Network } from '../topology/networks.js';
import type { TopologyService } from '../topology/topology-service.js';

/**
 * The fabric's router advertisements (issue 25, docs/ipv6.md): the anycast gateway tells each
 * dual-stack host, from its link-local address and MAC, that it is its default router and
 * that the host's network prefix is on-link. Without SLAAC (A=0, M=0, O=0): a host keeps the
 * address the operator declared, which port security admits; one it made up would be dropped.
 *
 * Who can pull it: a dual-stack tenant, by a router solicitation from its own port (port
 * security admits only its own). Each port is answered at most once per `minIntervalMs`, so
 * a flood of solicitations costs one advertisement a second at most; the ports remembered are
 * bounded. Unsolicited advertisements go to every dual-stack host every `intervalMs`, from
 * the member that masters its switch (a standby sends nothing).
 *
 * A host abroad (a migrated VM) is told its own network's prefix, not the switch's: the
 * switch serves as the gateway of the VM's Home Network, as it does for its ARP.
 */
export interface RouterAdvertOptions {
  /** Between two unsolicited rounds (RFC 4861's MaxRtrAdvInterval is 4-1800 s). */
  intervalMs: number;
  /** The least time between two answers to one port's solicitations. */
  minIntervalMs: number;
}

const DEFAULT_ROUTER_ADVERTS: RouterAdvertOptions = { intervalMs: 200_000, minIntervalMs: 1_000 };

/** How long hosts keep the gateway as their default router (RFC 4861 6.2.1: 3 times the interval, at most 9000 s). */
const ROUTER_LIFETIME_S = 1800;
/** The prefix's lifetimes: RFC 4861's defaults (30 days valid, 7 days preferred). */
const VALID_LIFETIME_S = 2_592_000;
const PREFERRED_LIFETIME_S = 604_800;
/** Ports whose last answer is remembered; past this the memory is cleared (at worst, one more answer each). */
const MAX_REMEMBERED_PORTS = 65_536;

/** The advertisement for a host of `network`: the gateway as default router, the prefix on-link, no autoconfiguration. */
function routerAdvert(network: Network): Icmpv6Message {
  const side = network.ipv6!;
  return {
    kind: 'router-advert', curHopLimit: 64, managed: false, other: false, routerLifetime: ROUTER_LIFETIME_S, reachableTimeMs: 0, retransTimerMs: 0,
    options: [
      { kind: 'source-lla', mac: GATEWAY_MAC },
      { kind: 'prefix', prefix: side.prefix.split('/')[0]!, length: side.range.length, onLink: true, autonomous: false, validLifetime: VALID_LIFETIME_S, preferredLifetime: PREFERRED_LIFETIME_S },
    ],
  };
}

export class RouterAdverts {
  private removeProcessor: (() => void) | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly networks: Network[];
  private readonly dpids: Map<string, string>;
  /** When each switch port was last answered (`dpid:port`). */
  private readonly lastAnswer = new Map<string, number>();
  /** Advertisements sent: solicited and unsolicited. For tests and metrics. */
  readonly sent = { solicited: 0, unsolicited: 0, limited: 0 };

  constructor(
    private readonly openflow: OpenFlowServer,
    private readonly topology: TopologyService,
    private readonly log: Logger,
    private readonly options: RouterAdvertOptions = DEFAULT_ROUTER_ADVERTS,
    private readonly now: () => number = Date.now,
  ) {
    this.networks = topology.declared ? networksOf(topology.declared) : [];
    this.dpids = new Map((topology.declared?.switches ?? []).map((s) => [s.name, s.dpid]));
  }

  start(): void {
    if (!this.networks.some((n) => n.ipv6)) return; // an IPv4-only datacenter has nothing to advertise
    this.removeProcessor = this.openflow.packetProcessors.add('router-adverts', PROCESSOR_PRIORITY.routerAdverts, (dpid, m) => this.onPacketIn(dpid, m));
    this.timer = setInterval(() => this.advertiseAll(), this.options.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    this.removeProcessor?.();
    if (this.timer) clearInterval(this.timer);
  }

  /** One round of unsolicited advertisements: every dual-stack host, at its port, on the switches this member masters. */
  advertiseAll(): number {
    let n = 0;
    for (const h of this.topology.hostList()) {
      if (h.ip6 === undefined) continue;
      const dpid = this.dpids.get(h.switch);
      if (dpid !== undefined && this.send(dpid, h.port, h, ALL_NODES)) n++;
    }
    this.sent.unsolicited += n;
    return n;
  }

  private onPacketIn(dpid: string, m: PacketIn): void {
    const inPort = m.match.in_port;
    if (typeof inPort !== 'number') return;
    try {
      const frame = parseEthernet(m.data);
      if (frame.ethType !== ETH_TYPE.IPV6) return;
      const { header, body } = parseIpv6(frame.payload);
      if (header.nextHeader !== NEXT_HEADER.ICMPV6) return;
      if (parseIcmpv6(header, body).kind !== 'router-solicit') return;
      const host = this.topology.hostByMac(frame.src);
      // Only a dual-stack host where it stands: port security let nothing else through, and this says so again.
      if (host?.ip6 === undefined || host.port !== inPort || host.switch !== this.topology.nameOf(dpid)) return;
      const key = `${dpid}:${inPort}`;
      const last = this.lastAnswer.get(key);
      const now = this.now();
      if (last !== undefined && now - last < this.options.minIntervalMs) {
        this.sent.limited++;
        return;
      }
      if (this.lastAnswer.size >= MAX_REMEMBERED_PORTS) this.lastAnswer.clear();
      this.lastAnswer.set(key, now);
      // To the solicitation's source; from the unspecified address (a host without its link-local yet), to all nodes.
      if (this.send(dpid, inPort, host, header.src === '::' ? ALL_NODES : header.src)) this.sent.solicited++;
    } catch (e) {
      if (!(e instanceof PacketParseError)) throw e;
      this.log.debug('unparsable IPv6 packet-in', { dpid, error: e.message });
    }
  }

  /** Sends `host` the advertisement of its own network at `port`; false when there is none to send or nobody to send it. */
  private send(dpid: string, port: number, host: HostInfo, dst: string): boolean {
    const network = networkOf6(this.networks, host.ip6!);
    const conn = this.openflow.connection(dpid);
    if (!network?.ipv6 || !conn || conn.role === 'slave') return false;
    const dstMac = dst === ALL_NODES ? ipv6MulticastMac(ALL_NODES) : host.mac;
    const data = icmpv6Frame({ srcMac: GATEWAY_MAC, dstMac, src: GATEWAY_LINK_LOCAL, dst }, routerAdvert(network));
    conn.post({ type: MessageType.PACKET_OUT, xid: 0, inPort: PortNo.CONTROLLER, actions: [act.output(port)], data });
    return true;
  }
}
