/**
 * Byte access for the packet-in fast paths, which read a handful of bytes per frame: plain
 * indexing beats Buffer's read and copy methods there, whose argument checks cost more than
 * the bytes they move.
 */

/** The big-endian unsigned 32-bit number at `at` (an IPv4 address, four bytes of a MAC); the caller checked the length. */
export function u32At(buf: Uint8Array, at: number): number {
  return ((buf[at]! << 24) | (buf[at + 1]! << 16) | (buf[at + 2]! << 8) | buf[at + 3]!) >>> 0;
}

/** Copies n bytes from `from` at `at` to `to` at `into`. */
export function copyBytes(from: Uint8Array, at: number, to: Uint8Array, into: number, n: number): void {
  for (let i = 0; i < n; i++) to[into + i] = from[at + i]!;
}
