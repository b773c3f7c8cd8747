import { OfpDecodeError } from './errors.js';

/**
 * Bounds-checked cursor over a Buffer. Every read that would cross `end` throws a typed
 * `OfpDecodeError('truncated')`, so decoders never index past the message they were given.
 */
export class Reader {
  private pos: number;

  constructor(
    readonly buf: Buffer,
    start = 0,
    readonly end = buf.length,
  ) {
    this.pos = start;
  }

  get offset(): number {
    return this.pos;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  private need(n: number, what: string): number {
    const at = this.pos;
    if (at + n > this.end) {
      throw new OfpDecodeError('truncated', `${what}: need ${n} bytes, ${this.end - at} left`, at);
    }
    this.pos = at + n;
    return at;
  }

  u8(what = 'u8'): number {
    return this.buf[this.need(1, what)]!;
  }

  u16(what = 'u16'): number {
    return this.buf.readUInt16BE(this.need(2, what));
  }

  u32(what = 'u32'): number {
    return this.buf.readUInt32BE(this.need(4, what));
  }

  u64(what = 'u64'): bigint {
    return this.buf.readBigUInt64BE(this.need(8, what));
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
    return new Reader(this.buf, at, at + n);
  }
}
