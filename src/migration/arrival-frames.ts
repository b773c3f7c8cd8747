import type { OpenFlowServer } from '../controller/openflow-server.js';
import { MessageType, PortNo, act, ipv6FromBytes, type PacketIn } from '../openflow/index.js';
import { u32At } from '../packet/bytes.js';
import { ETH_TYPE, parseEthernet } from '../packet/ethernet.js';
import { ipToInt } from '../topology/cidr.js';
import type { MigrationRecord } from './binding-store.js';

/** Where an untagged IPv4 frame's source address ends; where an IPv6 one's starts. */
const IPV4_SOURCE_END = 30;
const IPV6_SOURCE = 22;

/**
 * IP frames the `arrival` entry sends up (IPv4, and IPv6 from a dual-stack VM: its unsolicited
 * neighbour advertisement after a live migration is one): the VM runs at its new port. Host learning has
 * usually made the switchover already (a roaming VM seen in another subnet); if not, `seen`
 * makes it. Either way the frame goes on through the tables, in from the controller's port so
 * that the arrival entry (which matches the VM's port) does not send it up again.
 */
export class ArrivalFrames {
  /** Frames of arriving VMs sent on through the tables after the controller saw them. */
  reinjected = 0;

  constructor(
    private readonly openflow: OpenFlowServer,
    private readonly nameOf: (dpid: string) => string,
    /** The migration awaiting the VM of this MAC at its new port, if any. */
    private readonly awaited: (mac: string) => MigrationRecord | undefined,
    private readonly seen: (record: MigrationRecord) => void,
    /** The IPv6 address declared beside an IPv4 one, if any. */
    private readonly ip6Of: (hoa: string) => string | undefined,
  ) {}

  packetIn(dpid: string, inPort: number, m: PacketIn): void {
    if (m.data.length < m.totalLen) return;
    const record = this.awaited(parseEthernet(m.data).src);
    if (!record || record.to.switch !== this.nameOf(dpid) || record.to.port !== inPort) return;
    // The VM's MAC with its own address only (the switch's admit entry already holds to this; a frame sent up by anything else is not the VM).
    if (!this.fromHoa(m.data, record.hoa)) return;
    this.seen(record);
    this.reinjected++;
    this.openflow.connection(dpid)?.post({ type: MessageType.PACKET_OUT, xid: 0, inPort: PortNo.CONTROLLER, actions: [act.output(PortNo.TABLE)], data: m.data });
  }

  /** Whether the frame's IP source is the VM's HoA (IPv4) or the IPv6 address declared beside it. */
  private fromHoa(data: Buffer, hoa: string): boolean {
    const ethType = data.readUInt16BE(12);
    if (ethType === ETH_TYPE.IPV4) return data.length >= IPV4_SOURCE_END && u32At(data, IPV4_SOURCE_END - 4) === ipToInt(hoa);
    const hoa6 = this.ip6Of(hoa);
    return ethType === ETH_TYPE.IPV6 && hoa6 !== undefined && data.length >= IPV6_SOURCE + 16 && ipv6FromBytes(data, IPV6_SOURCE) === hoa6;
  }
}
