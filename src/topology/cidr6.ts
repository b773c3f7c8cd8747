import { ipv6FromBytes, ipv6ToBytes } from '../openflow/index.js';

/**
 * IPv6 arithmetic for prefixes and ranges (addresses as 128-bit bigints), the twin of
 * cidr.ts. Addresses are compared and stored in their RFC 5952 text (`2001:db8::1`), so
 * two spellings of one address are one address to every check and every table.
 */

const scratch = Buffer.alloc(16);

/** IPv6 text (no zone, no embedded IPv4) to its number; undefined for anything else. */
export function ip6ToBig(ip: string): bigint | undefined {
  if (!/^[0-9A-Fa-f:]{2,39}$/.test(ip)) return undefined;
  try {
    ipv6ToBytes(ip, scratch, 0);
  } catch {
    return undefined;
  }
  return (scratch.readBigUInt64BE(0) << 64n) | scratch.readBigUInt64BE(8);
}

export function bigToIp6(n: bigint): string {
  scratch.writeBigUInt64BE(n >> 64n, 0);
  scratch.writeBigUInt64BE(n & 0xffff_ffff_ffff_ffffn, 8);
  return ipv6FromBytes(scratch, 0);
}

/** The RFC 5952 text of `ip`, or undefined when it is not an IPv6 address. */
export function canonicalIp6(ip: string): string | undefined {
  const n = ip6ToBig(ip);
  return n === undefined ? undefined : bigToIp6(n);
}

export interface Prefix6 {
  length: number;
  /** First and last address of the block; `first` is the network (the Subnet-Router anycast address, RFC 4291 2.6.1). */
  first: bigint;
  last: bigint;
  /** The prefix in RFC 5952 text: `2001:db8:0:1::/64`. */
  text: string;
}

const ALL = (1n << 128n) - 1n;

export function parsePrefix6(text: string): Prefix6 | string {
  const [ip, len, ...rest] = text.split('/');
  const addr = ip6ToBig(ip ?? '');
  const length = Number(len);
  if (rest.length > 0 || addr === undefined || !/^\d{1,3}$/.test(len ?? '') || length > 128) return `"${text}" is not an IPv6 prefix such as 2001:db8:0:1::/64`;
  const hostBits = (1n << BigInt(128 - length)) - 1n;
  const network = addr & (ALL ^ hostBits);
  if (network !== addr) return `"${text}" has host bits set (the network is ${bigToIp6(network)}/${length})`;
  return { length, first: network, last: network | hostBits, text: `${bigToIp6(network)}/${length}` };
}

export const contains6 = (p: Prefix6, ip: bigint): boolean => ip >= p.first && ip <= p.last;

/**
 * Why an address of this kind can be no subnet's, gateway's or host's: the fabric routes
 * global unicast (2000::/3) and unique local (fc00::/7) addresses; link-local ones never
 * leave their link, and the rest is multicast, loopback or reserved.
 */
export function notRoutable6(n: bigint): string | undefined {
  const top = Number(n >> 120n);
  if (top === 0xff) return 'is a multicast address';
  if (top === 0xfe && (Number(n >> 118n) & 0x3) === 2) return 'is link-local: it never leaves its link';
  if ((top & 0xe0) === 0x20 || (top & 0xfe) === 0xfc) return undefined;
  return 'is neither global unicast (2000::/3) nor unique local (fc00::/7)';
}
