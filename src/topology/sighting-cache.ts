import { ARP_AT, ARP_OP, arpOpAt, isUntaggedArp } from '../packet/arp.js';
import { u32At } from '../packet/bytes.js';
import { ETH_TYPE } from '../packet/ethernet.js';

interface Sighting {
  /** The MAC's first two bytes and last four: the map key holds only 30 bits of it. */
  macHigh: number;
  macLow: number;
  dpid: string;
  port: number;
  ip: number;
  /** The host table's version when this sighting was learned. */
  version: number;
  /** The host's record, whose last sighting a hit refreshes (idle hosts age out). */
  record: { lastSeen: number } | undefined;
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
 * identify it: its MAC and its IPv4 address, read as numbers. A host seen again where it was,
 * claiming the address it had, is recognised with one map lookup and no parsing, which is
 * nearly every packet-in a host sends. Learning the same sighting twice changes nothing, so
 * skipping it is exact as long as the host table has not changed since: any change (its
 * version) voids every entry.
 */
export class SightingCache {
  /**
   * By the MAC's low 30 bits, a small integer that V8 hashes fastest; the entry holds the
   * whole MAC, so two MACs that share those bits only make each other miss.
   */
  private readonly byMac = new Map<number, Sighting>();

  constructor(private readonly capacity = 100_000) {}

  /** True when learning from `frame`, received at (dpid, port), would change nothing at `version`. */
  unchanged(dpid: string, port: number, frame: Buffer, version: number): boolean {
    const at = senderAt(frame);
    if (at === undefined) return false;
    const low = u32At(frame, at.mac + 2);
    const s = this.byMac.get(low & 0x3fffffff);
    const hit = s !== undefined && s.version === version && s.macLow === low && s.macHigh === ((frame[at.mac]! << 8) | frame[at.mac + 1]!) &&
      s.port === port && s.dpid === dpid && s.ip === u32At(frame, at.ip);
    if (hit && s.record !== undefined) s.record.lastSeen = Date.now();
    return hit;
  }

  /** Records that learning took `frame` in; `version` is the host table's after it did. */
  remember(dpid: string, port: number, frame: Buffer, version: number, record?: { lastSeen: number }): void {
    const at = senderAt(frame);
    if (at === undefined) return;
    if (this.byMac.size >= this.capacity) this.byMac.clear();
    const macLow = u32At(frame, at.mac + 2);
    const macHigh = (frame[at.mac]! << 8) | frame[at.mac + 1]!;
    this.byMac.set(macLow & 0x3fffffff, { macHigh, macLow, dpid, port, ip: u32At(frame, at.ip), version, record });
  }
}

/** Untagged ARP requests and replies, and untagged IPv4: the frames hosts send all the time. */
function senderAt(frame: Buffer): SenderAt | undefined {
  if (isUntaggedArp(frame)) {
    const op = arpOpAt(frame);
    return op === ARP_OP.REQUEST || op === ARP_OP.REPLY ? ARP_SENDER : undefined;
  }
  return frame.length >= IPV4_SENDER.ip + 4 && frame.readUInt16BE(12) === ETH_TYPE.IPV4 ? IPV4_SENDER : undefined;
}
