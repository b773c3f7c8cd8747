import { ipv4FromBytes, ipv4ToBytes, macFromBytes, macToBytes } from '../openflow/addresses.js';
import { BROADCAST_MAC, ETH_TYPE, buildEthernet } from './ethernet.js';
import { PacketParseError } from './errors.js';

/** ARP and RARP for IPv4 over Ethernet (RFC 826, RFC 903). */
export const ARP_OP = { REQUEST: 1, REPLY: 2, RARP_REQUEST: 3, RARP_REPLY: 4 } as const;

export interface ArpPacket {
  op: number;
  senderMac: string;
  senderIp: string;
  targetMac: string;
  targetIp: string;
}

export function parseArp(payload: Buffer): ArpPacket {
  if (payload.length < 28) throw new PacketParseError(`ARP payload of ${payload.length} bytes`);
  if (payload.readUInt16BE(0) !== 1 || payload.readUInt16BE(2) !== ETH_TYPE.IPV4 || payload[4] !== 6 || payload[5] !== 4) {
    throw new PacketParseError('ARP is not IPv4 over Ethernet');
  }
  return {
    op: payload.readUInt16BE(6),
    senderMac: macFromBytes(payload, 8),
    senderIp: ipv4FromBytes(payload, 14),
    targetMac: macFromBytes(payload, 18),
    targetIp: ipv4FromBytes(payload, 24),
  };
}

export function buildArp(a: ArpPacket): Buffer {
  const p = Buffer.alloc(28);
  p.writeUInt16BE(1, 0);
  p.writeUInt16BE(ETH_TYPE.IPV4, 2);
  p[4] = 6;
  p[5] = 4;
  p.writeUInt16BE(a.op, 6);
  macToBytes(a.senderMac, p, 8);
  ipv4ToBytes(a.senderIp, p, 14);
  macToBytes(a.targetMac, p, 18);
  ipv4ToBytes(a.targetIp, p, 24);
  return p;
}

/** A whole Ethernet frame carrying an ARP (or RARP, by op) packet. */
export function arpFrame(a: ArpPacket, ethDst = a.op === ARP_OP.REQUEST ? BROADCAST_MAC : a.targetMac): Buffer {
  const ethType = a.op >= ARP_OP.RARP_REQUEST ? ETH_TYPE.RARP : ETH_TYPE.ARP;
  return buildEthernet(ethDst, a.senderMac, ethType, buildArp(a));
}
