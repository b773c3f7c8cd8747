/**
 * Growable big-endian writer. Messages are written once into one Buffer; lengths that
 * are only known at the end (message, match, action lists) are patched in place.
 */
export class Writer {
  private buf: Buffer;
  private pos = 0;

  constructor(initialSize = 256) {
    this.buf = Buffer.allocUnsafe(initialSize);
  }

  get offset(): number {
    return this.pos;
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  u8(v: number): this {
    this.ensure(1);
    this.buf[this.pos++] = v & 0xff;
    return this;
  }

  // Bytes are stored one by one: Buffer.writeUInt16BE and friends check their arguments on
  // every call, which costs more than the store on the packet-out path.
  u16(v: number): this {
    this.ensure(2);
    this.buf[this.pos] = v >>> 8;
    this.buf[this.pos + 1] = v;
    this.pos += 2;
    return this;
  }

  u32(v: number): this {
    this.ensure(4);
    this.patchU32(this.pos, v);
    this.pos += 4;
    return this;
  }

  u64(v: bigint): this {
    this.ensure(8);
    this.buf.writeBigUInt64BE(BigInt.asUintN(64, v), this.pos);
    this.pos += 8;
    return this;
  }

  zeros(n: number): this {
    this.ensure(n);
    // Padding is a few bytes; Buffer.fill costs more than the loop at that size.
    if (n <= 16) for (let i = 0; i < n; i++) this.buf[this.pos + i] = 0;
    else this.buf.fill(0, this.pos, this.pos + n);
    this.pos += n;
    return this;
  }

  bytes(b: Uint8Array): this {
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
    return this;
  }

  fixedString(s: string, n: number): this {
    this.ensure(n);
    const written = this.buf.write(s.slice(0, n - 1), this.pos, n - 1, 'latin1');
    this.buf.fill(0, this.pos + written, this.pos + n);
    this.pos += n;
    return this;
  }

  /** Zero-pads up to the next multiple of `align` counted from `from`. */
  padTo(align: number, from = 0): this {
    const rem = (this.pos - from) % align;
    return rem === 0 ? this : this.zeros(align - rem);
  }

  patchU16(at: number, v: number): void {
    this.buf[at] = v >>> 8;
    this.buf[at + 1] = v;
  }

  patchU32(at: number, v: number): void {
    this.buf[at] = v >>> 24;
    this.buf[at + 1] = v >>> 16;
    this.buf[at + 2] = v >>> 8;
    this.buf[at + 3] = v;
  }

  /** Drops everything written after `offset` (a message that failed half-way, say). */
  rewind(offset: number): void {
    if (offset < 0 || offset > this.pos) throw new RangeError(`cannot rewind to ${offset}: ${this.pos} bytes written`);
    this.pos = offset;
  }

  /** A copy of the written bytes; the writer then starts over in the buffer it has, for reuse. */
  take(): Buffer {
    const out = Buffer.allocUnsafe(this.pos);
    this.buf.copy(out, 0, 0, this.pos);
    this.pos = 0;
    return out;
  }

  /** The written bytes (a view: the writer must not be reused afterwards). */
  finish(): Buffer {
    return this.buf.subarray(0, this.pos);
  }
}
