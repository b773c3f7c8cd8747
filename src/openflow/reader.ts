import { OfpDecodeError } from './errors.js';

/** The last u64 read, shared by every reader: BigInts are values, so handing out the same one is safe. */
const lastU64 = { high: 0, low: 0, value: 0n };

/**
 * Bounds-checked cursor over a Buffer. Every read that would cross `end` throws a typed
 * `OfpDecodeError('truncated')`, so decoders never index past the message they were given.
 * Offsets count from `base`, the message's first byte, wherever it sits in `buf`.
 */
export class Reader {
  private pos: number;

  constructor(
    private readonly buf: Buffer,
    start = 0,
    private readonly end = buf.length,
    private readonly base = 0,
  ) {
    this.pos = start;
  }

  /** Where the next read starts, from the message's first byte. */
  get offset(): number {
    return this.pos - this.base;
  }

  /** The u16 `ahead` bytes on, without consuming anything; undefined past the end. */
  peekU16(ahead: number): number | undefined {
    const at = this.pos + ahead;
    return at + 2 <= this.end ? (this.buf[at]! << 8) | this.buf[at + 1]! : undefined;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  private need(n: number, what: string): number {
    this.expect(n, what);
    const at = this.pos;
    this.pos = at + n;
    return at;
  }

  /** Throws unless at least n bytes are left; consumes nothing. */
  expect(n: number, what: string): void {
    if (this.pos + n > this.end) throw new OfpDecodeError('truncated', `${what}: need ${n} bytes, ${this.end - this.pos} left`, this.offset);
  }

  u8(what = 'u8'): number {
    return this.buf[this.need(1, what)]!;
  }

  u16(what = 'u16'): number {
    const at = this.need(2, what);
    return (this.buf[at]! << 8) | this.buf[at + 1]!;
  }

  u32(what = 'u32'): number {
    return this.u32At(this.need(4, what));
  }

  private u32At(at: number): number {
    const b = this.buf;
    return ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;
  }

  u64(what = 'u64'): bigint {
    const at = this.need(8, what);
    const high = this.u32At(at);
    const low = this.u32At(at + 4);
    // The same few values come again and again (the cookie of every packet-in a flow sends):
    // one remembered value spares the three BigInts each conversion makes.
    if (high !== lastU64.high || low !== lastU64.low) {
      lastU64.value = (BigInt(high) << 32n) | BigInt(low);
      lastU64.high = high;
      lastU64.low = low;
    }
    return lastU64.value;
  }

  skip(n: number, what = 'padding'): void {
    this.need(n, what);
  }

  /** A view (not a copy) of the next n bytes. */
  bytes(n: number, what = 'bytes'): Buffer {
    const at = this.need(n, what);
    return this.buf.subarray(at, at + n);
  }

  /** A copy of everything left, so the caller may keep it after the socket buffer is reused. */
  rest(): Buffer {
    return Buffer.from(this.bytes(this.remaining));
  }

  /** NUL-padded fixed-width string (port names, switch description). */
  fixedString(n: number, what = 'string'): string {
    const raw = this.bytes(n, what);
    const nul = raw.indexOf(0);
    return raw.toString('latin1', 0, nul < 0 ? n : nul);
  }

  /** A sub-reader over the next n bytes, which it consumes here. */
  sub(n: number, what: string): Reader {
    const at = this.need(n, what);
    return new Reader(this.buf, at, at + n, this.base);
  }
}
