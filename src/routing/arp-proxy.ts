import type { Subscription } from 'rxjs';
import type { Logger } from '../app/logger.js';
import type { OpenFlowServer } from '../controller/openflow-server.js';
import { MessageType, PortNo, act, type PacketIn } from '../openflow/index.js';
import { ARP_OP, arpReplyFrame, parseArp } from '../packet/arp.js';
import { ETH_TYPE, parseEthernet } from '../packet/ethernet.js';
import { PacketParseError } from '../packet/errors.js';
import type { TopologyService } from '../topology/topology-service.js';
import { GATEWAY_MAC } from './fabric-planner.js';
import { networkOf, networksOf, type Network } from './networks.js';

const GATEWAY_MAC_BYTES = Buffer.from(GATEWAY_MAC.replace(/:/g, ''), 'hex');

/**
 * ARP requests that reach the controller: those no flow answered yet (a host the controller
 * did not know, or before the switch's flows are in). A request for a gateway is answered at
 * once by PACKET_OUT; one for a known host goes to that host's port only; one for an
 * unknown address goes only to the host ports of the switch that serves its subnet.
 * The topology service learns the requester from the same packet-in.
 */
export class ArpProxy {
  private subscription: Subscription | undefined;
  private readonly networks: Network[];
  private readonly gateways: Map<string, Network>;
  /** Gateway ARP requests answered, for tests and benchmarks. */
  answered = 0;

  constructor(
    private readonly openflow: OpenFlowServer,
    private readonly topology: TopologyService,
    private readonly log: Logger,
  ) {
    this.networks = topology.declared ? networksOf(topology.declared) : [];
    this.gateways = new Map(this.networks.map((n) => [n.gateway, n]));
  }

  start(): void {
    this.subscription = this.openflow.packetIn$.subscribe(({ dpid, message }) => this.onPacketIn(dpid, message));
  }

  stop(): void {
    this.subscription?.unsubscribe();
  }

  private onPacketIn(dpid: string, m: PacketIn): void {
    const inPort = m.match.in_port;
    if (typeof inPort !== 'number') return;
    try {
      // The topology service parses this frame too: parsing twice measured cheaper than sharing it.
      const frame = parseEthernet(m.data);
      if (frame.ethType !== ETH_TYPE.ARP) return;
      const arp = parseArp(frame.payload);
      if (arp.op !== ARP_OP.REQUEST || arp.senderIp === arp.targetIp) return; // replies and gratuitous ARPs: learning only
      const conn = this.openflow.connection(dpid);
      if (!conn) return;
      const here = this.topology.nameOf(dpid);
      const gatewayNet = this.gateways.get(arp.targetIp);
      if (gatewayNet && networkOf([gatewayNet], arp.senderIp) && frame.vlan === undefined) {
        const reply = arpReplyFrame(m.data, GATEWAY_MAC_BYTES);
        this.answered++;
        conn.post({ type: MessageType.PACKET_OUT, xid: 0, inPort: PortNo.CONTROLLER, actions: [act.output(inPort)], data: reply });
        return;
      }
      const net = networkOf(this.networks, arp.targetIp);
      const host = this.topology.hostList().find((h) => h.ip === arp.targetIp && h.switch === here);
      const ports = host ? [host.port] : net?.switch === here ? this.hostPorts(dpid, inPort) : [];
      if (ports.length === 0) return;
      conn.post({ type: MessageType.PACKET_OUT, xid: 0, inPort, actions: ports.map((p) => act.output(p)), data: m.data });
    } catch (e) {
      if (!(e instanceof PacketParseError)) throw e;
      this.log.debug('unparsable ARP packet-in', { dpid, error: e.message });
    }
  }

  /** Ports of the switch that are not switch-to-switch links, but `inPort`. */
  private hostPorts(dpid: string, inPort: number): number[] {
    const name = this.topology.nameOf(dpid);
    const fabric = new Set(this.topology.linkList().flatMap((l) => [l.a, l.b]).filter((e) => e.switch === name).map((e) => e.port));
    const conn = this.openflow.connection(dpid);
    return (conn?.ports ?? []).map((p) => p.portNo).filter((p) => p <= PortNo.MAX && p !== inPort && !fabric.has(p));
  }
}
