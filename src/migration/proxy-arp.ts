import type { OpenFlowServer } from '../controller/openflow-server.js';
import { MessageType, PortNo, act, type PacketIn } from '../openflow/index.js';
import { ARP_AT, ARP_OP, arpFrame, parseArp } from '../packet/arp.js';
import { u32At } from '../packet/bytes.js';
import { ETH_TYPE, parseEthernet } from '../packet/ethernet.js';
import { PacketParseError } from '../packet/errors.js';
import { ND_HOP_LIMIT, icmpv6Frame } from '../packet/icmpv6.js';
import { ALL_NODES, ipv6MulticastMac } from '../packet/ipv6.js';
import { contains, ipToInt } from '../topology/cidr.js';
import { GATEWAY_MAC } from '../topology/model.js';
import { networkOf, type Network } from '../topology/networks.js';
import type { TopologyService } from '../topology/topology-service.js';
import { declaredIp6 } from './address-family.js';
import type { Binding, BindingStore } from './binding-store.js';

/**
 * Proxy ARP for migrated VMs, and the gratuitous ARPs (and, in IPv6, unsolicited neighbour
 * advertisements) that tell a Home Network where a HoA is. At the Home switch, a request for a HoA that is abroad gets the gateway MAC; at the
 * Foreign switch, the VM's request for any address of its Home Network does too (its
 * gateway is the fabric ARP proxy's). Reads the bindings, holds nothing but the set of bound
 * addresses (as numbers: the first test of every ARP packet-in, with no string made).
 */
export class ProxyArp {
  private readonly bound = new Set<number>();

  constructor(
    private readonly openflow: OpenFlowServer,
    private readonly topology: TopologyService,
    private readonly bindings: BindingStore,
    private readonly networks: readonly Network[],
    private readonly dpidOf: ReadonlyMap<string, string>,
  ) {}

  /** A binding set or deleted: keeps the set of bound addresses. */
  track(kind: 'set' | 'deleted', b: Binding): void {
    const ip = ipToInt(b.hoa);
    if (ip === undefined) return;
    if (kind === 'set') this.bound.add(ip);
    else this.bound.delete(ip);
  }

  /** Answers an ARP packet-in if it is a request this proxy answers. */
  packetIn(dpid: string, inPort: number, m: PacketIn): void {
    if (m.data.length < ARP_AT.END || m.data.readUInt16BE(12) !== ETH_TYPE.ARP) return;
    // Only a request for a migrated VM's HoA, or from a migrated VM, is ours: the rest (every
    // host asking for its gateway) is known from two lookups, before any parsing.
    if (!this.bound.has(u32At(m.data, ARP_AT.TARGET_IP)) && !this.bound.has(u32At(m.data, ARP_AT.SENDER_IP))) return;
    try {
      const frame = parseEthernet(m.data);
      const arp = parseArp(frame.payload);
      if (arp.op !== ARP_OP.REQUEST || arp.senderIp === arp.targetIp || arp.senderMac !== frame.src) return;
      if (!this.answers(this.topology.nameOf(dpid), inPort, arp.senderMac, arp.senderIp, arp.targetIp)) return;
      const reply = arpFrame({ op: ARP_OP.REPLY, senderMac: GATEWAY_MAC, senderIp: arp.targetIp, targetMac: arp.senderMac, targetIp: arp.senderIp });
      // From the controller's port: an output to the packet's own in_port would be dropped.
      this.openflow.connection(dpid)?.post({ type: MessageType.PACKET_OUT, xid: 0, inPort: PortNo.CONTROLLER, actions: [act.output(inPort)], data: reply });
    } catch (e) {
      if (!(e instanceof PacketParseError)) throw e;
    }
  }

  /**
   * Gratuitous ARPs to every host port of the Home switch: `hoa` is at `mac` (the gateway's
   * while abroad, its own once back); for a dual-stack VM, an unsolicited neighbour
   * advertisement of its IPv6 address too (Override set, to all nodes: RFC 4861 7.2.6).
   */
  announceAtHome(homeSubnet: string, hoa: string, mac: string): void {
    const home = this.networks.find((n) => n.name === homeSubnet);
    const dpid = home && this.dpidOf.get(home.switch);
    const conn = dpid === undefined ? undefined : this.openflow.connection(dpid);
    if (!home || !conn) return;
    const ports = this.topology.hostPorts(home.switch);
    if (ports.length === 0) return;
    const out = ports.map((p) => act.output(p));
    const garp = arpFrame({ op: ARP_OP.REQUEST, senderMac: mac, senderIp: hoa, targetMac: '00:00:00:00:00:00', targetIp: hoa });
    conn.post({ type: MessageType.PACKET_OUT, xid: 0, inPort: PortNo.CONTROLLER, actions: out, data: garp });
    const declared = this.topology.declared;
    const hoa6 = declared && home.ipv6 ? declaredIp6(declared, hoa) : undefined;
    if (hoa6 === undefined) return;
    const na = icmpv6Frame(
      { srcMac: mac, dstMac: ipv6MulticastMac(ALL_NODES), src: hoa6, dst: ALL_NODES, hopLimit: ND_HOP_LIMIT },
      { kind: 'neighbor-advert', target: hoa6, router: false, solicited: false, override: true, options: [{ kind: 'target-lla', mac }] },
    );
    conn.post({ type: MessageType.PACKET_OUT, xid: 0, inPort: PortNo.CONTROLLER, actions: out, data: na });
  }

  private answers(here: string, inPort: number, senderMac: string, senderIp: string, target: string): boolean {
    const abroad = this.bindings.get(target);
    if (abroad && abroad.state === 'active' && networkOf(this.networks, target)?.switch === here) return abroad.mac !== senderMac;
    const self = this.bindings.get(senderIp);
    if (self?.state !== 'active' || self.mac !== senderMac || self.switch !== here || self.port !== inPort) return false;
    const home = networkOf(this.networks, senderIp);
    const t = ipToInt(target);
    return home !== undefined && t !== undefined && contains(home.range, t) && target !== home.gateway;
  }
}
