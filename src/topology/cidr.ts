import { ipv4ToBytes } from '../openflow/index.js';

/** IPv4 arithmetic for prefixes and ranges (addresses as unsigned 32-bit numbers). */

const scratch = Buffer.alloc(4);

/** Dotted quads as people write them: no leading zeros (010.0.1.0 reads as octal to some tools). */
const DOTTED_QUAD = /^(0|[1-9]\d{0,2})(\.(0|[1-9]\d{0,2})){3}$/;

/** Dotted quad to number; undefined for anything else (leading zeros included). */
export function ipToInt(ip: string): number | undefined {
  if (!DOTTED_QUAD.test(ip)) return undefined;
  try {
    ipv4ToBytes(ip, scratch, 0);
  } catch {
    return undefined;
  }
  return scratch.readUInt32BE(0);
}

export function intToIp(n: number): string {
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

export interface Prefix {
  network: number;
  length: number;
  /** First and last address of the block. */
  first: number;
  last: number;
}

export function parsePrefix(text: string): Prefix | string {
  const [ip, len, ...rest] = text.split('/');
  const addr = ipToInt(ip ?? '');
  const length = Number(len);
  if (rest.length > 0 || addr === undefined || !/^\d{1,2}$/.test(len ?? '') || length > 32) return `"${text}" is not an IPv4 prefix such as 10.0.1.0/24`;
  const mask = length === 0 ? 0 : (0xffffffff << (32 - length)) >>> 0;
  if ((addr & mask) >>> 0 !== addr) return `"${text}" has host bits set (the network is ${intToIp((addr & mask) >>> 0)}/${length})`;
  return { network: addr, length, first: addr, last: (addr | (~mask >>> 0)) >>> 0 };
}

export const contains = (p: Prefix, ip: number): boolean => ip >= p.first && ip <= p.last;
export const overlaps = (a: { first: number; last: number }, b: { first: number; last: number }): boolean => a.first <= b.last && b.first <= a.last;
export const netmask = (length: number): string => intToIp(length === 0 ? 0 : (0xffffffff << (32 - length)) >>> 0);
