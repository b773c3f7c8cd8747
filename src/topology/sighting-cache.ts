import { ARP_AT, ARP_OP, arpOpAt, isUntaggedArp } from '../packet/arp.js';
import { ETH_TYPE } from '../packet/ethernet.js';

interface Sighting {
  dpid: string;
  port: number;
  ip: number;
  /** The host table's version when this sighting was learned. */
  version: number;
}

/** Where a frame names its sender: the MAC learned and the IPv4 address claimed. */
interface SenderAt {
  mac: number;
  ip: number;
}

const ARP_SENDER: SenderAt = { mac: ARP_AT.SENDER_MAC, ip: ARP_AT.SENDER_IP };
const IPV4_SENDER: SenderAt = { mac: 6, ip: 14 + 12 };

/**
 * The last sighting of each host that host learning has taken in, keyed by the raw bytes that
 * identify it: its MAC as a 48-bit number, its IPv4 address as 32 bits. A host seen again
 * where it was, claiming the address it had, is recognised with one map lookup and no
 * parsing, which is nearly every packet-in a host sends. Learning the same sighting twice
 * changes nothing, so skipping it is exact as long as the host table has not changed since:
 * any change (its version) voids every entry.
 */
export class SightingCache {
  private readonly byMac = new Map<number, Sighting>();

  constructor(private readonly capacity = 100_000) {}

  /** True when learning from `frame`, received at (dpid, port), would change nothing at `version`. */
  unchanged(dpid: string, port: number, frame: Buffer, version: number): boolean {
    const at = senderAt(frame);
    if (at === undefined) return false;
    const s = this.byMac.get(mac48(frame, at.mac));
    return s !== undefined && s.version === version && s.port === port && s.dpid === dpid && s.ip === frame.readUInt32BE(at.ip);
  }

  /** Records that learning took `frame` in; `version` is the host table's after it did. */
  remember(dpid: string, port: number, frame: Buffer, version: number): void {
    const at = senderAt(frame);
    if (at === undefined) return;
    if (this.byMac.size >= this.capacity) this.byMac.clear();
    this.byMac.set(mac48(frame, at.mac), { dpid, port, ip: frame.readUInt32BE(at.ip), version });
  }
}

/** The MAC at `at` as a number (48 bits are exact in a double); Buffer.readUIntBE is slower. */
function mac48(frame: Buffer, at: number): number {
  return ((frame[at]! << 8) | frame[at + 1]!) * 0x1_0000_0000 + (((frame[at + 2]! << 24) | (frame[at + 3]! << 16) | (frame[at + 4]! << 8) | frame[at + 5]!) >>> 0);
}

/** Untagged ARP requests and replies, and untagged IPv4: the frames hosts send all the time. */
function senderAt(frame: Buffer): SenderAt | undefined {
  if (isUntaggedArp(frame)) {
    const op = arpOpAt(frame);
    return op === ARP_OP.REQUEST || op === ARP_OP.REPLY ? ARP_SENDER : undefined;
  }
  return frame.length >= IPV4_SENDER.ip + 4 && frame.readUInt16BE(12) === ETH_TYPE.IPV4 ? IPV4_SENDER : undefined;
}
