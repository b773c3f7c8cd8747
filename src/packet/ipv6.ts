import { ipv6FromBytes, ipv6ToBytes } from '../openflow/index.js';
import { PacketParseError } from './errors.js';

export const IPV6_HEADER_LEN = 40;
/** The IPv6 next-header numbers the controller reads (ICMPv6 for neighbour discovery). */
export const NEXT_HEADER = { TCP: 6, UDP: 17, ICMPV6: 58 } as const;

export interface Ipv6Header {
  src: string;
  dst: string;
  /** The protocol of what follows the fixed header (extension headers are not walked: see parseIpv6). */
  nextHeader: number;
  hopLimit: number;
  trafficClass: number;
  flowLabel: number;
  /** Bytes after the fixed header, as the header says (checked against what arrived). */
  payloadLength: number;
}

/**
 * The fixed IPv6 header of `payload` (an Ethernet frame's payload) and the bytes it carries.
 * Throws a PacketParseError for anything shorter than the header, another version, or a
 * payload length past the bytes that arrived (a frame padded to the Ethernet minimum carries
 * more: only `payloadLength` bytes are the packet's). Extension headers are not walked:
 * neighbour discovery is sent without any, and a message behind one is not taken as ND.
 */
export function parseIpv6(payload: Buffer): { header: Ipv6Header; body: Buffer } {
  if (payload.length < IPV6_HEADER_LEN) throw new PacketParseError(`IPv6 packet of ${payload.length} bytes`);
  const first = payload.readUInt32BE(0);
  if (first >>> 28 !== 6) throw new PacketParseError(`IP version ${first >>> 28} in an IPv6 frame`);
  const payloadLength = payload.readUInt16BE(4);
  if (IPV6_HEADER_LEN + payloadLength > payload.length) throw new PacketParseError(`IPv6 payload length ${payloadLength} past the ${payload.length - IPV6_HEADER_LEN} bytes that arrived`);
  return {
    header: {
      src: ipv6FromBytes(payload, 8),
      dst: ipv6FromBytes(payload, 24),
      nextHeader: payload[6]!,
      hopLimit: payload[7]!,
      trafficClass: (first >>> 20) & 0xff,
      flowLabel: first & 0xfffff,
      payloadLength,
    },
    body: payload.subarray(IPV6_HEADER_LEN, IPV6_HEADER_LEN + payloadLength),
  };
}

/** An IPv6 packet: the fixed header (traffic class and flow label 0 unless given) and `body`. */
export function ipv6Packet(h: { src: string; dst: string; nextHeader: number; hopLimit: number; trafficClass?: number; flowLabel?: number }, body: Buffer): Buffer {
  if (body.length > 0xffff) throw new RangeError(`an IPv6 payload of ${body.length} bytes needs a jumbogram`);
  const out = Buffer.alloc(IPV6_HEADER_LEN + body.length);
  out.writeUInt32BE(((6 << 28) | ((h.trafficClass ?? 0) << 20) | (h.flowLabel ?? 0)) >>> 0, 0);
  out.writeUInt16BE(body.length, 4);
  out[6] = h.nextHeader;
  out[7] = h.hopLimit;
  ipv6ToBytes(h.src, out, 8);
  ipv6ToBytes(h.dst, out, 24);
  body.copy(out, IPV6_HEADER_LEN);
  return out;
}

/** The 16 bytes of an IPv6 address in text. */
export function ipv6Bytes(ip: string): Buffer {
  const out = Buffer.alloc(16);
  ipv6ToBytes(ip, out, 0);
  return out;
}

/** The solicited-node multicast address of `ip` (ff02::1:ffXX:XXXX, RFC 4291 2.7.1): where a neighbour solicitation for it goes. */
export function solicitedNodeAddress(ip: string): string {
  const b = ipv6Bytes(ip);
  const out = Buffer.from('ff0200000000000000000001ff000000', 'hex');
  b.copy(out, 13, 13, 16);
  return ipv6FromBytes(out, 0);
}

/** The Ethernet address an IPv6 multicast address is sent to (33:33 and its last four bytes, RFC 2464 7). */
export function ipv6MulticastMac(ip: string): string {
  const b = ipv6Bytes(ip);
  if (b[0] !== 0xff) throw new RangeError(`${ip} is not a multicast address`);
  return ['33', '33', ...[...b.subarray(12)].map((x) => x.toString(16).padStart(2, '0'))].join(':');
}

/** Whether `ip` is link-local (fe80::/10): never routed, answered or forwarded off its link. */
export function isLinkLocal(ip: string): boolean {
  const b = ipv6Bytes(ip);
  return b[0] === 0xfe && (b[1]! & 0xc0) === 0x80;
}

/** The link-local all-nodes multicast address (RFC 4291 2.7.1): where unsolicited advertisements go. */
export const ALL_NODES = 'ff02::1';

/** fe80::/10 as an OXM value and mask: what a match on "any link-local source" is. */
export const LINK_LOCAL_PREFIX = { value: 'fe80::', mask: 'ffc0::' } as const;

/** The link-local address made from `mac` by modified EUI-64 (RFC 4291 2.5.1, appendix A): the U/L bit flipped, ff:fe in the middle. */
export function linkLocalOf(mac: string): string {
  const m = mac.split(':').map((x) => Number.parseInt(x, 16));
  const out = Buffer.alloc(16);
  out[0] = 0xfe;
  out[1] = 0x80;
  Buffer.from([m[0]! ^ 0x02, m[1]!, m[2]!, 0xff, 0xfe, m[3]!, m[4]!, m[5]!]).copy(out, 8);
  return ipv6FromBytes(out, 0);
}
