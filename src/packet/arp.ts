import { ipv4FromBytes, ipv4ToBytes, macFromBytes, macToBytes } from '../openflow/index.js';
import { copyBytes } from './bytes.js';
import { BROADCAST_MAC, ETH_HEADER_LEN, ETH_TYPE, writeEthernetHeader } from './ethernet.js';
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

/**
 * Where the fields of an untagged Ethernet frame carrying IPv4-over-Ethernet ARP sit: the
 * packet-in fast paths read addresses here as numbers, without building a parsed packet.
 */
export const ARP_AT = { OP: 20, SENDER_MAC: 22, SENDER_IP: 28, TARGET_MAC: 32, TARGET_IP: 38, END: 42 } as const;

/** An untagged frame whose ARP header is IPv4 over Ethernet (what parseArp accepts), of any op. */
export function isUntaggedArp(frame: Buffer): boolean {
  return frame.length >= ARP_AT.END && frame[12] === 0x08 && frame[13] === 0x06 &&
    frame[14] === 0 && frame[15] === 1 && frame[16] === 0x08 && frame[17] === 0 && frame[18] === 6 && frame[19] === 4;
}

/** The op of an untagged ARP frame (isUntaggedArp must hold). */
export const arpOpAt = (frame: Buffer): number => (frame[ARP_AT.OP]! << 8) | frame[ARP_AT.OP + 1]!;

/**
 * The reply to an ARP request frame (untagged), answered by `mac` for the address asked
 * about: built by moving bytes of the request, no text in between. This is what the
 * controller sends for every gateway ARP that reaches it, built in `reply` when given (42
 * bytes).
 */
export function arpReplyFrame(request: Buffer, mac: Uint8Array, reply: Buffer = Buffer.allocUnsafe(ARP_AT.END)): Buffer {
  copyBytes(request, 6, reply, 0, 6); // to the requester
  copyBytes(mac, 0, reply, 6, 6);
  copyBytes(request, 12, reply, 12, 8); // ethertype, htype, ptype, hlen, plen
  reply[ARP_AT.OP] = 0;
  reply[ARP_AT.OP + 1] = ARP_OP.REPLY;
  copyBytes(mac, 0, reply, ARP_AT.SENDER_MAC, 6); // sender: the answering MAC
  copyBytes(request, ARP_AT.TARGET_IP, reply, ARP_AT.SENDER_IP, 4); // sender IP: the one that was asked for
  copyBytes(request, ARP_AT.SENDER_MAC, reply, ARP_AT.TARGET_MAC, 10); // target: the requester's MAC and IP
  return reply;
}

/** Writes the 28-byte ARP packet at `at`. */
function writeArp(a: ArpPacket, p: Buffer, at: number): void {
  p.writeUInt16BE(1, at);
  p.writeUInt16BE(ETH_TYPE.IPV4, at + 2);
  p[at + 4] = 6;
  p[at + 5] = 4;
  p.writeUInt16BE(a.op, at + 6);
  macToBytes(a.senderMac, p, at + 8);
  ipv4ToBytes(a.senderIp, p, at + 14);
  macToBytes(a.targetMac, p, at + 18);
  ipv4ToBytes(a.targetIp, p, at + 24);
}

/** A whole Ethernet frame carrying an ARP (or RARP, by op) packet, built in one buffer (requests, announcements, tests; gateway replies are made by arpReplyFrame). */
export function arpFrame(a: ArpPacket, ethDst = a.op === ARP_OP.REQUEST ? BROADCAST_MAC : a.targetMac): Buffer {
  const frame = Buffer.allocUnsafe(ETH_HEADER_LEN + 28);
  writeEthernetHeader(frame, ethDst, a.senderMac, a.op >= ARP_OP.RARP_REQUEST ? ETH_TYPE.RARP : ETH_TYPE.ARP);
  writeArp(a, frame, ETH_HEADER_LEN);
  return frame;
}
