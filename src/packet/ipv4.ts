import { ipv4FromBytes } from '../openflow/index.js';
import { PacketParseError } from './errors.js';

export const IP_PROTO = { ICMP: 1, TCP: 6, UDP: 17 } as const;

export interface Ipv4Header {
  src: string;
  dst: string;
  protocol: number;
  ttl: number;
  headerLength: number;
  totalLength: number;
}

export function parseIpv4(payload: Buffer): Ipv4Header {
  if (payload.length < 20) throw new PacketParseError(`IPv4 packet of ${payload.length} bytes`);
  const version = payload[0]! >> 4;
  const headerLength = (payload[0]! & 0x0f) * 4;
  if (version !== 4 || headerLength < 20 || headerLength > payload.length) throw new PacketParseError('bad IPv4 header');
  return {
    src: ipv4FromBytes(payload, 12),
    dst: ipv4FromBytes(payload, 16),
    protocol: payload[9]!,
    ttl: payload[8]!,
    headerLength,
    totalLength: payload.readUInt16BE(2),
  };
}
