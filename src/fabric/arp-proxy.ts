import type { Logger } from '../log/logger.js';
import type { OpenFlowServer } from '../controller/openflow-server.js';
import { PROCESSOR_PRIORITY } from '../controller/pipeline.js';
import { MessageType, PortNo, act, type PacketIn, type PacketOut } from '../openflow/index.js';
import { ARP_AT, ARP_OP, arpOpAt, arpReplyFrame, isUntaggedArp, parseArp } from '../packet/arp.js';
import { u32At } from '../packet/bytes.js';
import { ETH_TYPE, parseEthernet } from '../packet/ethernet.js';
import { PacketParseError } from '../packet/errors.js';
import { contains, ipToInt } from '../topology/cidr.js';
import type { TopologyService } from '../topology/topology-service.js';
import { GATEWAY_MAC } from '../topology/model.js';
import { networkOf, networksOf, type Network } from '../topology/networks.js';

const GATEWAY_MAC_BYTES = Buffer.from(GATEWAY_MAC.replace(/:/g, ''), 'hex');

/**
 * ARP requests that reach the controller: those no flow answered yet (a host the controller
 * did not know, or before the switch's flows are in). A request for a gateway is answered at
 * once by PACKET_OUT; one for a known host goes to that host's port only; one for an
 * unknown address goes only to the host ports of the switch that serves its subnet.
 * The topology service learns the requester from the same packet-in.
 */
export class ArpProxy {
  private removeProcessor: (() => void) | undefined;
  private readonly networks: Network[];
  /** Networks by their gateway address, as a 32-bit number: the key the fast path reads off the wire. */
  private readonly gateways: Map<number, Network>;
  /**
   * The PACKET_OUT of every gateway reply, its frame rebuilt in place each time: post()
   * encodes at once, so one message and one buffer serve them all.
   */
  private readonly gatewayReply: PacketOut = { type: MessageType.PACKET_OUT, xid: 0, inPort: PortNo.CONTROLLER, actions: [], data: Buffer.alloc(ARP_AT.END) };
  /** Gateway ARP requests answered, for tests and benchmarks. */
  answered = 0;

  constructor(
    private readonly openflow: OpenFlowServer,
    private readonly topology: TopologyService,
    private readonly log: Logger,
  ) {
    this.networks = topology.declared ? networksOf(topology.declared) : [];
    this.gateways = new Map(this.networks.map((n) => [ipToInt(n.gateway)!, n]));
  }

  start(): void {
    // After the topology service has learned the requester.
    this.removeProcessor = this.openflow.packetProcessors.add('arp-proxy', PROCESSOR_PRIORITY.arpProxy, (dpid, message) => this.onPacketIn(dpid, message));
  }

  stop(): void {
    this.removeProcessor?.();
  }

  private onPacketIn(dpid: string, m: PacketIn): void {
    const inPort = m.match.in_port;
    if (typeof inPort !== 'number') return;
    if (this.answerGateway(dpid, inPort, m.data)) return;
    try {
      const frame = parseEthernet(m.data);
      if (frame.ethType !== ETH_TYPE.ARP) return;
      const arp = parseArp(frame.payload);
      if (arp.op !== ARP_OP.REQUEST || arp.senderIp === arp.targetIp) return; // replies and gratuitous ARPs: learning only
      const conn = this.openflow.connection(dpid);
      if (!conn) return;
      const here = this.topology.nameOf(dpid);
      const net = networkOf(this.networks, arp.targetIp);
      const known = this.topology.hostByIp(arp.targetIp);
      // A known host gets the request where it is, if here; one that is elsewhere (a migrated VM) is not searched for by flooding.
      const ports = known ? (known.switch === here ? [known.port] : []) : net?.switch === here ? this.hostPorts(dpid, inPort) : [];
      if (ports.length === 0) return;
      conn.post({ type: MessageType.PACKET_OUT, xid: 0, inPort, actions: ports.map((p) => act.output(p)), data: m.data });
    } catch (e) {
      if (!(e instanceof PacketParseError)) throw e;
      this.log.debug('unparsable ARP packet-in', { dpid, error: e.message });
    }
  }

  /**
   * The fast path, read straight off the frame's bytes: an untagged request from inside a
   * network for that network's gateway gets its reply at once. True when it answered.
   */
  private answerGateway(dpid: string, inPort: number, data: Buffer): boolean {
    if (!isUntaggedArp(data) || arpOpAt(data) !== ARP_OP.REQUEST) return false;
    const target = u32At(data, ARP_AT.TARGET_IP);
    const sender = u32At(data, ARP_AT.SENDER_IP);
    const network = this.gateways.get(target);
    // A gratuitous ARP for a gateway address (sender = target) is an address conflict, not a question.
    if (network === undefined || sender === target || !contains(network.range, sender)) return false;
    const conn = this.openflow.connection(dpid);
    if (conn === undefined) return false;
    this.answered++;
    const reply = this.gatewayReply;
    arpReplyFrame(data, GATEWAY_MAC_BYTES, reply.data);
    reply.actions = [act.output(inPort)];
    conn.post(reply);
    return true;
  }

  /** Ports of the switch where hosts attach, but `inPort`. */
  private hostPorts(dpid: string, inPort: number): number[] {
    return this.topology.hostPorts(this.topology.nameOf(dpid)).filter((p) => p !== inPort);
  }
}
