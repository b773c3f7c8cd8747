import { ipv6FromBytes, ipv6ToBytes, macFromBytes, macToBytes } from '../openflow/index.js';
import { PacketParseError } from './errors.js';
import { ETH_TYPE, buildEthernet } from './ethernet.js';
import { type Ipv6Header, NEXT_HEADER, ipv6Bytes, ipv6Packet, isLinkLocal } from './ipv6.js';

/** ICMPv6 message types the controller reads or writes (RFC 4443, RFC 4861). */
export const ICMPV6_TYPE = {
  ECHO_REQUEST: 128,
  ECHO_REPLY: 129,
  ROUTER_SOLICIT: 133,
  ROUTER_ADVERT: 134,
  NEIGHBOR_SOLICIT: 135,
  NEIGHBOR_ADVERT: 136,
} as const;

/** Neighbour discovery's option types (RFC 4861 4.6). */
export const ND_OPTION = { SOURCE_LLA: 1, TARGET_LLA: 2, PREFIX_INFO: 3, MTU: 5 } as const;

/** Every ND message is sent with hop limit 255, and one received with less came from off the link (RFC 4861 7.1). */
export const ND_HOP_LIMIT = 255;

export type NdOption =
  | { kind: 'source-lla' | 'target-lla'; mac: string }
  | { kind: 'prefix'; prefix: string; length: number; onLink: boolean; autonomous: boolean; validLifetime: number; preferredLifetime: number }
  | { kind: 'mtu'; mtu: number }
  /** Kept as it came (RFC 4861: an option not understood is skipped, not refused). */
  | { kind: 'other'; type: number; data: Buffer };

export type Icmpv6Message =
  | { kind: 'neighbor-solicit'; target: string; options: NdOption[] }
  | { kind: 'neighbor-advert'; target: string; router: boolean; solicited: boolean; override: boolean; options: NdOption[] }
  | { kind: 'router-solicit'; options: NdOption[] }
  | {
    kind: 'router-advert';
    /** The hop limit hosts should use (0: unspecified). */
    curHopLimit: number;
    managed: boolean;
    other: boolean;
    /** Seconds; 0: not a default router. */
    routerLifetime: number;
    reachableTimeMs: number;
    retransTimerMs: number;
    options: NdOption[];
  }
  | { kind: 'echo-request' | 'echo-reply'; id: number; seq: number; data: Buffer }
  | { kind: 'other'; type: number; code: number; body: Buffer };

/** The ICMPv6 checksum of `message` (its checksum field zero or not: it is skipped) sent from `src` to `dst` (RFC 4443 2.3, the pseudo-header of RFC 8200 8.1). */
export function icmpv6Checksum(src: string, dst: string, message: Buffer): number {
  const pseudo = Buffer.alloc(40);
  ipv6ToBytes(src, pseudo, 0);
  ipv6ToBytes(dst, pseudo, 16);
  pseudo.writeUInt32BE(message.length, 32);
  pseudo[39] = NEXT_HEADER.ICMPV6;
  let sum = 0;
  const add = (buf: Buffer, skip: number): void => {
    for (let i = 0; i < buf.length; i += 2) {
      if (i === skip) continue;
      sum += (buf[i]! << 8) | (i + 1 < buf.length ? buf[i + 1]! : 0);
    }
  };
  add(pseudo, -1);
  add(message, 2);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

const MIN_LENGTH: Record<number, number> = {
  [ICMPV6_TYPE.NEIGHBOR_SOLICIT]: 24,
  [ICMPV6_TYPE.NEIGHBOR_ADVERT]: 24,
  [ICMPV6_TYPE.ROUTER_SOLICIT]: 8,
  [ICMPV6_TYPE.ROUTER_ADVERT]: 16,
  [ICMPV6_TYPE.ECHO_REQUEST]: 8,
  [ICMPV6_TYPE.ECHO_REPLY]: 8,
};

const isMulticast = (ip: string): boolean => ipv6Bytes(ip)[0] === 0xff;
const UNSPECIFIED = '::';

/**
 * The ICMPv6 message `body` of the IPv6 packet `ip`, checked as a receiver must before
 * believing it: the checksum, a length the type needs, and for neighbour discovery the
 * validity rules of RFC 4861 (hop limit 255, code 0, options of non-zero length that fit, a
 * target that is not multicast, from the unspecified address only a solicitation to a
 * solicited-node address without a source address option, a solicited advertisement only to
 * unicast). Anything else is a PacketParseError saying why: a tenant writes these bytes.
 */
export function parseIcmpv6(ip: Ipv6Header, body: Buffer): Icmpv6Message {
  if (ip.nextHeader !== NEXT_HEADER.ICMPV6) throw new PacketParseError(`next header ${ip.nextHeader}, not ICMPv6`);
  if (body.length < 4) throw new PacketParseError(`ICMPv6 message of ${body.length} bytes`);
  const type = body[0]!;
  const code = body[1]!;
  const checksum = body.readUInt16BE(2);
  const expected = icmpv6Checksum(ip.src, ip.dst, body);
  if (checksum !== expected) throw new PacketParseError(`ICMPv6 checksum 0x${checksum.toString(16)}, expected 0x${expected.toString(16)}`);
  const min = MIN_LENGTH[type];
  if (min !== undefined && body.length < min) throw new PacketParseError(`ICMPv6 type ${type} of ${body.length} bytes (at least ${min})`);
  if (type === ICMPV6_TYPE.ECHO_REQUEST || type === ICMPV6_TYPE.ECHO_REPLY) {
    return { kind: type === ICMPV6_TYPE.ECHO_REQUEST ? 'echo-request' : 'echo-reply', id: body.readUInt16BE(4), seq: body.readUInt16BE(6), data: Buffer.from(body.subarray(8)) };
  }
  if (min === undefined) return { kind: 'other', type, code, body: Buffer.from(body) };
  // Neighbour discovery.
  if (ip.hopLimit !== ND_HOP_LIMIT) throw new PacketParseError(`neighbour discovery with hop limit ${ip.hopLimit} (255: from this link only)`);
  if (code !== 0) throw new PacketParseError(`neighbour discovery with code ${code}`);
  const options = parseNdOptions(body.subarray(min));
  const has = (kind: NdOption['kind']): boolean => options.some((o) => o.kind === kind);
  if (type === ICMPV6_TYPE.ROUTER_SOLICIT) {
    if (ip.src === UNSPECIFIED && has('source-lla')) throw new PacketParseError('router solicitation from :: with a source address option');
    return { kind: 'router-solicit', options };
  }
  if (type === ICMPV6_TYPE.ROUTER_ADVERT) {
    if (!isLinkLocal(ip.src)) throw new PacketParseError(`router advertisement from ${ip.src}, not a link-local address`);
    return {
      kind: 'router-advert', curHopLimit: body[4]!, managed: (body[5]! & 0x80) !== 0, other: (body[5]! & 0x40) !== 0,
      routerLifetime: body.readUInt16BE(6), reachableTimeMs: body.readUInt32BE(8), retransTimerMs: body.readUInt32BE(12), options,
    };
  }
  const target = ipv6FromBytes(body, 8);
  if (isMulticast(target)) throw new PacketParseError(`neighbour discovery for ${target}, a multicast address`);
  if (type === ICMPV6_TYPE.NEIGHBOR_SOLICIT) {
    if (ip.src === UNSPECIFIED && (!ip.dst.startsWith('ff02::1:ff') || has('source-lla'))) {
      throw new PacketParseError('neighbour solicitation from :: (duplicate address detection) not to a solicited-node address, or with a source address option');
    }
    return { kind: 'neighbor-solicit', target, options };
  }
  const flags = body[4]!;
  const solicited = (flags & 0x40) !== 0;
  if (solicited && isMulticast(ip.dst)) throw new PacketParseError('solicited neighbour advertisement to a multicast address');
  return { kind: 'neighbor-advert', target, router: (flags & 0x80) !== 0, solicited, override: (flags & 0x20) !== 0, options };
}

/** Neighbour discovery options (RFC 4861 4.6): each a type, a length in units of 8 bytes (never 0), and its data. */
export function parseNdOptions(buf: Buffer): NdOption[] {
  const out: NdOption[] = [];
  let at = 0;
  while (at < buf.length) {
    if (buf.length - at < 2) throw new PacketParseError(`a truncated ND option at byte ${at}`);
    const type = buf[at]!;
    const len = buf[at + 1]! * 8;
    if (len === 0) throw new PacketParseError(`ND option ${type} of length 0`);
    if (at + len > buf.length) throw new PacketParseError(`ND option ${type} of ${len} bytes past the message's end`);
    const o = buf.subarray(at, at + len);
    if ((type === ND_OPTION.SOURCE_LLA || type === ND_OPTION.TARGET_LLA) && len === 8) {
      out.push({ kind: type === ND_OPTION.SOURCE_LLA ? 'source-lla' : 'target-lla', mac: macFromBytes(o, 2) });
    } else if (type === ND_OPTION.PREFIX_INFO && len === 32) {
      out.push({
        kind: 'prefix', length: o[2]!, onLink: (o[3]! & 0x80) !== 0, autonomous: (o[3]! & 0x40) !== 0,
        validLifetime: o.readUInt32BE(4), preferredLifetime: o.readUInt32BE(8), prefix: ipv6FromBytes(o, 16),
      });
    } else if (type === ND_OPTION.MTU && len === 8) {
      out.push({ kind: 'mtu', mtu: o.readUInt32BE(4) });
    } else {
      out.push({ kind: 'other', type, data: Buffer.from(o.subarray(2)) });
    }
    at += len;
  }
  return out;
}

/** An option's bytes: its type, its length in units of 8 bytes, and room for its data. */
function optionOf(type: number, bytes: number): Buffer {
  const b = Buffer.alloc(bytes);
  b[0] = type;
  b[1] = bytes / 8;
  return b;
}

function ndOptionBytes(o: NdOption): Buffer {
  switch (o.kind) {
    case 'source-lla':
    case 'target-lla': {
      const b = optionOf(o.kind === 'source-lla' ? ND_OPTION.SOURCE_LLA : ND_OPTION.TARGET_LLA, 8);
      macToBytes(o.mac, b, 2);
      return b;
    }
    case 'prefix': {
      const b = optionOf(ND_OPTION.PREFIX_INFO, 32);
      b[2] = o.length;
      b[3] = (o.onLink ? 0x80 : 0) | (o.autonomous ? 0x40 : 0);
      b.writeUInt32BE(o.validLifetime, 4);
      b.writeUInt32BE(o.preferredLifetime, 8);
      ipv6ToBytes(o.prefix, b, 16);
      return b;
    }
    case 'mtu': {
      const b = optionOf(ND_OPTION.MTU, 8);
      b.writeUInt32BE(o.mtu, 4);
      return b;
    }
    case 'other': {
      // Padded to a multiple of 8 bytes, as every option is.
      const b = optionOf(o.type, Math.ceil((o.data.length + 2) / 8) * 8);
      o.data.copy(b, 2);
      return b;
    }
  }
}

/** `msg` as ICMPv6 bytes from `src` to `dst`, its checksum set. */
export function icmpv6Bytes(src: string, dst: string, msg: Icmpv6Message): Buffer {
  let head: Buffer;
  let options: NdOption[] = [];
  switch (msg.kind) {
    case 'neighbor-solicit':
    case 'neighbor-advert':
      head = Buffer.alloc(24);
      head[0] = msg.kind === 'neighbor-solicit' ? ICMPV6_TYPE.NEIGHBOR_SOLICIT : ICMPV6_TYPE.NEIGHBOR_ADVERT;
      if (msg.kind === 'neighbor-advert') head[4] = (msg.router ? 0x80 : 0) | (msg.solicited ? 0x40 : 0) | (msg.override ? 0x20 : 0);
      ipv6ToBytes(msg.target, head, 8);
      options = msg.options;
      break;
    case 'router-solicit':
      head = Buffer.alloc(8);
      head[0] = ICMPV6_TYPE.ROUTER_SOLICIT;
      options = msg.options;
      break;
    case 'router-advert':
      head = Buffer.alloc(16);
      head[0] = ICMPV6_TYPE.ROUTER_ADVERT;
      head[4] = msg.curHopLimit;
      head[5] = (msg.managed ? 0x80 : 0) | (msg.other ? 0x40 : 0);
      head.writeUInt16BE(msg.routerLifetime, 6);
      head.writeUInt32BE(msg.reachableTimeMs, 8);
      head.writeUInt32BE(msg.retransTimerMs, 12);
      options = msg.options;
      break;
    case 'echo-request':
    case 'echo-reply':
      head = Buffer.alloc(8 + msg.data.length);
      head[0] = msg.kind === 'echo-request' ? ICMPV6_TYPE.ECHO_REQUEST : ICMPV6_TYPE.ECHO_REPLY;
      head.writeUInt16BE(msg.id, 4);
      head.writeUInt16BE(msg.seq, 6);
      msg.data.copy(head, 8);
      break;
    case 'other':
      head = Buffer.from(msg.body);
      head[0] = msg.type;
      head[1] = msg.code;
      break;
  }
  const out = Buffer.concat([head, ...options.map(ndOptionBytes)]);
  out.writeUInt16BE(0, 2);
  out.writeUInt16BE(icmpv6Checksum(src, dst, out), 2);
  return out;
}

/** The ND messages: sent with hop limit 255, as a receiver requires. */
const ND_KINDS = new Set<Icmpv6Message['kind']>(['neighbor-solicit', 'neighbor-advert', 'router-solicit', 'router-advert']);

/** An Ethernet frame carrying `msg` in IPv6 (hop limit 255 for neighbour discovery, 64 otherwise unless given). */
export function icmpv6Frame(to: { srcMac: string; dstMac: string; src: string; dst: string; hopLimit?: number }, msg: Icmpv6Message): Buffer {
  const hopLimit = to.hopLimit ?? (ND_KINDS.has(msg.kind) ? ND_HOP_LIMIT : 64);
  const packet = ipv6Packet({ src: to.src, dst: to.dst, nextHeader: NEXT_HEADER.ICMPV6, hopLimit }, icmpv6Bytes(to.src, to.dst, msg));
  return buildEthernet(to.dstMac, to.srcMac, ETH_TYPE.IPV6, packet);
}
